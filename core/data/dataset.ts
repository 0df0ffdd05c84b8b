import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Episode } from './episode.ts';
import { episodeFileName, readEpisodeFile, writeEpisode } from './episode-file.ts';
import { decodeNpyHeader } from './npy.ts';
import { ZipFile } from './zip.ts';
import { type Background, isBackground } from '../envs/background.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import { isAlive } from '../util/process.ts';

/**
 * A dataset is `<workspace>/datasets/<name>/` holding Dreamer-layout episode files and `dataset.json`
 * (env, spaces, counts, source and the episode index, so listing and sampling never open every file).
 */

const ActionSpace = z.union([
  z.object({
    kind: z.literal('box'),
    shape: z.array(z.number().int().nonnegative()),
    low: z.array(z.number()),
    high: z.array(z.number()),
  }),
  z.object({ kind: z.literal('discrete'), n: z.number().int().positive() }),
]);
export type DatasetActionSpace = z.infer<typeof ActionSpace>;

const EpisodeEntry = z.object({
  file: z.string().regex(/^[^/\\]+\.npz$/),
  /** Rows (T + 1 for T steps). */
  length: z.number().int().positive(),
  return: z.number(),
});
export type DatasetEpisode = z.infer<typeof EpisodeEntry>;

const Meta = z.object({
  format: z.literal('oneiro-dataset'),
  version: z.literal(1),
  name: z.string(),
  env: z.string().nullable(),
  observationShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.literal(3)]),
  actionSpace: ActionSpace,
  /** True when the action space was inferred from imported data (bounds = observed min/max). */
  actionSpaceInferred: z.boolean().optional(),
  counts: z.object({
    episodes: z.number().int().nonnegative(),
    steps: z.number().int().nonnegative(),
    frames: z.number().int().nonnegative(),
  }),
  source: z.record(z.string(), z.unknown()),
  created: z.string(),
  updated: z.string(),
  episodes: z.array(EpisodeEntry),
});
export type DatasetMeta = z.infer<typeof Meta>;

export interface Dataset {
  dir: string;
  meta: DatasetMeta;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkDatasetName(name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(
      `dataset name '${name}' is not valid: expected 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

export function datasetsDir(workspace: string): string {
  return join(resolve(workspace), 'datasets');
}

export function datasetDir(workspace: string, name: string): string {
  return join(datasetsDir(workspace), checkDatasetName(name));
}

function readMeta(dir: string, name: string): DatasetMeta {
  const file = join(dir, 'dataset.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(
      `dataset '${name}': cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const r = Meta.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`dataset '${name}': ${file} is invalid at '${issue.path.join('.')}': ${issue.message}`);
  }
  return r.data;
}

/** Whether the name is taken: a folder under it, readable or not. */
export function datasetExists(workspace: string, name: string): boolean {
  return existsSync(datasetDir(workspace, name));
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function openDataset(workspace: string, name: string): Dataset {
  const dir = datasetDir(workspace, name);
  if (!existsSync(dir)) {
    const known = listDatasetNames(workspace);
    throw new UserError(
      `no dataset '${name}' in ${datasetsDir(workspace)}${known.length ? ` (have: ${known.join(', ')})` : ' (no datasets yet)'}`,
    );
  }
  return { dir, meta: readMeta(dir, name) };
}

function listDatasetNames(workspace: string): string[] {
  const root = datasetsDir(workspace);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => NAME.test(n) && isDir(join(root, n)))
    .sort();
}

/** Every dataset in the workspace; unreadable ones come back with their error instead of a meta. */
export function listDatasets(
  workspace: string,
): ({ name: string; meta: DatasetMeta } | { name: string; error: string })[] {
  return listDatasetNames(workspace).map((name) => {
    try {
      return { name, meta: readMeta(join(datasetsDir(workspace), name), name) };
    } catch (e) {
      return { name, error: (e as Error).message };
    }
  });
}

export interface NewDataset {
  env: string | null;
  observationShape: [number, number, 3];
  actionSpace: DatasetActionSpace;
  actionSpaceInferred?: boolean;
  source: Record<string, unknown>;
}

function saveMeta(ds: Dataset): void {
  ds.meta.updated = new Date().toISOString();
  writeJsonAtomic(join(ds.dir, 'dataset.json'), ds.meta);
}

