/**
 * The WebSocket wire format of web mode. Browser-safe (no Buffer): TextEncoder, DataView, typed arrays.
 *
 * Messages:
 *   client → host  { t: 'req', id, ch, p }
 *   host → client  { t: 'res', id, ok: true, r } | { t: 'res', id, ok: false, e: WireError }
 *                  { t: 'evt', ev, p }   { t: 'hello', version, protocol }
 * A message without typed arrays is a text frame of JSON. A message with typed arrays is one binary frame:
 *   "ONR1" | u32 LE header length | header JSON (utf-8) | pad to 8 | blob 0 | pad | blob 1 | …
 * where the header is the message with every typed array replaced by { "$bin": i } plus
 * `bins: [[type, byteOffset, byteLength], …]`. Pixels therefore never travel as JSON numbers.
 */

export const WIRE_MAGIC = 0x31524e4f; // "ONR1" read as u32 LE
export const PROTOCOL_VERSION = 1;
/** Upper bound of one message (a 1000-frame 64×64 strip is 12 MB; exports can be larger). */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

const TYPES = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypeName = keyof typeof TYPES;

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
  readonly code = 'malformed' as const;
}

function typeNameOf(v: ArrayBufferView): TypeName | null {
  const n = Object.prototype.toString.call(v).slice(8, -1);
  return n in TYPES ? (n as TypeName) : null;
}

/** Replaces typed arrays by { $bin: i } and collects them. Plain objects and arrays only. */
function extract(value: unknown, bins: ArrayBufferView[], depth = 0): unknown {
  if (depth > 64) throw new WireFormatError('message nests deeper than 64 levels');
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) {
    if (!typeNameOf(value))
      throw new WireFormatError(`unsupported binary type ${Object.prototype.toString.call(value)}`);
    bins.push(value);
    return { $bin: bins.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v) => extract(v, bins, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = extract(v, bins, depth + 1);
  return out;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Encodes a message: a string (JSON) when it holds no typed array, else one binary frame. */
export function encodeMessage(message: unknown): string | Uint8Array {
  const bins: ArrayBufferView[] = [];
  const body = extract(message, bins);
  if (bins.length === 0) return JSON.stringify(body);
  let offset = 0;
  const table: [TypeName, number, number][] = bins.map((b) => {
    const entry: [TypeName, number, number] = [typeNameOf(b)!, offset, b.byteLength];
    offset = align8(offset + b.byteLength);
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({ m: body, bins: table }));
  const blobStart = align8(8 + header.byteLength);
  const out = new Uint8Array(blobStart + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, WIRE_MAGIC, true);
  dv.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  bins.forEach((b, i) => out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), blobStart + table[i][1]));
  return out;
}

function restore(value: unknown, arrays: ArrayBufferView[], depth = 0): unknown {
  if (depth > 64) throw new WireFormatError('message nests deeper than 64 levels');
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => restore(v, arrays, depth + 1));
  const obj = value as Record<string, unknown>;
  if ('$bin' in obj) {
    const i = obj.$bin;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= arrays.length)
      throw new WireFormatError(`binary reference ${JSON.stringify(i)} does not name a blob of this frame`);
    return arrays[i];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = restore(v, arrays, depth + 1);
  return out;
}

export interface DecodeLimits {
  /** Largest frame accepted (default MAX_MESSAGE_BYTES). */
  maxBytes?: number;
  /** Largest JSON header of a binary frame (default unbounded; a host caps text frames before decoding them). */
  maxJsonBytes?: number;
}

/** Decodes a text or binary frame. Throws WireFormatError (code 'malformed') on anything malformed. */
export function decodeMessage(data: string | ArrayBuffer | ArrayBufferView, limits: DecodeLimits = {}): unknown {
  const maxBytes = limits.maxBytes ?? MAX_MESSAGE_BYTES;
  const maxJson = limits.maxJsonBytes ?? Infinity;
  if (typeof data === 'string') {
    try {
      return JSON.parse(data);
    } catch (e) {
      throw new WireFormatError(`message is not valid JSON: ${(e as Error).message}`);
    }
  }
  const bytes =
    data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength > maxBytes)
    throw new WireFormatError(`message of ${bytes.byteLength} bytes exceeds ${maxBytes}`);
  if (bytes.byteLength < 8)
    throw new WireFormatError(`binary frame of ${bytes.byteLength} bytes is shorter than its 8-byte preamble`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== WIRE_MAGIC) throw new WireFormatError('binary frame does not start with "ONR1"');
  const headerLen = dv.getUint32(4, true);
  if (8 + headerLen > bytes.byteLength)
    throw new WireFormatError(`binary frame header length ${headerLen} runs past the end (${bytes.byteLength} bytes)`);
  if (headerLen > maxJson)
    throw new WireFormatError(`binary frame header of ${headerLen} bytes exceeds the limit of ${maxJson}`);
  let header: { m?: unknown; bins?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new WireFormatError(`binary frame header is not valid JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || !Array.isArray(header.bins))
    throw new WireFormatError('binary frame header lacks its "bins" table');
  const blobStart = align8(8 + headerLen);
  const arrays = header.bins.map((entry: unknown, i: number) => {
    if (!Array.isArray(entry) || entry.length !== 3)
      throw new WireFormatError(`bins[${i}] must be [type, offset, length]`);
    const [type, off, len] = entry as [unknown, unknown, unknown];
    if (typeof type !== 'string' || !(type in TYPES))
      throw new WireFormatError(`bins[${i}] has unknown type ${JSON.stringify(type)}`);
    if (
      typeof off !== 'number' ||
      typeof len !== 'number' ||
      !Number.isInteger(off) ||
      !Number.isInteger(len) ||
      off < 0 ||
      len < 0
    )
      throw new WireFormatError(`bins[${i}] offset/length must be non-negative integers`);
    if (blobStart + off + len > bytes.byteLength)
      throw new WireFormatError(`bins[${i}] (${off}+${len}) runs past the end of the frame`);
    const Ctor = TYPES[type as TypeName];
    if (len % Ctor.BYTES_PER_ELEMENT !== 0)
      throw new WireFormatError(`bins[${i}] length ${len} is not a multiple of ${Ctor.BYTES_PER_ELEMENT} for ${type}`);
    // Copy: the socket's buffer may be pooled or misaligned for Float32Array views.
    const copy = bytes.slice(blobStart + off, blobStart + off + len);
    return new Ctor(copy.buffer, 0, len / Ctor.BYTES_PER_ELEMENT);
  });
  return restore(header.m, arrays);
}
