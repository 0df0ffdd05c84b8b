import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors, encodeSafetensorsBytes, loadSafetensors, saveSafetensors, type SafeTensors,
} from '../../../core/data/safetensors.ts';
import { float16BitsToFloat32, float32ToFloat16Bits, decodeFloat16, encodeFloat16 } from '../../../core/data/float16.ts';

/** A file image from its parts, as the format specification describes it. */
function fileFrom(headerJson: string, buffer: number[], declaredLength?: bigint): Uint8Array {
  const h = Buffer.from(headerJson, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(declaredLength ?? BigInt(h.length));
  return new Uint8Array(Buffer.concat([len, h, Buffer.from(buffer)]));
}

test('reads a file built byte by byte from the format specification', () => {
  // F32 [2] = [1.0, -2.0] (0x3f800000, 0xc0000000 little-endian), then U8 [3] = [7, 8, 9], then BOOL [1] = [1].
  const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},'
    + '"c":{"dtype":"BOOL","shape":[1,1],"data_offsets":[11,12]},"__metadata__":{"step":"42","backend":"wasm"}}';
  const bytes = fileFrom(header, [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 7, 8, 9, 1]);
  const f = decodeSafetensors(bytes, 'hand.safetensors');
  assert.deepEqual([...(f.tensors.a.data as Float32Array)], [1, -2]);
  assert.equal(f.tensors.a.dtype, 'F32');
  assert.deepEqual([...f.tensors.b.data], [7, 8, 9]);
  assert.deepEqual(f.tensors.c.shape, [1, 1]);
  assert.deepEqual([...f.tensors.c.data], [1]);
  assert.deepEqual(f.metadata, { step: '42', backend: 'wasm' });
});

