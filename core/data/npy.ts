import { UserError } from '../util/errors.ts';

/**
 * NumPy's .npy format (numpy/lib/format.py): magic "\x93NUMPY", major and minor version bytes, header length
 * (u16 LE for version 1, u32 LE for 2 and 3), a Python-literal dict `{'descr': '<f4', 'fortran_order': False,
 * 'shape': (5, 64, 64, 3), }` padded with spaces and a newline, then the raw C-order data.
 * We read and write the dtypes Dreamer-family files hold; anything else is a clear error.
 */

export type NpyDtype = '|u1' | '|i1' | '|b1' | '<f2' | '<f4' | '<f8' | '<i2' | '<i4' | '<i8';

/** '<f2' data is the raw half bits (see float16.ts); '|b1' is one byte per element (0/1); '<i8' is a BigInt64Array. */
export type NpyData =
  Uint8Array | Int8Array | Uint16Array | Float32Array | Float64Array | Int16Array | Int32Array | BigInt64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const ITEM: Record<NpyDtype, number> = {
  '|u1': 1,
  '|i1': 1,
  '|b1': 1,
  '<f2': 2,
  '<f4': 4,
  '<f8': 8,
  '<i2': 2,
  '<i4': 4,
  '<i8': 8,
};
/** Spellings numpy may also use for the same little-endian or byte-sized types. */
const ALIASES: Record<string, NpyDtype> = {
  '<u1': '|u1',
  '<i1': '|i1',
  '<b1': '|b1',
  '|u1': '|u1',
  '|i1': '|i1',
  '|b1': '|b1',
  '?': '|b1',
};
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export const NPY_DTYPES = Object.keys(ITEM) as NpyDtype[];

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function typedArrayFor(dtype: NpyDtype, buf: ArrayBuffer, count: number): NpyData {
  switch (dtype) {
    case '|u1':
    case '|b1':
      return new Uint8Array(buf, 0, count);
    case '|i1':
      return new Int8Array(buf, 0, count);
    case '<f2':
      return new Uint16Array(buf, 0, count);
    case '<f4':
      return new Float32Array(buf, 0, count);
    case '<f8':
      return new Float64Array(buf, 0, count);
    case '<i2':
      return new Int16Array(buf, 0, count);
    case '<i4':
      return new Int32Array(buf, 0, count);
    case '<i8':
      return new BigInt64Array(buf, 0, count);
  }
}

const ARRAY_CTOR: Record<NpyDtype, { name: string; is: (a: unknown) => boolean }> = {
  '|u1': { name: 'Uint8Array', is: (a) => a instanceof Uint8Array },
  '|b1': { name: 'Uint8Array', is: (a) => a instanceof Uint8Array },
  '|i1': { name: 'Int8Array', is: (a) => a instanceof Int8Array },
  '<f2': { name: 'Uint16Array', is: (a) => a instanceof Uint16Array },
  '<f4': { name: 'Float32Array', is: (a) => a instanceof Float32Array },
  '<f8': { name: 'Float64Array', is: (a) => a instanceof Float64Array },
  '<i2': { name: 'Int16Array', is: (a) => a instanceof Int16Array },
  '<i4': { name: 'Int32Array', is: (a) => a instanceof Int32Array },
  '<i8': { name: 'BigInt64Array', is: (a) => a instanceof BigInt64Array },
};

/** Builds an array after checking the typed array matches the dtype and the shape. */
export function npyArray(dtype: NpyDtype, shape: number[], data: NpyData): NpyArray {
  if (!(dtype in ITEM))
    throw new UserError(`npy: dtype '${dtype}' is not supported, expected one of ${NPY_DTYPES.join(' ')}`);
  if (!ARRAY_CTOR[dtype].is(data))
    throw new UserError(`npy: dtype ${dtype} needs a ${ARRAY_CTOR[dtype].name}, got ${data.constructor.name}`);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new UserError(`npy: shape ${JSON.stringify(shape)} must be non-negative integers`);
  if (data.length !== sizeOfShape(shape))
    throw new UserError(`npy: ${data.length} elements do not fill shape (${shape.join(', ')}) = ${sizeOfShape(shape)}`);
  return { dtype, shape, data };
}

