import { zipSync, type Zippable } from 'fflate';
import { decodeNpy, encodeNpy, type NpyArray } from './npy.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import {
  bytesReader,
  inflateMember,
  maxEpisodeBytes,
  overCapMessage,
  readZipDirectory,
  ZipFile,
  type ReadAt,
} from './zip.ts';

/**
 * .npz = a zip of `<key>.npy` members, stored (np.savez) or deflated (np.savez_compressed, what every
 * Dreamer writes). numpy writes members with zip64 extra fields;
 * zip.ts reads them with a cap on inflated bytes, fflate writes.
 */

export interface NpzReadOptions {
  /** Only decode these keys (others are skipped before inflating). */
  keys?: readonly string[];
  /** Cap on the bytes the decoded members may inflate to, together (default: maxEpisodeBytes()). */
  maxBytes?: number;
}

/** Inflates the wanted members through the capped zip reader and parses each as .npy. */
function decodeMembers(readAt: ReadAt, size: number, source: string, opts: NpzReadOptions): Record<string, NpyArray> {
  const cap = opts.maxBytes ?? maxEpisodeBytes();
  const want = opts.keys ? new Set(opts.keys.map((k) => `${k}.npy`)) : null;
  const entries = readZipDirectory(readAt, size, source).filter(
    (e) => !e.name.endsWith('/') && (!want || want.has(e.name)),
  );
  // Declared sizes are checked together before anything inflates; inflation itself stops at each one.
  const declared = entries.reduce((n, e) => n + e.size, 0);
  if (declared > cap)
    throw new UserError(overCapMessage(source, `members declare ${declared} bytes uncompressed`, cap));
  const out: Record<string, NpyArray> = {};
  for (const e of entries) {
    // numpy names members "<key>.npy"; a key may itself contain '/' (DreamerV3's 'dyn/deter').
    const key = e.name.endsWith('.npy') ? e.name.slice(0, -4) : e.name;
    out[key] = decodeNpy(inflateMember(readAt, e, source, cap), `${source}:${e.name}`);
  }
  return out;
}

/** Parses an .npz image; `source` names the file in every error. */
export function decodeNpz(bytes: Uint8Array, source = 'npz', opts: NpzReadOptions = {}): Record<string, NpyArray> {
  return decodeMembers(bytesReader(bytes), bytes.byteLength, source, opts);
}

/** Reads an .npz from disk: regular files only, members read by offset (the file is never loaded whole). */
export function readNpz(path: string, opts: NpzReadOptions = {}): Record<string, NpyArray> {
  const zip = new ZipFile(path, opts.maxBytes ?? maxEpisodeBytes());
  try {
    return decodeMembers(zip.readAt, zip.size, path, { ...opts, maxBytes: zip.cap });
  } finally {
    zip.close();
  }
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