test('writes the documented layout: u64 LE length, space-padded JSON header (8-aligned), buffer', () => {
  const bytes = encodeSafetensorsBytes({ w: { dtype: 'I32', shape: [2], data: new Int32Array([1, -1]) } }, { step: '3' });
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  assert.equal(bytes.length, 8 + n + 8);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  assert.deepEqual(header.w, { dtype: 'I32', shape: [2], data_offsets: [0, 8] });
  assert.deepEqual(header.__metadata__, { step: '3' });
  assert.deepEqual([...bytes.subarray(8 + n)], [1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
});

test('round trip per dtype through a file, with metadata, written atomically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-st-'));
  try {
    const tensors: SafeTensors = {
      f32: { dtype: 'F32', shape: [2, 3], data: new Float32Array([0, 1.5, -2.25, 3e-8, 1e30, -0]) },
      f16: { dtype: 'F16', shape: [3], data: encodeFloat16([1, -0.5, 65504]) },
      i32: { dtype: 'I32', shape: [2, 2], data: new Int32Array([-2147483648, 2147483647, 0, 5]) },
      u8: { dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
      bool: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      scalar: { dtype: 'F32', shape: [], data: new Float32Array([7]) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    };
    const path = join(dir, 'model.safetensors');
    saveSafetensors(path, tensors, { step: '100', config_hash: 'abc', backend: 'cpu' });
    assert.deepEqual(readdirSync(dir), ['model.safetensors']); // no temp file left behind
    const f = loadSafetensors(path);
    assert.deepEqual(f.metadata, { step: '100', config_hash: 'abc', backend: 'cpu' });
    for (const [name, t] of Object.entries(tensors)) {
      assert.equal(f.tensors[name].dtype, t.dtype, name);
      assert.deepEqual(f.tensors[name].shape, t.shape, name);
      assert.equal(f.tensors[name].data.constructor, t.data.constructor, name);
      assert.deepEqual([...f.tensors[name].data], [...t.data], name);
    }
    assert.deepEqual([...decodeFloat16(f.tensors.f16.data as Uint16Array)], [1, -0.5, 65504]);
    // Tensors are laid out largest element first, so every offset is aligned for its dtype.
    const n = Number(readFileSync(path).readBigUInt64LE(0));
    const header = JSON.parse(readFileSync(path).subarray(8, 8 + n).toString('utf8'));
    for (const name of Object.keys(tensors)) {
      const size = { F32: 4, I32: 4, F16: 2, U8: 1, BOOL: 1 }[header[name].dtype as string]!;
      assert.equal(header[name].data_offsets[0] % size, 0, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('float16 encode/decode: exact values, rounding to nearest even, subnormals, overflow, NaN', () => {
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(70000), 0x7c00);
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001);
  assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000); // below half the smallest subnormal
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie → even
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  assert.equal(float16BitsToFloat32(0x7c00), Infinity);
  assert.equal(float16BitsToFloat32(0x0400), 2 ** -14);
  for (let h = 0; h < 0x7c00; h += 37) assert.equal(float32ToFloat16Bits(float16BitsToFloat32(h)), h);
});

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeSafetensors(bytes, 'bad.safetensors'), (e: Error) => {
    assert.match(e.message, /^bad\.safetensors: not a valid safetensors file: /);
    assert.match(e.message, pattern);
    return true;
  });
}

test('malformed files are rejected with an error naming the file and the problem', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const eight = [0, 0, 128, 63, 0, 0, 0, 64];
  assert.equal(decodeSafetensors(fileFrom(ok, eight)).tensors.a.data.length, 2);
  rejects(new Uint8Array([1, 2, 3]), /truncated: 3 bytes/);
  rejects(fileFrom(ok, eight, 5000n), /header length 5000 bytes runs past the end of the file/);
  rejects(fileFrom(ok, eight, 200_000_000n), /exceeds the 100 MB limit/);
  rejects(fileFrom(ok, eight.slice(0, 6)), /'a' data_offsets \[0, 8\] are out of range of the 6-byte buffer/);
  rejects(fileFrom('{"a": not json}', eight), /header is not valid UTF-8 JSON/);
  rejects(fileFrom('[1,2,3,4,5,6,7]', eight), /header is not a JSON object/);
  rejects(fileFrom('{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}', eight), /unknown dtype "Q7"/);
  rejects(fileFrom('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', eight), /unsupported dtype "F64"/);
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', eight), /shape \[3\] of F32 needs 12 bytes but data_offsets span 8/);
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}', eight), /shape \[-1\]/);
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', eight), /out of range/);
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[2],"offsets":[0,8]}}', eight), /expected \[begin, end\]/);
  rejects(
    fileFrom('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight),
    /overlap the previous tensor/,
  );
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight), /bytes 0\.\.4 of the buffer belong to no tensor/);
  rejects(fileFrom(ok, [...eight, 1, 2]), /the buffer has 10 bytes but the tensors cover 8/);
  rejects(fileFrom('{"__metadata__":{"step":3}}', []), /__metadata__\['step'\] is number, expected a string/);
  rejects(fileFrom('{"b":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}', [2]), /holds byte 2/);
});

test('a missing or truncated file on disk names the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-st-'));
  try {
    const path = join(dir, 'cut.safetensors');
    const full = encodeSafetensorsBytes({ w: { dtype: 'F32', shape: [64], data: new Float32Array(64) } });
    writeFileSync(path, full.subarray(0, full.length - 10));
    assert.throws(() => loadSafetensors(path), new RegExp(`^UserError: ${path.replace(/[.]/g, '\\.')}: not a valid safetensors file: .*(truncated|out of range)`));
    assert.throws(() => loadSafetensors(join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read safetensors file \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writing refuses inconsistent tensors', () => {
  assert.throws(() => encodeSafetensorsBytes({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), /has 2 elements but shape \[3\] needs 3/);
  assert.throws(() => encodeSafetensorsBytes({ a: { dtype: 'I32', shape: [2], data: new Float32Array(2) } }), /must hold a Int32Array, got Float32Array/);
  assert.throws(() => encodeSafetensorsBytes({}, { step: 5 as unknown as string }), /must be a string/);
});