/** Creates an empty dataset at `dir` (the caller chose the folder, e.g. a staging folder for imports). */
export function createDatasetAt(dir: string, name: string, init: NewDataset): Dataset {
  mkdirSync(dir, { recursive: true });
  const now = new Date().toISOString();
  const ds: Dataset = {
    dir,
    meta: {
      format: 'oneiro-dataset',
      version: 1,
      name,
      env: init.env,
      observationShape: init.observationShape,
      actionSpace: init.actionSpace,
      ...(init.actionSpaceInferred ? { actionSpaceInferred: true } : {}),
      counts: { episodes: 0, steps: 0, frames: 0 },
      source: init.source,
      created: now,
      updated: now,
      episodes: [],
    },
  };
  saveMeta(ds);
  return ds;
}

export function createDataset(workspace: string, name: string, init: NewDataset): Dataset {
  const dir = datasetDir(workspace, name);
  if (existsSync(dir))
    throw new UserError(
      `dataset '${name}' already exists in ${datasetsDir(workspace)}; choose another name or 'oneiro dataset rm ${name}'`,
    );
  return createDatasetAt(dir, name, init);
}

export function actionDimOf(space: DatasetActionSpace): number {
  return space.kind === 'discrete' ? space.n : space.shape.reduce((a, b) => a * b, 1);
}

/** Checks an episode fits the dataset (frame size, action width); returns a reason or null. */
export function episodeMismatch(ds: Dataset, ep: Episode): string | null {
  const [, H, W] = ep.imageShape;
  const [h, w] = ds.meta.observationShape;
  if (H !== h || W !== w) return `wrong shape: frames are ${H}×${W}, the dataset's are ${h}×${w}`;
  const A = actionDimOf(ds.meta.actionSpace);
  if (ep.actionDim !== A) return `wrong shape: action has ${ep.actionDim} columns, the dataset's action space has ${A}`;
  return null;
}

/**
 * Adds an episode: the file is written atomically first, then dataset.json (atomically), so a crash
 * leaves at worst an unindexed file, never an index entry without its file. `file` names it (episode-file.ts
 * `seededEpisodeName` for reproducible splits); by default the time and a random uuid, as DreamerV2 names them.
 */
export function addEpisode(ds: Dataset, ep: Episode, opts: { level?: 1 | 6; file?: string } = {}): DatasetEpisode {
  const why = episodeMismatch(ds, ep);
  if (why) throw new UserError(`dataset '${ds.meta.name}': ${why}`);
  const file = opts.file ?? episodeFileName(ep);
  if (!/^[\w.-]+\.npz$/.test(file) || file.startsWith('.'))
    throw new UserError(`dataset '${ds.meta.name}': episode file name '${file}' must be a plain name ending in .npz`);
  if (ds.meta.episodes.some((e) => e.file === file))
    throw new UserError(`dataset '${ds.meta.name}': an episode named '${file}' is already there`);
  writeEpisode(join(ds.dir, file), ep, { level: opts.level ?? 6 });
  let ret = 0;
  for (let t = 0; t < ep.reward.length; t++) ret += ep.reward[t];
  // JSON has no NaN: a non-finite return would be written as null and make dataset.json unreadable.
  if (!Number.isFinite(ret)) throw new UserError(`dataset '${ds.meta.name}': the episode's return is ${ret}`);
  const entry = { file, length: ep.imageShape[0], return: ret };
  ds.meta.episodes.push(entry);
  ds.meta.counts = {
    episodes: ds.meta.episodes.length,
    steps: ds.meta.counts.steps + entry.length - 1,
    frames: ds.meta.counts.frames + entry.length,
  };
  saveMeta(ds);
  return entry;
}

/**
 * The action repeat the dataset's episodes were collected at (`oneiro collect` and the eval scripts record each
 * collection run in source.runs), so an agent trained on them acts in the env at the same repeat: the last run's,
 * null when none is recorded (an import, or a dataset from before the field: the env's own repeat).
 */
