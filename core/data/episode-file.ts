import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Episode } from './episode.ts';
import { npyArray, sizeOfShape, type NpyArray } from './npy.ts';
import { decodeNpz, readNpz, writeNpz, type NpzWriteOptions } from './npz.ts';
import { decodeFloat16 } from './float16.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/**
 * Episodes as Dreamer v1/v2 `.npz` files (reference/mission-anchors.md §5.1–5.2): `image` uint8 [T,H,W,3],
 * `action` float32 [T,A] (row t: the action that led to observation t; row 0 zeros), `reward` float32 [T],
 * `is_first`/`is_last`/`is_terminal` bool [T], `discount` float32 [T], plus extra per-row keys (vector state).
 * Reading validates everything and converts what older writers did differently, noting each conversion.
 */

export const EPISODE_KEYS = ['image', 'action', 'reward', 'is_first', 'is_last', 'is_terminal', 'discount'] as const;

/** Keys that only ever held logging or agent state (DreamerV2 log_*, DreamerV3 log/*, stepid, dyn/*, reset). */
export function isDroppedKey(key: string): boolean {
  return (
    key.startsWith('log_') || key.startsWith('log/') || key.startsWith('dyn/') || key === 'stepid' || key === 'reset'
  );
}

/** Conversions applied to one file, as short phrases ("action float16 → float32"). */
export type Notes = string[];

const FLOAT = new Set(['<f2', '<f4', '<f8']);
const INT = new Set(['|u1', '|i1', '<i2', '<i4', '<i8']);

function toFloat32(a: NpyArray, key: string, notes: Notes): Float32Array {
  if (a.dtype === '<f4') return a.data as Float32Array;
  if (a.dtype === '<f2') {
    notes.push(`${key} float16 → float32`);
    return decodeFloat16(a.data as Uint16Array);
  }
  if (a.dtype === '<f8') {
    notes.push(`${key} float64 → float32`);
    return Float32Array.from(a.data as Float64Array);
  }
  throw new Error(`wrong dtype: '${key}' is ${a.dtype}, expected a float array (<f4, or <f2/<f8 to convert)`);
}

function toBool(a: NpyArray, key: string, notes: Notes): Uint8Array {
  if (a.dtype === '|b1') return a.data as Uint8Array;
  if (INT.has(a.dtype) || FLOAT.has(a.dtype)) {
    notes.push(`${key} ${a.dtype} → bool`);
    const src = a.dtype === '<f2' ? decodeFloat16(a.data as Uint16Array) : a.data;
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
    return out;
  }
  throw new Error(`wrong dtype: '${key}' is ${a.dtype}, expected bool (|b1)`);
}

/** The per-row shape check: key must have `rows` rows and the given trailing shape (if any). */
function rowsOf(a: NpyArray, key: string, rows: number, expect: string): void {
  if (a.shape.length === 0) throw new Error(`wrong shape: '${key}' is a scalar, expected ${expect}`);
  if (a.shape[0] !== rows) throw new Error(`lengths disagree: 'image' has ${rows} rows but '${key}' has ${a.shape[0]}`);
}

/** NaN or ±Inf in a float array the models learn from poisons every sum over it (returns, losses): refuse it. */
function finiteRows(a: Float32Array, width: number, key: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      const where = width > 1 ? `row ${Math.floor(i / width)}, column ${i % width}` : `row ${i}`;
      throw new Error(`non-finite value: '${key}' is ${a[i]} at ${where}; expected finite numbers`);
    }
  }
}

/** Integer action indices (T,) → one-hot float32 (T, n). */
export function oneHotActions(a: NpyArray, n: number, notes: Notes): NpyArray {
  const T = a.shape[0];
  notes.push(`discrete action ${a.dtype} index → one-hot float32 [${n}]`);
  const out = new Float32Array(T * n);
  for (let t = 0; t < T; t++) {
    const k = Number(a.data[t]);
    if (!(Number.isInteger(k) && k >= 0 && k < n))
      throw new Error(`'action' index ${k} at row ${t} is outside [0, ${n})`);
    out[t * n + k] = 1;
  }
  return { dtype: '<f4', shape: [T, n], data: out };
}

export interface FromArraysOptions {
  /** One-hot size for integer action indices (DreamerV3 discrete actions); without it they are an error. */
  numActions?: number;
}

/**
 * Validates and converts a dict of arrays into an Episode. Throws an Error naming the problem (missing key,
 * wrong dtype or shape, lengths that disagree); the caller adds the file name.
 */
