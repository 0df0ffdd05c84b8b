import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage, decodeMessage, WireFormatError, WIRE_MAGIC } from '../../../core/contract/wire.ts';

test('a message without typed arrays is a JSON text frame', () => {
  const m = { t: 'req', id: 1, ch: 'runs:list', p: {} };
  const enc = encodeMessage(m);
  assert.equal(typeof enc, 'string');
  assert.deepEqual(decodeMessage(enc), m);
});

test('typed arrays travel as binary blobs and come back with their type and values', () => {
  const frames = new Uint8Array(64 * 64 * 3 * 5).map((_, i) => i % 251);
  const mse = new Float32Array([0.5, 1.25, 3]);
  const m = {
    t: 'res',
    id: 9,
    ok: true,
    r: { truth: { shape: [5, 64, 64, 3], data: frames }, mse, list: [new Int32Array([1, -2])] },
  };
  const enc = encodeMessage(m);
  assert.ok(enc instanceof Uint8Array);
  // No pixel value appears as JSON text: the header is small.
  const headerLen = new DataView(enc.buffer).getUint32(4, true);
  assert.ok(headerLen < 400, `header ${headerLen} bytes`);
  // Decoding from a misaligned view (as a pooled socket buffer may be) still works.
  const shifted = new Uint8Array(enc.byteLength + 3);
  shifted.set(enc, 3);
  const back = decodeMessage(shifted.subarray(3)) as typeof m;
  assert.ok(back.r.truth.data instanceof Uint8Array);
  assert.deepEqual(back.r.truth.data, frames);
  assert.ok(back.r.mse instanceof Float32Array);
  assert.deepEqual(Array.from(back.r.mse), [0.5, 1.25, 3]);
  assert.deepEqual(Array.from(back.r.list[0]), [1, -2]);
  assert.deepEqual(back.r.truth.shape, [5, 64, 64, 3]);
});

function frame(header: unknown, blob = new Uint8Array(0), magic = WIRE_MAGIC): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const start = (8 + h.byteLength + 7) & ~7;
  const out = new Uint8Array(start + blob.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, magic, true);
  dv.setUint32(4, h.byteLength, true);
  out.set(h, 8);
  out.set(blob, start);
  return out;
}

test('malformed frames are refused with a WireFormatError naming the problem', () => {
  const cases: [string | Uint8Array, RegExp][] = [
    ['{not json', /not valid JSON/],
    [new Uint8Array([1, 2, 3]), /shorter than its 8-byte preamble/],
    [frame({ m: {}, bins: [] }, undefined, 0xdeadbeef), /does not start with "ONR1"/],
    [
      (() => {
        const f = frame({ m: {}, bins: [] });
        new DataView(f.buffer).setUint32(4, 1e6, true);
        return f;
      })(),
      /runs past the end/,
    ],
    [frame('{oops'), /header is not valid JSON/],
    [frame({ m: {} }), /lacks its "bins" table/],
    [frame({ m: { $bin: 0 }, bins: [['Uint8Array', 0, 16]] }, new Uint8Array(8)), /runs past the end of the frame/],
    [frame({ m: { $bin: 0 }, bins: [['BigInt64Array', 0, 8]] }, new Uint8Array(8)), /unknown type/],
    [frame({ m: { $bin: 0 }, bins: [['Float32Array', 0, 6]] }, new Uint8Array(8)), /not a multiple of 4/],
    [frame({ m: { $bin: 3 }, bins: [['Uint8Array', 0, 8]] }, new Uint8Array(8)), /does not name a blob/],
    [frame({ m: {}, bins: [['Uint8Array', -8, 8]] }, new Uint8Array(8)), /non-negative integers/],
  ];
  for (const [data, re] of cases) {
    assert.throws(
      () => decodeMessage(data),
      (e: unknown) => e instanceof WireFormatError && e.code === 'malformed' && re.test(e.message),
      String(re),
    );
  }
});

test('values the wire cannot carry are refused at encode time', () => {
  assert.throws(() => encodeMessage({ x: new BigInt64Array(1) }), /unsupported binary type/);
  let deep: unknown = 1;
  for (let i = 0; i < 80; i++) deep = [deep];
  assert.throws(() => encodeMessage({ deep, b: new Uint8Array(1) }), /deeper than 64/);
});