export function datasetActionRepeat(meta: DatasetMeta): number | null {
  const runs = meta.source.runs as { actionRepeat?: unknown }[] | undefined;
  const repeat = Array.isArray(runs) ? runs.at(-1)?.actionRepeat : undefined;
  return typeof repeat === 'number' && Number.isInteger(repeat) && repeat >= 1 ? repeat : null;
}

/**
 * What the dataset's episodes were drawn over (`oneiro collect --background`, recorded per collection run): the last
 * run's background and, for a user clip, where it was read from; 'plain' when none is recorded (an import, or a
 * dataset from before the field). `oneiro collect` refuses to mix backgrounds in one dataset.
 */
export function datasetBackground(meta: DatasetMeta): DataBackground {
  const runs = meta.source.runs as { background?: unknown; backgroundSource?: unknown }[] | undefined;
  const last = Array.isArray(runs) ? runs.at(-1) : undefined;
  const background = isBackground(last?.background) ? last.background : 'plain';
  const source = background === 'video' && typeof last?.backgroundSource === 'string' ? last.backgroundSource : null;
  return { background, source };
}

/** The background a dataset was drawn over: a built-in kind, and the user clip's path when there was one. */
export interface DataBackground {
  background: Background;
  source: string | null;
}

/** Rewrites dataset.json with extra fields merged (e.g. the import's conversion report). */
export function updateDatasetMeta(
  ds: Dataset,
  patch: Partial<Pick<DatasetMeta, 'source' | 'actionSpace' | 'actionSpaceInferred' | 'env'>>,
): void {
  Object.assign(ds.meta, patch);
  saveMeta(ds);
}

/**
 * Deletes a dataset folder, readable or not (a corrupt or missing dataset.json must never make a name
 * impossible to free). Returns the episode count when dataset.json could be read, else why it could not.
 */
export function removeDataset(workspace: string, name: string): { episodes: number } | { unreadable: string } {
  const dir = datasetDir(workspace, name);
  if (!existsSync(dir)) openDataset(workspace, name); // throws the "no dataset" error naming the known ones
  let info: { episodes: number } | { unreadable: string };
  try {
    info = { episodes: readMeta(dir, name).counts.episodes };
  } catch (e) {
    info = { unreadable: (e as Error).message };
  }
  // Rename first, so a dataset disappears whole even if deleting its files is interrupted.
  const doomed = join(datasetsDir(workspace), `.removing-${name}-${process.pid}`);
  renameSync(dir, doomed);
  rmSync(doomed, { recursive: true, force: true });
  return info;
}

/**
 * Moves a staged dataset folder into place under its name (imports appear whole or not at all). Its
 * dataset.json is validated first: an index that would not read back never gets a name.
 */
export function commitStagedDataset(workspace: string, name: string, stagedDir: string): Dataset {
  const dir = datasetDir(workspace, name);
  if (existsSync(dir)) throw new UserError(`dataset '${name}' already exists in ${datasetsDir(workspace)}`);
  const meta = readMeta(stagedDir, name);
  renameSync(stagedDir, dir);
  return { dir, meta };
}

