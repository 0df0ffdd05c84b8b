import type { Episode } from './episode.ts';
import { episodeBytes } from './episode-file.ts';
import { actionDimOf, readEpisode, type Dataset } from './dataset.ts';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';

/**
 * Replay sampling for training: batches of B sequences of L rows, uniform over all valid windows
 * (a window never crosses an episode boundary unless `crossEpisodes`), deterministic under a seed.
 * Episodes are read from disk on demand and kept in an LRU cache capped in bytes, so datasets larger
 * than memory stream. Output is plain typed arrays; the models turn them into tensors.
 */

export interface ReplayOptions {
  batch: number;
  length: number;
  seed: number;
  /** Let a window run from one episode into the next (dataset order); is_first marks the seam. Default false. */
  crossEpisodes?: boolean;
  /** Memory cap for decoded episodes, in bytes (default 1 GiB). May be exceeded by at most one episode. */
  cacheBytes?: number;
  /** Dataset episode indices to sample from (e.g. `splitEpisodes(...).train`); default all. */
  episodes?: number[];
}

export interface ReplayBatch {
  /** uint8 [B, L, H, W, 3] */
  image: Uint8Array;
  /** float32 [B, L, A] */
  action: Float32Array;
  /** float32 [B, L] */
  reward: Float32Array;
  /** 0/1 [B, L] */
  isFirst: Uint8Array;
  isLast: Uint8Array;
  isTerminal: Uint8Array;
  /** float32 [B, L] */
  discount: Float32Array;
  B: number;
  L: number;
  H: number;
  W: number;
  A: number;
  /** Where each sequence starts: dataset episode index and row. */
  origin: { episode: number; row: number }[];
}

export class Replay {
  private readonly rng: Rng;
  private readonly episodes: number[];
  private readonly lengths: number[];
  /** Prefix sums of window counts (non-crossing) or of rows (crossing). */
  private readonly prefix: number[];
  private readonly total: number;
  /** Non-crossing window prefix sums for other lengths (`draw`), by length. */
  private readonly byLength = new Map<number, { prefix: number[]; total: number }>();
  private readonly cache = new Map<number, Episode>();
  private cachedBytes = 0;
  /**
   * Cache observations: loads, hits, evictions, and the most episodes and bytes ever resident once a load's
   * eviction has run (what the cap bounds; the load itself may briefly hold one episode more).
   */
  readonly counters = { hits: 0, loads: 0, evictions: 0, peakEpisodes: 0, peakBytes: 0 };
  readonly H: number;
  readonly W: number;
  readonly A: number;

  constructor(
    private readonly ds: Dataset,
    private readonly opts: ReplayOptions,
  ) {
    const { batch, length } = opts;
    if (!Number.isInteger(batch) || batch < 1)
      throw new UserError(`replay batch size must be a positive integer, got ${batch}`);
    if (!Number.isInteger(length) || length < 1)
      throw new UserError(`replay sequence length must be a positive integer, got ${length}`);
    this.rng = new Rng(opts.seed);
    this.episodes = opts.episodes ?? ds.meta.episodes.map((_, i) => i);
    for (const i of this.episodes) {
      if (!Number.isInteger(i) || i < 0 || i >= ds.meta.episodes.length)
        throw new UserError(`replay: episode index ${i} is not in dataset '${ds.meta.name}'`);
    }
    this.lengths = this.episodes.map((i) => ds.meta.episodes[i].length);
    this.prefix = [0];
    for (const len of this.lengths)
      this.prefix.push(
        this.prefix[this.prefix.length - 1] + (opts.crossEpisodes ? len : Math.max(0, len - length + 1)),
      );
    const sum = this.prefix[this.prefix.length - 1];
    this.total = opts.crossEpisodes ? Math.max(0, sum - length + 1) : sum;
    if (this.total === 0) {
      const longest = Math.max(0, ...this.lengths);
      throw new UserError(
        `replay: no window of ${length} rows fits in dataset '${ds.meta.name}' (${this.episodes.length} episodes, longest ${longest} rows); ` +
          (opts.crossEpisodes ? 'collect more data' : 'use a shorter sequence length or allow crossing episodes'),
      );
    }
    [this.H, this.W] = ds.meta.observationShape;
    this.A = actionDimOf(ds.meta.actionSpace);
  }

  /** Number of distinct windows sampling is uniform over. */
  get windows(): number {
    return this.total;
  }

  get cacheBytes(): number {
    return this.cachedBytes;
  }

