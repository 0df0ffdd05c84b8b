import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Episode } from './episode.ts';
import { episodeFromArrays, isDroppedKey, oneHotActions, type Notes } from './episode-file.ts';
import { type NpyArray } from './npy.ts';
import { readNpz } from './npz.ts';
import { UserError } from '../util/errors.ts';
import { printable } from '../util/printable.ts';

/**
 * Importers for Dreamer-family folders (reference/mission-anchors.md §5):
 * - `dreamer`: one episode per `.npz` (Dreamer v1, DreamerV2, NM512, V-D4RL, LEXA), kept as is after
 *   conversion (float16 → float32, v1's missing is_first/is_last derived, is_terminal from discount).
 * - `dreamerv3`: replay chunks `<time>-<uuid>-<successor>-<len>.npz`, stitched along successor links, cut at
 *   is_first, actions shifted to the v2 alignment (§5.3: a2[0] = 0, a2[t] = a3[t−1]), int32 indices one-hot.
 * Bad files are reported by name and skipped; the good episodes are handed to `onEpisode`.
 */

export type ImportFormat = 'dreamer' | 'dreamerv3';

export interface ImportReport {
  format: ImportFormat;
  dir: string;
  /** Files looked at (episodes or chunks). */
  files: number;
  episodes: number;
  steps: number;
  /** Each bad file once, with why. */
  bad: { file: string; reason: string }[];
  /** Conversion phrase → number of episodes it was applied to. */
  converted: Record<string, number>;
  /** DreamerV3 only: episodes cut by missing chunks (no start or no end), dropped. */
  partial: number;
  /** DreamerV3 discrete actions: the one-hot width used. */
  numActions?: number;
}

export interface ImportOptions {
  format?: ImportFormat;
  /** One-hot width for DreamerV3 int32 actions; default: largest index seen + 1. */
  numActions?: number;
  onEpisode: (ep: Episode, sources: string[]) => void;
  /** Called once per file read (for progress). */
  onFile?: (file: string) => void;
}

const V3_NAME = /^([^-]+)-([0-9A-Za-z]+)-([0-9A-Za-z]+)-(\d+)\.npz$/;

function npzFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`import: ${dir} is not a folder`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.npz'))
    .sort();
  if (files.length === 0) {
    const sub = ['episodes', 'train_episodes', 'replay'].filter((s) => existsSync(join(dir, s)));
    throw new UserError(
      `import: no .npz files in ${dir}${sub.length ? ` (did you mean ${sub.map((s) => join(dir, s)).join(' or ')}?)` : ''}`,
    );
  }
  return files;
}

/**
 * The name an imported episode keeps: its own file's name (`dreamer`); for a DreamerV3 episode stitched from
 * chunks, DreamerV2's `<time>-<uuid>-<steps>.npz` with the first chunk's time and a uuid hashed from the episode's
 * frames and actions (two episodes can start in one chunk). The held-out split hashes names, so re-importing a
 * folder splits it the same way. Null when the name is not a plain file name (the dataset then draws one).
 */
export function importedEpisodeName(ep: Episode, sources: string[]): string | null {
  const first = sources[0] ?? '';
  const v3 = V3_NAME.exec(first);
  let name = sources.length === 1 && !v3 ? first : '';
  if (v3) {
    const h = createHash('sha256')
      .update(ep.image)
      .update(new Uint8Array(ep.action.buffer, ep.action.byteOffset, ep.action.byteLength));
    name = `${v3[1]}-${h.digest('hex').slice(0, 32)}-${ep.imageShape[0] - 1}.npz`;
  }
  return /^[\w-][\w.-]*\.npz$/.test(name) ? name : null;
}

/** `dreamerv3` when every file is named like a replay chunk (four dash-separated parts). */
export function detectFormat(dir: string): ImportFormat {
  const files = npzFiles(resolve(dir));
  return files.every((f) => V3_NAME.test(f)) ? 'dreamerv3' : 'dreamer';
}

/** Records a bad file; names come from a folder listing and are escaped for printing (see printable). */
function reject(report: ImportReport, file: string, reason: string): void {
  report.bad.push({ file: printable(file), reason: printable(reason) });
}

function tally(report: ImportReport, notes: Notes): void {
  for (const n of new Set(notes)) report.converted[n] = (report.converted[n] ?? 0) + 1;
}

export function importDreamerFolder(dirIn: string, opts: ImportOptions): ImportReport {
  const dir = resolve(dirIn);
  const format = opts.format ?? detectFormat(dir);
  const report: ImportReport = { format, dir, files: 0, episodes: 0, steps: 0, bad: [], converted: {}, partial: 0 };
  if (format === 'dreamer') importEpisodes(dir, opts, report);
  else importChunks(dir, opts, report);
  return report;
}

function importEpisodes(dir: string, opts: ImportOptions, report: ImportReport): void {
  for (const file of npzFiles(dir)) {
    report.files++;
    opts.onFile?.(file);
    const notes: Notes = [];
    let ep: Episode;
    try {
      ep = episodeFromArrays(readNpz(join(dir, file)), notes);
    } catch (e) {
      reject(report, file, stripSource((e as Error).message, join(dir, file)));
      continue;
    }
    if (!accept(ep, [file], notes, opts, report)) continue;
  }
}