// ---- Python literal header -------------------------------------------------------------------------

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/** A recursive-descent parser for the literal subset numpy writes (dict, tuple, list, str, int, bool, None). */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i} of ${JSON.stringify(text.trim())}`);
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, PyValue> = {};
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return out;
        }
        const k = value();
        if (typeof k !== 'string') fail('dict key is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        out[k as string] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return out;
        }
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

function headerDtype(descr: PyValue, source: string): NpyDtype {
  if (typeof descr !== 'string') {
    throw new UserError(
      `${source}: structured dtype ${JSON.stringify(descr)} is not supported; expected a plain dtype (${NPY_DTYPES.join(' ')})`,
    );
  }
  const d = ALIASES[descr] ?? descr;
  if (d in ITEM) return d as NpyDtype;
  if (/O$/.test(descr))
    throw new UserError(
      `${source}: object dtype '${descr}' (pickled Python objects) is not supported; expected a numeric or bool array`,
    );
  if (descr.startsWith('>'))
    throw new UserError(
      `${source}: big-endian dtype '${descr}' is not supported; re-save it little-endian (arr.astype('<${descr.slice(1)}'))`,
    );
  throw new UserError(`${source}: dtype '${descr}' is not supported; expected one of ${NPY_DTYPES.join(' ')}`);
}

// ---- read / write -----------------------------------------------------------------------------------

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data (after magic, version, length and the padded header). */
  dataStart: number;
}

/** Parses the header of a .npy image (`bytes` may be just its beginning, as long as it holds the header). */
export function decodeNpyHeader(bytes: Uint8Array, source = 'npy'): NpyHeader {
  if (bytes.byteLength < 10 || !MAGIC.every((b, k) => bytes[k] === b)) {
    throw new UserError(`${source}: not a .npy file (missing the \\x93NUMPY magic)`);
  }
  const major = bytes[6];
  if (major < 1 || major > 3)
    throw new UserError(`${source}: .npy format version ${major}.${bytes[7]} is not supported (expected 1, 2 or 3)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.byteLength < 8 + lenBytes) throw new UserError(`${source}: truncated .npy header`);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + hlen;
  if (dataStart > bytes.byteLength)
    throw new UserError(`${source}: truncated .npy header (needs ${dataStart} bytes, file has ${bytes.byteLength})`);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, dataStart));
  let header: PyValue;
  try {
    header = parsePyLiteral(headerText);
  } catch (e) {
    throw new UserError(`${source}: unreadable .npy header (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new UserError(`${source}: .npy header is not a dict`);
  const { descr, fortran_order: fortran, shape } = header;
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw new UserError(`${source}: .npy header lacks descr, fortran_order or shape: ${headerText.trim()}`);
  }
  const dtype = headerDtype(descr, source);
  if (fortran !== false) {
    throw new UserError(
      `${source}: Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new UserError(`${source}: .npy shape ${JSON.stringify(shape)} is not a tuple of non-negative integers`);
  }
  return { dtype, shape: shape as number[], dataStart };
}

/** Parses a .npy image; `source` names the file (or archive member) in errors. Data is copied (aligned). */
export function decodeNpy(bytes: Uint8Array, source = 'npy'): NpyArray {
  const { dtype, shape: dims, dataStart } = decodeNpyHeader(bytes, source);
  const count = sizeOfShape(dims);
  const need = count * ITEM[dtype];
  const have = bytes.byteLength - dataStart;
  if (have < need)
    throw new UserError(
      `${source}: truncated data: shape (${dims.join(', ')}) of ${dtype} needs ${need} bytes, found ${have}`,
    );
  if (have > need)
    throw new UserError(
      `${source}: ${have - need} unexpected bytes after the data of shape (${dims.join(', ')}) ${dtype}`,
    );
  const copy = new Uint8Array(bytes.subarray(dataStart, dataStart + need)).buffer;
  return { dtype, shape: dims, data: typedArrayFor(dtype, copy, count) };
}

function pyShape(shape: number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** Serialises as numpy does: version 1.0 (2.0 if the header needs it), header padded so data starts 64-aligned. */
export function encodeNpy(arr: NpyArray): Uint8Array {
  npyArray(arr.dtype, arr.shape, arr.data);
  const dict = `{'descr': '${arr.dtype}', 'fortran_order': False, 'shape': ${pyShape(arr.shape)}, }`;
  let lenBytes = 2;
  let total = 8 + lenBytes + dict.length + 1;
  let pad = (64 - (total % 64)) % 64;
  if (dict.length + pad + 1 > 0xffff) {
    lenBytes = 4;
    total = 8 + lenBytes + dict.length + 1;
    pad = (64 - (total % 64)) % 64;
  }
  const header = dict + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(8 + lenBytes + header.length + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = lenBytes === 2 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[8 + lenBytes + k] = header.charCodeAt(k);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), 8 + lenBytes + header.length);
  return out;
}