  private episode(pos: number): Episode {
    const index = this.episodes[pos];
    const hit = this.cache.get(index);
    if (hit) {
      this.counters.hits++;
      this.cache.delete(index); // re-insert: Map order is the LRU order
      this.cache.set(index, hit);
      return hit;
    }
    const ep = readEpisode(this.ds, index);
    this.counters.loads++;
    this.cache.set(index, ep);
    this.cachedBytes += episodeBytes(ep);
    const cap = this.opts.cacheBytes ?? 2 ** 30;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= cap || this.cache.size <= 1) break;
      this.cache.delete(k);
      this.cachedBytes -= episodeBytes(v);
      this.counters.evictions++;
    }
    this.counters.peakEpisodes = Math.max(this.counters.peakEpisodes, this.cache.size);
    this.counters.peakBytes = Math.max(this.counters.peakBytes, this.cachedBytes);
    return ep;
  }

  /** Episodes decoded in memory now. */
  get residentEpisodes(): number {
    return this.cache.size;
  }

  /** Number of sampled episodes (dataset episode indices given or all). */
  get episodeCount(): number {
    return this.episodes.length;
  }

  /** Rows of each sampled episode, in sampling order. */
  get episodeLengths(): readonly number[] {
    return this.lengths;
  }

  /** Dataset episode index of the sampled episode at position `pos`. */
  datasetIndex(pos: number): number {
    return this.episodes[pos];
  }

  /** The sampled episode at position `pos`, through the cache. */
  read(pos: number): Episode {
    return this.episode(pos);
  }

  /** Largest p with prefix[p] <= u (so episodes without a window, whose prefix equals the next one's, are skipped). */
  private locate(prefix: number[], u: number): number {
    let lo = 0;
    let hi = prefix.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (prefix[mid] <= u) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  sample(): ReplayBatch {
    return this.fill(this.opts.batch, this.opts.length, this.rng, this.prefix, this.total);
  }

  /**
   * B windows of L rows (never crossing episodes), uniform over all of them, drawn with the caller's Rng (one
   * `int` per window) instead of the replay's own: a trainer passes the step's Rng, so the data order is a
   * function of (seed, step) and resume needs no replay state. The same draws as uniform sampling over the
   * in-memory episodes in this order (core/models/rssm/batch.ts `sampleWindows`).
   */
  draw(B: number, L: number, rng: Rng): ReplayBatch {
    let idx = this.byLength.get(L);
    if (!idx) {
      const prefix = [0];
      for (const len of this.lengths) prefix.push(prefix[prefix.length - 1] + Math.max(0, len - L + 1));
      idx = { prefix, total: prefix[prefix.length - 1] };
      this.byLength.set(L, idx);
    }
    if (idx.total === 0)
      throw new UserError(
        `no episode has ${L} rows (the training sequence length); longest has ${Math.max(0, ...this.lengths)}. Use a smaller train.length or longer episodes`,
      );
    return this.fill(B, L, rng, idx.prefix, idx.total);
  }

  private fill(B: number, L: number, rng: Rng, prefix: number[], total: number): ReplayBatch {
    const { H, W, A } = this;
    const frame = H * W * 3;
    const out: ReplayBatch = {
      image: new Uint8Array(B * L * frame),
      action: new Float32Array(B * L * A),
      reward: new Float32Array(B * L),
      isFirst: new Uint8Array(B * L),
      isLast: new Uint8Array(B * L),
      isTerminal: new Uint8Array(B * L),
      discount: new Float32Array(B * L),
      B,
      L,
      H,
      W,
      A,
      origin: [],
    };
    for (let b = 0; b < B; b++) {
      const u = rng.int(total);
      let pos = this.locate(prefix, u);
      let row = u - prefix[pos];
      out.origin.push({ episode: this.episodes[pos], row });
      // Copy L rows, moving into the next episode when crossing is allowed (non-crossing windows fit in one).
      let t = 0;
      while (t < L) {
        const ep = this.episode(pos);
        const n = Math.min(L - t, ep.imageShape[0] - row);
        const dst = b * L + t;
        out.image.set(ep.image.subarray(row * frame, (row + n) * frame), dst * frame);
        out.action.set(ep.action.subarray(row * A, (row + n) * A), dst * A);
        out.reward.set(ep.reward.subarray(row, row + n), dst);
        out.isFirst.set(ep.isFirst.subarray(row, row + n), dst);
        out.isLast.set(ep.isLast.subarray(row, row + n), dst);
        out.isTerminal.set(ep.isTerminal.subarray(row, row + n), dst);
        out.discount.set(ep.discount.subarray(row, row + n), dst);
        t += n;
        pos++;
        row = 0;
      }
    }
    return out;
  }
}

/** FNV-1a over a string: a stable 32-bit hash that does not depend on the platform. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** An episode's place in the split, in [0, 1): held out when below the held-out fraction. Depends only on its id. */
export function heldOutScore(id: string, seed = 0): number {
  return fnv1a(`${seed}:${id}`) / 2 ** 32;
}

/**
 * A deterministic train / held-out split by episode. An episode is held out when the hash of its file name
 * (and the seed) falls below `heldOut`, so it never changes sides as the dataset grows; with ≥ 2 episodes
 * and heldOut > 0 at least one is held out. Returns dataset episode indices, ascending.
 */
export function splitEpisodes(ds: Dataset, heldOut = 0.1, seed = 0): { train: number[]; heldOut: number[] } {
  if (!(heldOut >= 0 && heldOut < 1)) throw new UserError(`held-out fraction must be in [0, 1), got ${heldOut}`);
  const scored = ds.meta.episodes.map((e, i) => ({ i, h: heldOutScore(e.file, seed) }));
  const held = new Set(scored.filter((s) => s.h < heldOut).map((s) => s.i));
  if (held.size === 0 && heldOut > 0 && scored.length >= 2) held.add(scored.reduce((a, b) => (b.h < a.h ? b : a)).i);
  if (held.size === scored.length && scored.length >= 2) held.delete(scored.reduce((a, b) => (b.h > a.h ? b : a)).i);
  return {
    train: scored.filter((s) => !held.has(s.i)).map((s) => s.i),
    heldOut: [...held].sort((a, b) => a - b),
  };
}
