import { npyArray, type NpyArray } from '../data/npy.ts';
import { writeNpz } from '../data/npz.ts';
import { UserError } from '../util/errors.ts';
import { runEpisodes, type RunEpisode } from './feature-bank.ts';
import type { OpenedRun } from './load.ts';
import { envStateSpec, episodeState, stateColumnNames } from './probe-targets.ts';

/**
 * A run's filtered features and the episodes' true states, written to one .npz for analysis outside Oneiro
 * (`oneiro features`): what the state probe reads, row for row, so a researcher can fit probes of their own,
 * cluster or plot the code in numpy. Episodes are read one at a time; the features are the family's
 * `filterFeatures` (the filtered state at every step, from the episode's first frame, as `oneiro eval` takes them).
 *
 * Arrays: `features` <f4 [n, dim]; `state` <f4 [n, d] when every exported episode records a state of one size;
 * `episode` <i4 [n] (dataset index, −1 for an online run's episodes); `step` <i4 [n]; `held_out` |b1 [n] (the
 * run's own split: true = never trained on); `meta_json` |u1, UTF-8 JSON: run, family, checkpoint_step, dataset,
 * env, split, stride, episodes, state_names (the env's, or state[i]).
 */

export type FeatureSplit = 'all' | 'train' | 'held-out';

/** One .npz array holds at most this many bytes (Node's Buffer limit is 4 GiB; zip entries without zip64 too). */
const MAX_ARRAY_BYTES = 2 ** 31;

export interface FeatureExportSummary {
  path: string;
  rows: number;
  dim: number;
  episodes: number;
  heldOutRows: number;
  stateNames: string[] | null;
}

export function exportFeatures(
  opened: OpenedRun,
  opts: { out: string; split: FeatureSplit; stride: number; onEpisode?: (done: number, total: number) => void },
): FeatureExportSummary {
  const { config, dir, model } = opened;
  const size = model.imageSize;
  const sides: { heldOut: boolean; eps: RunEpisode[] }[] = [];
  const split = runEpisodes(config, dir, size);
  if (opts.split !== 'held-out') sides.push({ heldOut: false, eps: split.train });
  if (opts.split !== 'train') sides.push({ heldOut: true, eps: split.heldOut });
  const total = sides.reduce((n, s) => n + s.eps.length, 0);
  if (total === 0)
    throw new UserError(`run ${config.id} has no ${opts.split === 'all' ? '' : `${opts.split} `}episodes to export`);

  const feats: Float32Array[] = [];
  const states: (Float32Array | null)[] = [];
  const episode: number[] = [];
  const step: number[] = [];
  const heldOut: number[] = [];
  let dim = 0;
  let stateDim: number | null | undefined; // undefined: no episode yet; null: some episode lacks it or disagrees
  let done = 0;
  for (const side of sides)
    for (const e of side.eps) {
      const ep = e.read();
      const f = model.filterFeatures(ep);
      const s = episodeState(ep);
      if (dim && f.dim !== dim) throw new Error(`features of ${f.dim} columns after ${dim}: the model changed size`);
      dim = f.dim;
      stateDim = s && (stateDim === undefined || stateDim === s.dim) ? s.dim : null;
      const T = ep.imageShape[0];
      // Copies (slice), not views: a view would keep the whole episode's features alive under --stride.
      for (let t = 0; t < T; t += opts.stride) {
        feats.push(f.data.slice(t * dim, (t + 1) * dim));
        states.push(s ? s.data.slice(t * s.dim, (t + 1) * s.dim) : null);
        episode.push(e.index);
        step.push(t);
        heldOut.push(side.heldOut ? 1 : 0);
      }
      if (feats.length * dim * 4 > MAX_ARRAY_BYTES)
        throw new UserError(
          `the features of run ${config.id} pass 2 GiB (${feats.length} rows × ${dim} after ${done + 1} of ${total} episodes): take every Nth step (--stride) or one side of the split (--split)`,
        );
      opts.onEpisode?.(++done, total);
    }

  const n = feats.length;
  const arrays: Record<string, NpyArray> = {
    features: npyArray('<f4', [n, dim], concat(feats, dim)),
    episode: npyArray('<i4', [n], Int32Array.from(episode)),
    step: npyArray('<i4', [n], Int32Array.from(step)),
    held_out: npyArray('|b1', [n], Uint8Array.from(heldOut)),
  };
  const stateNames = stateDim
    ? stateColumnNames(envStateSpec(opened.data.env ?? config.source.env ?? null).stateNames, stateDim)
    : null;
  if (stateDim) arrays.state = npyArray('<f4', [n, stateDim], concat(states as Float32Array[], stateDim));
  const meta = {
    run: config.id,
    family: config.family,
    checkpoint_step: opened.checkpoint.globalStep,
    dataset: config.source.dataset ?? null,
    env: opened.data.env ?? config.source.env ?? null,
    split: opts.split,
    stride: opts.stride,
    episodes: total,
    state_names: stateNames,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(meta));
  arrays.meta_json = npyArray('|u1', [bytes.length], bytes);
  writeNpz(opts.out, arrays);
  return { path: opts.out, rows: n, dim, episodes: total, heldOutRows: heldOut.reduce((a, b) => a + b, 0), stateNames };
}

function concat(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}