/** Folders a killed import or removal left behind (`.staging-*`, `.removing-*`) whose process is gone. */
export function cleanLeftovers(workspace: string): string[] {
  const root = datasetsDir(workspace);
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const n of readdirSync(root)) {
    const m = /^\.(staging|removing)-.+-(\d+)$/.exec(n);
    if (!m || isAlive(Number(m[2]))) continue;
    rmSync(join(root, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

function episodeEntry(ds: Dataset, index: number): DatasetEpisode {
  const n = ds.meta.episodes.length;
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new UserError(`dataset '${ds.meta.name}' has ${n} episodes; episode index ${index} is outside [0, ${n - 1}]`);
  }
  return ds.meta.episodes[index];
}

export function episodePath(ds: Dataset, index: number): string {
  return join(ds.dir, episodeEntry(ds, index).file);
}

export function readEpisode(ds: Dataset, index: number): Episode {
  return readEpisodeFile(episodePath(ds, index));
}

/**
 * Frames [from, to) of an episode as uint8 [n, H, W, 3]. Only those bytes of the `image` member are read:
 * by offset when stored, by streaming inflation (off the event loop, stopping at `to`) when deflated.
 * `to` defaults to the episode's end and is clamped to it.
 */
export async function episodeFrames(
  ds: Dataset,
  index: number,
  from = 0,
  to?: number,
): Promise<{ frames: Uint8Array; shape: [number, number, number, 3] }> {
  const entry = episodeEntry(ds, index);
  const end = Math.min(to ?? entry.length, entry.length);
  if (!Number.isInteger(from) || from < 0 || from >= end) {
    throw new UserError(
      `frame range [${from}, ${to ?? entry.length}) is empty or outside episode ${index} (${entry.length} frames)`,
    );
  }
  const zip = new ZipFile(join(ds.dir, entry.file));
  try {
    const member = zip.entry('image.npy');
    if (!member) throw new UserError(`${entry.file}: no 'image' array`);
    let head = await zip.readRange(member, 0, Math.min(member.size, 4096));
    if (head.byteLength >= 12) {
      // The header length sits at byte 8: u16 in .npy version 1, u32 in 2 and 3.
      const v = new DataView(head.buffer, head.byteOffset);
      const need = head[6] === 1 ? 10 + v.getUint16(8, true) : 12 + v.getUint32(8, true);
      if (need > head.byteLength) head = await zip.readRange(member, 0, Math.min(member.size, need));
    }
    const h = decodeNpyHeader(head, `${entry.file}:image.npy`);
    if (h.dtype !== '|u1' || h.shape.length !== 4 || (h.shape[3] !== 3 && h.shape[3] !== 1))
      throw new UserError(`${entry.file}: no uint8 (T, H, W, C) 'image' array`);
    const [T, H, W, C] = h.shape;
    if (member.size !== h.dataStart + T * H * W * C || end > T)
      throw new UserError(`${entry.file}: 'image' (${h.shape.join(', ')}) disagrees with its size or the index`);
    const row = H * W * C;
    const src = await zip.readRange(member, h.dataStart + from * row, h.dataStart + end * row);
    const n = end - from;
    if (C === 3) return { frames: src, shape: [n, H, W, 3] };
    const rgb = new Uint8Array(n * H * W * 3);
    for (let i = 0; i < n * H * W; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = src[i];
    return { frames: rgb, shape: [n, H, W, 3] };
  } finally {
    zip.close();
  }
}

/**
 * What an export writes next to the episodes so a later import keeps the env name and the action space
 * (Dreamer folders have no place for them). A name of its own, so it is never mistaken for dataset.json.
 */
export const EXPORT_META_FILE = 'oneiro-dataset.json';
const ExportMeta = z.object({
  format: z.literal('oneiro-export'),
  version: z.literal(1),
  name: z.string(),
  env: z.string().nullable(),
  observationShape: Meta.shape.observationShape,
  actionSpace: ActionSpace,
});
export type DatasetExportMeta = z.infer<typeof ExportMeta>;

/** The export metadata in `dir`, null when there is none; a file that does not validate is a one-line error. */
export function readExportMeta(dir: string): DatasetExportMeta | null {
  const file = join(dir, EXPORT_META_FILE);
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${EXPORT_META_FILE}: not readable JSON (${(e as Error).message})`);
  }
  const r = ExportMeta.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`${EXPORT_META_FILE}: invalid at '${issue.path.join('.')}': ${issue.message}`);
  }
  return r.data;
}

/** Copies the episode files (already in the Dreamer layout) into `toDir`, each atomically, with the export metadata. */
export function exportDataset(
  ds: Dataset,
  toDir: string,
  onFile?: (file: string) => void,
): { files: number; bytes: number } {
  const out = resolve(toDir);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`--to ${toDir} exists and is not a folder`);
  mkdirSync(out, { recursive: true });
  let bytes = 0;
  for (const e of ds.meta.episodes) {
    const data = readFileSync(join(ds.dir, e.file));
    writeFileAtomic(join(out, e.file), data);
    bytes += data.byteLength;
    onFile?.(e.file);
  }
  const meta: DatasetExportMeta = {
    format: 'oneiro-export',
    version: 1,
    name: ds.meta.name,
    env: ds.meta.env,
    observationShape: ds.meta.observationShape,
    actionSpace: ds.meta.actionSpace,
  };
  writeJsonAtomic(join(out, EXPORT_META_FILE), meta);
  return { files: ds.meta.episodes.length, bytes };
}
