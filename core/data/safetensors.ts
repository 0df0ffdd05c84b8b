import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';

/**
 * safetensors (huggingface/safetensors README): 8-byte little-endian u64 header length N, N bytes of
 * UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then the
 * byte buffer (little-endian, row-major); offsets are relative to the start of the buffer.
 * Plain typed arrays only (no tfjs), so trainers, the CLI and tools can all use it; see safetensors-tf.ts.
 */

export type SafeDtype = 'F32' | 'F16' | 'I32' | 'U8' | 'BOOL';

/** F16 data is the raw half bits (core/data/float16.ts converts); BOOL is one byte per element (0/1). */
export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array | Uint16Array | Int32Array | Uint8Array;
}

export type SafeTensors = Record<string, SafeTensor>;

export interface SafetensorsFile {
  tensors: SafeTensors;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, I32: 4, U8: 1, BOOL: 1 };
const ARRAY: Record<SafeDtype, { name: string; is: (a: unknown) => boolean }> = {
  F32: { name: 'Float32Array', is: (a) => a instanceof Float32Array },
  F16: { name: 'Uint16Array', is: (a) => a instanceof Uint16Array },
  I32: { name: 'Int32Array', is: (a) => a instanceof Int32Array },
  U8: { name: 'Uint8Array', is: (a) => a instanceof Uint8Array },
  BOOL: { name: 'Uint8Array', is: (a) => a instanceof Uint8Array },
};
/** Dtypes of the format we recognise but do not load, so the error can say "unsupported" rather than "unknown". */
const OTHER_DTYPES = new Set(['F64', 'BF16', 'I64', 'I16', 'I8', 'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2']);
/** The reference implementation refuses headers above 100 MB (huggingface/safetensors README). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function bad(source: string, problem: string): UserError {
  return new UserError(`${source}: not a valid safetensors file: ${problem}`);
}

/** Checks a tensor before writing: known dtype, matching typed array, data length = product of shape. */
function checkForWrite(name: string, t: SafeTensor): void {
  if (name === METADATA_KEY || name.length === 0)
    throw new UserError(`safetensors: tensor name '${name}' is reserved or empty`);
  if (!(t.dtype in BYTES))
    throw new UserError(
      `safetensors: tensor '${name}' has dtype '${t.dtype}', expected one of ${Object.keys(BYTES).join(', ')}`,
    );
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new UserError(
      `safetensors: tensor '${name}' has shape ${JSON.stringify(t.shape)}, expected non-negative integers`,
    );
  }
  if (!ARRAY[t.dtype].is(t.data)) {
    throw new UserError(
      `safetensors: tensor '${name}' (${t.dtype}) must hold a ${ARRAY[t.dtype].name}, got ${t.data.constructor.name}`,
    );
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new UserError(
      `safetensors: tensor '${name}' has ${t.data.length} elements but shape [${t.shape.join(', ')}] needs ${sizeOf(t.shape)}`,
    );
  }
}

/**
 * Serialises to the parts of a file: [8-byte length, header, buffer]. Tensors are laid out by element size
 * (largest first, then by name, as the reference writer does) so every offset is aligned for its dtype.
 */
