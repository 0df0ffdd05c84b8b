import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { decodeNpy, encodeNpy, type NpyArray } from './npy.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';

/**
 * .npz = a zip of `<key>.npy` members, stored (np.savez) or deflated (np.savez_compressed, what every
 * Dreamer writes). numpy writes members with zip64 extra fields; fflate reads them.
 */

export interface NpzReadOptions {
  /** Only decode these keys (others are skipped before inflating). */
  keys?: readonly string[];
}

/** Parses an .npz image; `source` names the file in every error. */
export function decodeNpz(bytes: Uint8Array, source = 'npz', opts: NpzReadOptions = {}): Record<string, NpyArray> {
  let members: Record<string, Uint8Array>;
  const want = opts.keys ? new Set(opts.keys.map((k) => `${k}.npy`)) : null;
  try {
    members = unzipSync(bytes, want ? { filter: (f) => want.has(f.name) } : undefined);
  } catch (e) {
    throw new UserError(
      `${source}: not a readable .npz (zip) archive: ${(e as Error).message}${bytes.byteLength < 22 ? ' (file too short)' : ' (truncated or corrupt?)'}`,
    );
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, data] of Object.entries(members)) {
    if (name.endsWith('/')) continue;
    // numpy names members "<key>.npy"; a key may itself contain '/' (DreamerV3's 'dyn/deter').
    const key = name.endsWith('.npy') ? name.slice(0, -4) : name;
    out[key] = decodeNpy(data, `${source}:${name}`);
  }
  return out;
}

export function readNpz(path: string, opts: NpzReadOptions = {}): Record<string, NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeNpz(bytes, path, opts);
}

export interface NpzWriteOptions {
  /** Deflate members like np.savez_compressed (default true); false stores them like np.savez. */
  compress?: boolean;
  /** Deflate level when compressing (default 6; 1 is much faster on large image arrays). */
  level?: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

export function encodeNpz(arrays: Record<string, NpyArray>, opts: NpzWriteOptions = {}): Uint8Array {
  const compress = opts.compress ?? true;
  const files: Zippable = {};
  for (const [key, arr] of Object.entries(arrays)) files[`${key}.npy`] = encodeNpy(arr);
  // A fixed timestamp keeps archives byte-identical for identical arrays (fflate's default is "now").
  return zipSync(files, { level: compress ? (opts.level ?? 6) : 0, mtime: new Date(2020, 0, 1) });
}

/** Writes atomically (temp file, fsync, rename). */
export function writeNpz(path: string, arrays: Record<string, NpyArray>, opts: NpzWriteOptions = {}): void {
  writeFileAtomic(path, encodeNpz(arrays, opts));
}
