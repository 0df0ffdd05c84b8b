import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import type { EvalMetric } from '../family.ts';
import { ENCODE_CHUNK, type ObjectGraphModel } from './model.ts';
import { randomRankingScores, rankPredictions, type RankingResult } from './ranking.ts';

export interface KStepStates {
  /** Evaluation samples: episodes with at least k + 1 rows, one sample each (their first k steps). */
  n: number;
  /** [n, K·D] each: encoding of frame 0, the k-step prediction from it, encoding of frame k. */
  start: Float32Array;
  pred: Float32Array;
  truth: Float32Array;
  /** Which episode (index into the given list) each sample came from. */
  episode: number[];
}

/**
 * eval.py's samples: for every episode, the state of its first frame rolled k steps through the transition
 * model under the episode's own actions (Dreamer layout: row t + 1 holds action a_t), and the encoding of
 * frame k. Encoded in chunks of 100 episodes (eval.py's batch size), in evaluation mode.
 */
export function kStepStates(model: ObjectGraphModel, episodes: Episode[], k: number): KStepStates {
  const idx = episodes.map((_, i) => i).filter((i) => episodes[i].imageShape[0] >= k + 1);
  const F = model.stateSize;
  const A = model.actionDim;
  const n = idx.length;
  const out: KStepStates = {
    n,
    start: new Float32Array(n * F),
    pred: new Float32Array(n * F),
    truth: new Float32Array(n * F),
    episode: idx,
  };
  for (let s = 0; s < n; s += ENCODE_CHUNK) {
    const chunk = idx.slice(s, s + ENCODE_CHUNK);
    const b = chunk.length;
    const ep0 = episodes[chunk[0]];
    const px = ep0.imageShape[1] * ep0.imageShape[2] * 3;
    const first = new Uint8Array(b * px);
    const last = new Uint8Array(b * px);
    chunk.forEach((e, j) => {
      const ep = episodes[e];
      first.set(ep.image.subarray(0, px), j * px);
      last.set(ep.image.subarray(k * px, (k + 1) * px), j * px);
    });
    const [z0, pred, zk] = tf.tidy(() => {
      const z = model.encode(first, b);
      let p = z;
      for (let t = 0; t < k; t++) {
        const a = new Float32Array(b * A);
        chunk.forEach((e, j) => a.set(episodes[e].action.subarray((t + 1) * A, (t + 2) * A), j * A));
        p = model.next(p, tf.tensor2d(a, [b, A]));
      }
      return [z, p, model.encode(last, b)];
    });
    out.start.set(z0.dataSync(), s * F);
    out.pred.set(pred.dataSync(), s * F);
    out.truth.set(zk.dataSync(), s * F);
    tf.dispose([z0, pred, zk]);
  }
  return out;
}

export interface RetrievalEval {
  k: number;
  states: KStepStates;
  model: RankingResult;
  /** The start state as the prediction (no transition): how much the transition model adds. */
  copyState: RankingResult;
}

export function retrievalEval(model: ObjectGraphModel, episodes: Episode[], k: number): RetrievalEval {
  const states = kStepStates(model, episodes, k);
  const F = model.stateSize;
  return {
    k,
    states,
    model: rankPredictions(states.pred, states.truth, states.n, F),
    copyState: rankPredictions(states.start, states.truth, states.n, F),
  };
}

/** Higher is better: the strongest of the baselines is the one to beat. */
function metric(model: number, baselines: Record<string, number>): EvalMetric {
  const [name, best] = Object.entries(baselines).reduce((a, b) => (b[1] > a[1] ? b : a));
  return { model, baseline: best, baseline_name: name, baselines, lower_is_better: false };
}

/**
 * Hits@1 and MRR (%) at each configured k (the paper's 1, 5, 10) over all held-out episodes at once (eval.py ranks against every sample of
 * the evaluation set, not within a batch), against a random ranking and the copy-state prediction.
 */
export function evaluateObjectGraph(model: ObjectGraphModel, episodes: Episode[]): Record<string, EvalMetric> {
  const out: Record<string, EvalMetric> = {};
  for (const k of model.config.eval.steps) {
    const r = retrievalEval(model, episodes, k);
    if (r.states.n < 2) continue;
    const rnd = randomRankingScores(r.states.n);
    out[`hits_at_1@${k}`] = metric(r.model.hitsAt1, {
      'random-ranking': rnd.hitsAt1,
      'copy-state': r.copyState.hitsAt1,
    });
    out[`mrr@${k}`] = metric(r.model.mrr, { 'random-ranking': rnd.mrr, 'copy-state': r.copyState.mrr });
  }
  return out;
}