export function encodeSafetensors(tensors: SafeTensors, metadata: Record<string, string> = {}): Uint8Array[] {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string')
      throw new UserError(`safetensors: __metadata__ value for '${k}' must be a string, got ${typeof v}`);
  }
  const names = Object.keys(tensors).sort(
    (a, b) => BYTES[tensors[b].dtype] - BYTES[tensors[a].dtype] || (a < b ? -1 : a > b ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors[name];
    checkForWrite(name, t);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the buffer starts 8-byte aligned (allowed by the format; JSON ignores trailing spaces).
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = new Uint8Array(Buffer.from(json, 'utf8'));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  return [len, headerBytes, ...chunks];
}

/** One contiguous file image (for tests and in-memory use). */
export function encodeSafetensorsBytes(tensors: SafeTensors, metadata: Record<string, string> = {}): Uint8Array {
  return new Uint8Array(Buffer.concat(encodeSafetensors(tensors, metadata)));
}

/**
 * Parses and fully validates a file image before returning anything. `source` names the file in errors.
 * Data is copied into fresh typed arrays (the file's offsets need not be aligned for the dtype).
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors buffer'): SafetensorsFile {
  if (bytes.byteLength < 8)
    throw bad(source, `truncated: ${bytes.byteLength} bytes, the 8-byte header length alone needs 8`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw bad(source, `header length ${n64} bytes exceeds the 100 MB limit`);
  const n = Number(n64);
  if (8 + n > bytes.byteLength) {
    throw bad(source, `header length ${n} bytes runs past the end of the file (${bytes.byteLength} bytes; truncated?)`);
  }
  if (n < 2) throw bad(source, `header length ${n} is too small for a JSON object`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(source, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad(source, 'header is not a JSON object');
  const bufStart = 8 + n;
  const bufLen = bytes.byteLength - bufStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw bad(source, '__metadata__ is not a string-to-string object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(source, `__metadata__['${k}'] is ${typeof v}, expected a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null) throw bad(source, `entry '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in BYTES)) {
      const what = typeof dtype === 'string' && OTHER_DTYPES.has(dtype) ? 'unsupported' : 'unknown';
      throw bad(
        source,
        `tensor '${name}' has ${what} dtype ${JSON.stringify(dtype)}, expected one of ${Object.keys(BYTES).join(', ')}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(
        source,
        `tensor '${name}' has shape ${JSON.stringify(shape)}, expected a list of non-negative integers`,
      );
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(source, `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, expected [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > bufLen) {
      throw bad(
        source,
        `tensor '${name}' data_offsets [${begin}, ${end}] are out of range of the ${bufLen}-byte buffer`,
      );
    }
    const want = sizeOf(shape as number[]) * BYTES[dtype as SafeDtype];
    if (end - begin !== want) {
      throw bad(
        source,
        `tensor '${name}' shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${want} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as SafeDtype, shape: shape as number[], begin, end });
  }
  // The reference reader requires the tensors to tile the buffer exactly: no overlap, no gap, no trailing bytes.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor)
      throw bad(
        source,
        `tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (which ends at ${cursor})`,
      );
    if (e.begin > cursor)
      throw bad(source, `bytes ${cursor}..${e.begin} of the buffer belong to no tensor (before '${e.name}')`);
    cursor = e.end;
  }
  if (cursor !== bufLen)
    throw bad(source, `the buffer has ${bufLen} bytes but the tensors cover ${cursor} (truncated or trailing data)`);

  const tensors: SafeTensors = {};
  for (const e of entries) {
    // new Uint8Array(view) copies: a Node Buffer's slice() would share (and misalign) the pooled memory.
    const copy = new Uint8Array(bytes.subarray(bufStart + e.begin, bufStart + e.end)).buffer;
    const count = sizeOf(e.shape);
    const data =
      e.dtype === 'F32'
        ? new Float32Array(copy, 0, count)
        : e.dtype === 'F16'
          ? new Uint16Array(copy, 0, count)
          : e.dtype === 'I32'
            ? new Int32Array(copy, 0, count)
            : new Uint8Array(copy, 0, count);
    if (e.dtype === 'BOOL') {
      for (let i = 0; i < data.length; i++) {
        if (data[i] > 1)
          throw bad(source, `tensor '${e.name}' (BOOL) holds byte ${data[i]} at element ${i}, expected 0 or 1`);
      }
    }
    tensors[e.name] = { dtype: e.dtype, shape: [...e.shape], data };
  }
  return { tensors, metadata };
}

/** Writes atomically (temp file, fsync, rename). */
export function saveSafetensors(path: string, tensors: SafeTensors, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export function loadSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(
      `${path}: cannot read safetensors file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return decodeSafetensors(bytes, path);
}
