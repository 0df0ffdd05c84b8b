import type { ParsedRequestOf, ReplyOf } from '../contract/channels.ts';
import { npyArray, type NpyArray } from '../data/npy.ts';
import { encodeNpz } from '../data/npz.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import { runEpisodes, type RunEpisode } from './feature-bank.ts';
import { writeExport } from './export-file.ts';
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
/**
 * The workbench's download (exports:features) carries the file in one reply, held in the dream server, the host
 * and the renderer at once: its features stop at 256 MiB (car-racing's 30,000 held-out frames of the RSSM `small`
 * are ≈ 150 MiB); past that the CLI writes up to 2 GiB.
 */
const MAX_DOWNLOAD_ARRAY_BYTES = 256 * 2 ** 20;

export interface FeatureExportSummary {
  path: string;
  rows: number;
  dim: number;
  episodes: number;
  heldOutRows: number;
  stateNames: string[] | null;
}

interface FeatureExportOptions {
  split: FeatureSplit;
  stride: number;
  onEpisode?: (done: number, total: number) => void;
  /** The features array's budget (default 2 GiB) and what to tell a user past it. */
  maxBytes?: number;
  tooLarge?: string;
}

/** `oneiro features`: the .npz written atomically at `out`. */
export function exportFeatures(opened: OpenedRun, opts: FeatureExportOptions & { out: string }): FeatureExportSummary {
  const { bytes, summary } = featureNpz(opened, opts);
  writeFileAtomic(opts.out, bytes);
  return { path: opts.out, ...summary };
}

/**
 * `exports:features`, the workbench's button: the same file, written to <workspace>/exports/ and returned as bytes
 * for the renderer to save. A file past MAX_DOWNLOAD_ARRAY_BYTES is refused in one line naming the CLI.
 */
export function featuresDownload(
  workspace: string,
  opened: OpenedRun,
  req: ParsedRequestOf<'exports:features'>,
  maxBytes = MAX_DOWNLOAD_ARRAY_BYTES,
): ReplyOf<'exports:features'> {
  const { bytes, summary } = featureNpz(opened, {
    split: req.split,
    stride: req.stride,
    maxBytes,
    tooLarge: `pick a larger stride or one side of the split, or run \`oneiro features ${opened.config.id} --out FILE.npz\` (up to 2 GiB)`,
  });
  const step = opened.checkpoint.globalStep;
  const stride = req.stride > 1 ? `-stride${req.stride}` : '';
  const { fileName, path } = writeExport(
    workspace,
    `features-${opened.config.id}-step${step}-${req.split}${stride}`,
    'npz',
    bytes,
  );
  return { bytes, mime: 'application/octet-stream', fileName, path, checkpointStep: step, ...summary };
}

function featureNpz(
  opened: OpenedRun,
  opts: FeatureExportOptions,
): { bytes: Uint8Array; summary: Omit<FeatureExportSummary, 'path'> } {
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
      const max = opts.maxBytes ?? MAX_ARRAY_BYTES;
      if (feats.length * dim * 4 > max)
        throw new UserError(
          `the features of run ${config.id} pass ${mib(max)} (${feats.length} rows × ${dim} after ${done + 1} of ${total} episodes): ${opts.tooLarge ?? 'take every Nth step (--stride) or one side of the split (--split)'}`,
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
  return {
    bytes: encodeNpz(arrays),
    summary: { rows: n, dim, episodes: total, heldOutRows: heldOut.reduce((a, b) => a + b, 0), stateNames },
  };
}

const mib = (b: number) => (b >= 2 ** 30 ? `${b / 2 ** 30} GiB` : `${b / 2 ** 20} MiB`);

function concat(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}