export function episodeFromArrays(
  arrays: Record<string, NpyArray>,
  notes: Notes = [],
  opts: FromArraysOptions = {},
): Episode {
  for (const key of ['image', 'action', 'reward']) {
    if (!(key in arrays)) throw new Error(`missing key '${key}' (has: ${Object.keys(arrays).join(', ') || 'nothing'})`);
  }
  const img = arrays.image;
  if (img.dtype !== '|u1') throw new Error(`wrong dtype: 'image' is ${img.dtype}, expected uint8 (|u1)`);
  if (img.shape.length !== 4 || (img.shape[3] !== 3 && img.shape[3] !== 1)) {
    throw new Error(`wrong shape: 'image' is (${img.shape.join(', ')}), expected (T, H, W, 3) or (T, H, W, 1)`);
  }
  const [T, H, W, C] = img.shape;
  if (T < 1) throw new Error(`'image' has no rows`);
  let image = img.data as Uint8Array;
  if (C === 1) {
    notes.push('image grayscale → RGB');
    const rgb = new Uint8Array(T * H * W * 3);
    for (let i = 0; i < image.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = image[i];
    image = rgb;
  }

  const act = arrays.action;
  rowsOf(act, 'action', T, '(T, A)');
  let action: Float32Array;
  let actionDim: number;
  if (INT.has(act.dtype) && act.shape.length === 1) {
    const n = opts.numActions;
    if (!n) throw new Error(`wrong dtype: 'action' holds ${act.dtype} indices (T,), expected float32 (T, A) one-hot`);
    const hot = oneHotActions(act, n, notes);
    action = hot.data as Float32Array;
    actionDim = n;
  } else {
    action = toFloat32(act, 'action', notes);
    if (act.shape.length === 1) {
      actionDim = 1;
    } else if (act.shape.length === 2) {
      actionDim = act.shape[1];
    } else {
      throw new Error(`wrong shape: 'action' is (${act.shape.join(', ')}), expected (T, A)`);
    }
  }

  finiteRows(action, actionDim, 'action');

  const rew = arrays.reward;
  rowsOf(rew, 'reward', T, '(T,)');
  if (sizeOfShape(rew.shape) !== T)
    throw new Error(`wrong shape: 'reward' is (${rew.shape.join(', ')}), expected (${T},)`);
  const reward = toFloat32(rew, 'reward', notes);
  finiteRows(reward, 1, 'reward');

  const flag = (key: string): Uint8Array | null => {
    const a = arrays[key];
    if (!a) return null;
    rowsOf(a, key, T, '(T,)');
    if (sizeOfShape(a.shape) !== T)
      throw new Error(`wrong shape: '${key}' is (${a.shape.join(', ')}), expected (${T},)`);
    return toBool(a, key, notes);
  };
  let isFirst = flag('is_first');
  let isLast = flag('is_last');
  let isTerminal = flag('is_terminal');
  let discount: Float32Array | null = null;
  if (arrays.discount) {
    rowsOf(arrays.discount, 'discount', T, '(T,)');
    if (sizeOfShape(arrays.discount.shape) !== T)
      throw new Error(`wrong shape: 'discount' is (${arrays.discount.shape.join(', ')}), expected (${T},)`);
    discount = toFloat32(arrays.discount, 'discount', notes);
    finiteRows(discount, 1, 'discount');
  }
  if (!isFirst) {
    // Dreamer v1 stores no is_first: every file is one episode, so row 0 starts it.
    notes.push('is_first derived (row 0)');
    isFirst = new Uint8Array(T);
    isFirst[0] = 1;
  }
  if (!isLast) {
    notes.push('is_last derived (last row)');
    isLast = new Uint8Array(T);
    isLast[T - 1] = 1;
  }
  if (!isTerminal) {
    isTerminal = new Uint8Array(T);
    if (discount) {
      // v1: discount = 1 − done; a time-limit end keeps discount 1, so only discount 0 means termination.
      notes.push('is_terminal derived from discount == 0');
      for (let t = 0; t < T; t++) isTerminal[t] = discount[t] === 0 ? 1 : 0;
    } else {
      notes.push('is_terminal missing → all false');
    }
  }
  if (!discount) {
    discount = new Float32Array(T);
    for (let t = 0; t < T; t++) discount[t] = isTerminal[t] ? 0 : 1;
  }

  const extra: NonNullable<Episode['extra']> = {};
  const dropped: string[] = [];
  for (const [key, a] of Object.entries(arrays)) {
    if ((EPISODE_KEYS as readonly string[]).includes(key)) continue;
    if (isDroppedKey(key)) {
      dropped.push(key);
      continue;
    }
    rowsOf(a, key, T, '(T, ...)');
    if (a.dtype === '<f2' || a.dtype === '<f8') {
      extra[key] = { dtype: '<f4', shape: a.shape, data: toFloat32(a, key, notes) };
    } else if (a.dtype === '<i8') {
      // As DreamerV2's replay does: signed ints → int32.
      notes.push(`${key} int64 → int32`);
      extra[key] = { dtype: '<i4', shape: a.shape, data: Int32Array.from(a.data as BigInt64Array, (v) => Number(v)) };
    } else {
      extra[key] = { dtype: a.dtype, shape: a.shape, data: a.data };
    }
  }
  if (dropped.length) notes.push(`dropped ${dropped.join(', ')}`);

  return {
    image,
    imageShape: [T, H, W, 3],
    action,
    actionDim,
    reward,
    isFirst,
    isLast,
    isTerminal,
    discount,
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}

export function episodeToArrays(ep: Episode): Record<string, NpyArray> {
  const T = ep.imageShape[0];
  const out: Record<string, NpyArray> = {
    image: npyArray('|u1', [...ep.imageShape], ep.image),
    action: npyArray('<f4', [T, ep.actionDim], ep.action),
    reward: npyArray('<f4', [T], ep.reward),
    is_first: npyArray('|b1', [T], ep.isFirst),
    is_last: npyArray('|b1', [T], ep.isLast),
    is_terminal: npyArray('|b1', [T], ep.isTerminal),
    discount: npyArray('<f4', [T], ep.discount),
  };
  for (const [key, a] of Object.entries(ep.extra ?? {})) {
    out[key] = npyArray(a.dtype as NpyArray['dtype'], a.shape, a.data as NpyArray['data']);
  }
  return out;
}

/** `<YYYYmmddTHHMMSS>-<uuid4 hex>-<steps>.npz`, steps = rows − 1 (DreamerV2's `eplen`); UTC time. */
export function episodeFileName(ep: Episode, when = new Date(), uuid = randomUUID().replace(/-/g, '')): string {
  const ts = when.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${ts}-${uuid}-${ep.imageShape[0] - 1}.npz`;
}

/**
 * A reproducible name for scripted collection (eval scripts): a fixed time and a uuid drawn from (seed, index).
 * The held-out split hashes file names (replay.ts splitEpisodes), so with `episodeFileName`'s clock and random
 * uuid a re-run of the same seed trained and scored on a different split of the same episodes.
 */
export function seededEpisodeName(ep: Episode, seed: number, index: number): string {
  if (!Number.isInteger(seed) || !Number.isInteger(index) || index < 0)
    throw new Error(`seededEpisodeName: seed and index must be whole numbers (index ≥ 0), got ${seed}, ${index}`);
  const rng = new Rng((seed * 100003 + index) >>> 0);
  let uuid = '';
  for (let k = 0; k < 8; k++) uuid += rng.int(65536).toString(16).padStart(4, '0');
  return episodeFileName(ep, new Date(Date.UTC(2000, 0, 1)), uuid);
}

export function writeEpisode(path: string, ep: Episode, opts: NpzWriteOptions = {}): void {
  writeNpz(path, episodeToArrays(ep), opts);
}

/** Reads and validates one episode file; errors are UserErrors naming the file. */
export function readEpisodeFile(path: string, notes: Notes = [], opts: FromArraysOptions = {}): Episode {
  const arrays = readNpz(path);
  try {
    return episodeFromArrays(arrays, notes, opts);
  } catch (e) {
    throw new UserError(`${basename(path)}: ${(e as Error).message}`);
  }
}

export function decodeEpisode(bytes: Uint8Array, source: string, notes: Notes = []): Episode {
  const arrays = decodeNpz(bytes, source);
  try {
    return episodeFromArrays(arrays, notes);
  } catch (e) {
    throw new UserError(`${source}: ${(e as Error).message}`);
  }
}

/** Bytes an episode holds in memory (for the replay cache). */
export function episodeBytes(ep: Episode): number {
  let n =
    ep.image.byteLength +
    ep.action.byteLength +
    ep.reward.byteLength +
    ep.discount.byteLength +
    3 * ep.isFirst.byteLength;
  for (const a of Object.values(ep.extra ?? {})) n += a.data.byteLength;
  return n;
}