/** Hands a good episode on unless the sink refuses it (e.g. frame size differs from the dataset's). */
function accept(ep: Episode, sources: string[], notes: Notes, opts: ImportOptions, report: ImportReport): boolean {
  try {
    opts.onEpisode(ep, sources);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    reject(report, sources.join(' + '), e.message.replace(/^dataset '[^']*': /, ''));
    return false;
  }
  tally(report, notes);
  report.episodes++;
  report.steps += ep.imageShape[0] - 1;
  return true;
}

function stripSource(msg: string, path: string): string {
  return msg.startsWith(`${path}:`) ? msg.slice(path.length + 1).trim() : msg;
}

// ---- DreamerV3 chunks --------------------------------------------------------------------------------

interface ChunkName {
  file: string;
  uuid: string;
  succ: string | null;
}

/** Orders chunk files into streams by following successor links from chunks nobody points to. */
export function chunkStreams(files: string[]): { streams: ChunkName[][]; unnamed: string[] } {
  const byUuid = new Map<string, ChunkName>();
  const unnamed: string[] = [];
  for (const file of files) {
    const m = V3_NAME.exec(file);
    if (!m) {
      unnamed.push(file);
      continue;
    }
    byUuid.set(m[2], { file, uuid: m[2], succ: /^0+$/.test(m[3]) ? null : m[3] });
  }
  const pointedTo = new Set([...byUuid.values()].map((c) => c.succ).filter((s): s is string => s !== null));
  const heads = [...byUuid.values()].filter((c) => !pointedTo.has(c.uuid)).sort((a, b) => (a.file < b.file ? -1 : 1));
  const seen = new Set<string>();
  const streams: ChunkName[][] = [];
  const follow = (head: ChunkName) => {
    const s: ChunkName[] = [];
    for (let c: ChunkName | undefined = head; c && !seen.has(c.uuid); c = c.succ ? byUuid.get(c.succ) : undefined) {
      seen.add(c.uuid);
      s.push(c);
    }
    streams.push(s);
  };
  for (const h of heads) follow(h);
  // Chunks only reachable through a cycle (malformed links): still read them, in name order.
  for (const c of [...byUuid.values()].sort((a, b) => (a.file < b.file ? -1 : 1))) if (!seen.has(c.uuid)) follow(c);
  return { streams, unnamed };
}

const REQUIRED_V3 = ['image', 'action', 'reward', 'is_first', 'is_last', 'is_terminal'];

/** Checks a chunk's keys, dtypes and lengths; returns its row count. */
function checkChunk(arrays: Record<string, NpyArray>): number {
  for (const k of REQUIRED_V3)
    if (!(k in arrays)) throw new Error(`missing key '${k}' (has: ${Object.keys(arrays).join(', ')})`);
  const L = arrays.image.shape[0];
  if (arrays.image.dtype !== '|u1')
    throw new Error(`wrong dtype: 'image' is ${arrays.image.dtype}, expected uint8 (|u1)`);
  for (const [k, a] of Object.entries(arrays)) {
    if (isDroppedKey(k)) continue;
    if (a.shape[0] !== L)
      throw new Error(
        `lengths disagree: 'image' has ${L} rows but '${k}' has ${a.shape.length ? a.shape[0] : 'none (scalar)'}`,
      );
  }
  for (const k of ['is_first', 'is_last', 'is_terminal']) {
    if (arrays[k].dtype !== '|b1') throw new Error(`wrong dtype: '${k}' is ${arrays[k].dtype}, expected bool (|b1)`);
  }
  return L;
}

function sliceRows(a: NpyArray, from: number, to: number): NpyArray {
  const row = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return {
    dtype: a.dtype,
    shape: [to - from, ...a.shape.slice(1)],
    data: a.data.slice(from * row, to * row) as NpyArray['data'],
  };
}

function concatRows(parts: NpyArray[]): NpyArray {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const rows = parts.reduce((n, p) => n + p.shape[0], 0);
  const total = parts.reduce((n, p) => n + p.data.length, 0);
  const Ctor = first.data.constructor as new (n: number) => NpyArray['data'];
  const data = new Ctor(total);
  let off = 0;
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.shape.slice(1).join() !== first.shape.slice(1).join()) {
      throw new Error(
        `chunks disagree on '${p.dtype} (${p.shape.slice(1).join(', ')})' vs '${first.dtype} (${first.shape.slice(1).join(', ')})'`,
      );
    }
    (data as unknown as { set(a: ArrayLike<number | bigint>, o: number): void }).set(p.data, off);
    off += p.data.length;
  }
  return { dtype: first.dtype, shape: [rows, ...first.shape.slice(1)], data };
}

