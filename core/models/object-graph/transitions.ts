import type { Episode } from '../../data/episode.ts';
import type { TrainData } from '../family.ts';
import { UserError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';

/**
 * Batches of transitions (o_t, a_t, o_{t+1}) as C-SWM trains on (utils.StateTransitionsDataset): uniform over
 * every transition of the training episodes, drawn with the step's Rng (one `int` per transition), so the data
 * order is a function of (seed, step) and resume needs no sampler state. Streaming runs draw 2-row windows
 * through the replay (the same distribution). C-SWM shuffles without replacement within an epoch; this
 * samples with replacement.
 */
export interface TransitionBatch {
  n: number;
  /** Square frame size of the stored episodes. */
  size: number;
  /** uint8 [n·size·size·3] each. */
  obs: Uint8Array;
  next: Uint8Array;
  /** float32 [n, A]: the action taken at o_t (row t + 1 of the Dreamer layout). */
  action: Float32Array;
  actionDim: number;
}

export class TransitionSampler {
  private readonly prefix: number[] = [0];

  constructor(private readonly data: TrainData) {
    for (const ep of data.train) this.prefix.push(this.prefix[this.prefix.length - 1] + ep.imageShape[0] - 1);
    if (!data.trainReplay && this.total === 0)
      throw new UserError('object-graph: the training episodes hold no transition (every episode has a single frame)');
  }

  get total(): number {
    return this.prefix[this.prefix.length - 1];
  }

  draw(B: number, rng: Rng): TransitionBatch {
    const S = this.data.imageSize;
    const px = S * S * 3;
    if (this.data.trainReplay) {
      const r = this.data.trainReplay.draw(B, 2, rng);
      const out = this.empty(B, r.A);
      for (let b = 0; b < B; b++) {
        out.obs.set(r.image.subarray(2 * b * px, (2 * b + 1) * px), b * px);
        out.next.set(r.image.subarray((2 * b + 1) * px, (2 * b + 2) * px), b * px);
        out.action.set(r.action.subarray((2 * b + 1) * r.A, (2 * b + 2) * r.A), b * r.A);
      }
      return out;
    }
    const A = this.data.train[0].actionDim;
    const out = this.empty(B, A);
    for (let b = 0; b < B; b++) {
      const u = rng.int(this.total);
      let lo = 0,
        hi = this.prefix.length - 2;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.prefix[mid] <= u) lo = mid;
        else hi = mid - 1;
      }
      const ep: Episode = this.data.train[lo];
      const t = u - this.prefix[lo];
      out.obs.set(ep.image.subarray(t * px, (t + 1) * px), b * px);
      out.next.set(ep.image.subarray((t + 1) * px, (t + 2) * px), b * px);
      out.action.set(ep.action.subarray((t + 1) * A, (t + 2) * A), b * A);
    }
    return out;
  }

  private empty(n: number, A: number): TransitionBatch {
    const px = this.data.imageSize * this.data.imageSize * 3;
    return {
      n,
      size: this.data.imageSize,
      obs: new Uint8Array(n * px),
      next: new Uint8Array(n * px),
      action: new Float32Array(n * A),
      actionDim: A,
    };
  }
}