function importChunks(dir: string, opts: ImportOptions, report: ImportReport): void {
  const { streams, unnamed } = chunkStreams(npzFiles(dir));
  for (const f of unnamed) {
    report.files++;
    reject(report, f, 'name is not <time>-<uuid>-<successor uuid>-<length>.npz (a DreamerV3 replay chunk)');
  }
  const load = (file: string): Record<string, NpyArray> | null => {
    try {
      const arrays = readNpz(join(dir, file));
      checkChunk(arrays);
      return arrays;
    } catch (e) {
      reject(report, file, stripSource((e as Error).message, join(dir, file)));
      return null;
    }
  };

  // Discrete actions are int32 indices and the one-hot width is not stored: take it from the flag, or from a
  // first pass that inflates only the `action` members (chunks are not kept in memory between passes).
  let numActions = opts.numActions;
  let discrete = false;
  for (const s of streams) {
    for (const c of s) {
      let a: NpyArray | undefined;
      try {
        a = readNpz(join(dir, c.file), { keys: ['action'] }).action;
      } catch {
        continue; // reported by the main pass
      }
      if (a && a.shape.length === 1 && a.dtype !== '<f4' && a.dtype !== '<f2' && a.dtype !== '<f8') {
        discrete = true;
        if (opts.numActions === undefined)
          for (const v of a.data) numActions = Math.max(numActions ?? 0, Number(v) + 1);
      }
    }
  }
  if (discrete) report.numActions = numActions;

  for (const stream of streams) {
    let pending: { arrays: Record<string, NpyArray>; from: number; to: number; file: string }[] = [];
    let started = false;
    const flush = (complete: boolean) => {
      if (pending.length === 0) return;
      if (!complete || !started) {
        report.partial++;
      } else {
        emitEpisode(pending, numActions, opts, report);
      }
      pending = [];
      started = false;
    };
    for (const c of stream) {
      report.files++;
      opts.onFile?.(c.file);
      const arrays = load(c.file);
      // A bad chunk breaks the stream: whatever episode was open loses its middle.
      if (!arrays) {
        flush(false);
        continue;
      }
      const first = arrays.is_first.data as Uint8Array;
      const last = arrays.is_last.data as Uint8Array;
      const L = arrays.image.shape[0];
      let segStart = 0;
      for (let r = 0; r < L; r++) {
        if (first[r] && r > segStart) {
          pending.push({ arrays, from: segStart, to: r, file: c.file });
          flush(false);
          segStart = r;
        }
        if (first[r]) {
          flush(false);
          started = true;
        }
        if (last[r]) {
          pending.push({ arrays, from: segStart, to: r + 1, file: c.file });
          flush(true);
          segStart = r + 1;
        }
      }
      if (segStart < L) pending.push({ arrays, from: segStart, to: L, file: c.file });
    }
    flush(false);
  }
}

function emitEpisode(
  parts: { arrays: Record<string, NpyArray>; from: number; to: number; file: string }[],
  numActions: number | undefined,
  opts: ImportOptions,
  report: ImportReport,
): void {
  const sources = [...new Set(parts.map((p) => p.file))];
  const notes: Notes = [];
  let ep: Episode;
  try {
    const keys = Object.keys(parts[0].arrays).filter((k) => !isDroppedKey(k) && parts.every((p) => k in p.arrays));
    const joined: Record<string, NpyArray> = {};
    for (const k of keys) joined[k] = concatRows(parts.map((p) => sliceRows(p.arrays[k], p.from, p.to)));
    const dropped = Object.keys(parts[0].arrays).filter(isDroppedKey);
    if (dropped.length) notes.push(`dropped ${dropped.join(', ')}`);
    if (sources.length > 1) notes.push('joined across chunks');
    // One-hot before shifting, so row 0 becomes the zero vector rather than action 0.
    const act = joined.action;
    const isIndex = act.shape.length === 1 && !['<f2', '<f4', '<f8'].includes(act.dtype);
    if (isIndex && !numActions)
      throw new Error(`'action' holds ${act.dtype} indices but the number of actions is unknown`);
    joined.action = shiftActionV3toV2(isIndex ? oneHotActions(act, numActions!, notes) : act);
    notes.push('action shifted to v2 alignment (a2[t] = a3[t−1], a2[0] = 0)');
    ep = episodeFromArrays(joined, notes);
  } catch (e) {
    reject(report, sources.join(' + '), (e as Error).message);
    return;
  }
  accept(ep, sources, notes, opts, report);
}

/**
 * DreamerV3 row t holds the action chosen at obs t; v2 row t holds the action that led to obs t
 * (reference/mission-anchors.md §5.3): a2[0] = 0, a2[t] = a3[t−1]. The last v3 action (zeroed on is_last) drops.
 */
export function shiftActionV3toV2(a: NpyArray): NpyArray {
  const row = a.shape.slice(1).reduce((x, y) => x * y, 1);
  const Ctor = a.data.constructor as new (n: number) => NpyArray['data'];
  const data = new Ctor(a.data.length);
  (data as unknown as { set(x: ArrayLike<number | bigint>, o: number): void }).set(
    a.data.subarray(0, a.data.length - row),
    row,
  );
  return { dtype: a.dtype, shape: a.shape, data };
}
