import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensorsBytes,
  loadSafetensors,
  saveSafetensors,
  type SafeTensors,
} from '../../../core/data/safetensors.ts';
import {
  float16BitsToFloat32,
  float32ToFloat16Bits,
  decodeFloat16,
  encodeFloat16,
} from '../../../core/data/float16.ts';

/** A file image from its parts, as the format specification describes it. */
function fileFrom(headerJson: string, buffer: number[], declaredLength?: bigint): Uint8Array {
  const h = Buffer.from(headerJson, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(declaredLength ?? BigInt(h.length));
  return new Uint8Array(Buffer.concat([len, h, Buffer.from(buffer)]));
}

test('reads a file built byte by byte from the format specification', () => {
  // F32 [2] = [1.0, -2.0] (0x3f800000, 0xc0000000 little-endian), then U8 [3] = [7, 8, 9], then BOOL [1] = [1].
  const header =
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},' +
    '"c":{"dtype":"BOOL","shape":[1,1],"data_offsets":[11,12]},"__metadata__":{"step":"42","backend":"wasm"}}';
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
  const bytes = encodeSafetensorsBytes(
    { w: { dtype: 'I32', shape: [2], data: new Int32Array([1, -1]) } },
    { step: '3' },
  );
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
    const header = JSON.parse(
      readFileSync(path)
        .subarray(8, 8 + n)
        .toString('utf8'),
    );
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
  assert.throws(
    () => decodeSafetensors(bytes, 'bad.safetensors'),
    (e: Error) => {
      assert.match(e.message, /^bad\.safetensors: not a valid safetensors file: /);
      assert.match(e.message, pattern);
      return true;
    },
  );
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
  rejects(
    fileFrom('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', eight),
    /shape \[3\] of F32 needs 12 bytes but data_offsets span 8/,
  );
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}', eight), /shape \[-1\]/);
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', eight), /out of range/);
  rejects(fileFrom('{"a":{"dtype":"F32","shape":[2],"offsets":[0,8]}}', eight), /expected \[begin, end\]/);
  rejects(
    fileFrom(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
      eight,
    ),
    /overlap the previous tensor/,
  );
  rejects(
    fileFrom('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight),
    /bytes 0\.\.4 of the buffer belong to no tensor/,
  );
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
    assert.throws(
      () => loadSafetensors(path),
      new RegExp(
        `^UserError: ${path.replace(/[.]/g, '\\.')}: not a valid safetensors file: .*(truncated|out of range)`,
      ),
    );
    assert.throws(
      () => loadSafetensors(join(dir, 'nope.safetensors')),
      /nope\.safetensors: cannot read safetensors file \(ENOENT\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writing refuses inconsistent tensors', () => {
  assert.throws(
    () => encodeSafetensorsBytes({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
    /has 2 elements but shape \[3\] needs 3/,
  );
  assert.throws(
    () => encodeSafetensorsBytes({ a: { dtype: 'I32', shape: [2], data: new Float32Array(2) } }),
    /must hold a Int32Array, got Float32Array/,
  );
  assert.throws(() => encodeSafetensorsBytes({}, { step: 5 as unknown as string }), /must be a string/);
});

const havePython = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

test(`an independent reader/writer from the spec (python3 + numpy${havePython ? '' : ': NOT found, writer side checked in JS only'}) agrees with ours`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-st-py-'));
  try {
    const ours = join(dir, 'ours.safetensors');
    saveSafetensors(
      ours,
      {
        w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1.5, -2, 0.25, 1e-3]) },
        h: { dtype: 'F16', shape: [2], data: encodeFloat16([0.5, -3]) },
        i: { dtype: 'I32', shape: [3], data: new Int32Array([-7, 0, 2 ** 31 - 1]) },
        u: { dtype: 'U8', shape: [2], data: new Uint8Array([3, 250]) },
        b: { dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) },
      },
      { step: '12', backend: 'wasm' },
    );
    if (!havePython) {
      assert.equal(loadSafetensors(ours).metadata.step, '12');
      return;
    }
    // Python reads ours with nothing but struct + json + numpy, following the README byte by byte.
    const read = [
      'import sys, json, struct, numpy as np',
      'b = open(sys.argv[1], "rb").read()',
      'n = struct.unpack("<Q", b[:8])[0]',
      'h = json.loads(b[8:8 + n].decode("utf-8"))',
      'buf = b[8 + n:]',
      'dt = {"F32": "<f4", "F16": "<f2", "I32": "<i4", "U8": "u1", "BOOL": "?"}',
      'out = {"__metadata__": h.pop("__metadata__")}',
      'for k, v in h.items():',
      '  s, e = v["data_offsets"]',
      '  out[k] = np.frombuffer(buf[s:e], dtype=dt[v["dtype"]]).reshape(v["shape"]).tolist()',
      'print(json.dumps(out, sort_keys=True))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', read, ours], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      __metadata__: { step: '12', backend: 'wasm' },
      w: [
        [1.5, -2],
        [0.25, Math.fround(1e-3)],
      ],
      h: [0.5, -3],
      i: [-7, 0, 2 ** 31 - 1],
      u: [3, 250],
      b: [false, true],
    });
    // Python writes one (no padding, tensors in name order, metadata last) and we read it.
    const write = [
      'import sys, json, struct, numpy as np',
      'a = np.arange(6, dtype="<f4").reshape(2, 3) / 4',
      'h16 = np.array([1.0, -0.125], dtype="<f2")',
      'm = np.array([True, False, True])',
      'bufs = [a.tobytes(), h16.tobytes(), m.tobytes()]',
      'offs = np.cumsum([0] + [len(x) for x in bufs]).tolist()',
      'hdr = {"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": offs[0:2]},',
      '       "h": {"dtype": "F16", "shape": [2], "data_offsets": offs[1:3]},',
      '       "m": {"dtype": "BOOL", "shape": [3], "data_offsets": offs[2:4]},',
      '       "__metadata__": {"format": "pt"}}',
      'j = json.dumps(hdr).encode()',
      'open(sys.argv[1], "wb").write(struct.pack("<Q", len(j)) + j + b"".join(bufs))',
    ].join('\n');
    const theirs = join(dir, 'theirs.safetensors');
    const w = spawnSync('python3', ['-c', write, theirs], { encoding: 'utf8' });
    assert.equal(w.status, 0, w.stderr);
    const f = loadSafetensors(theirs);
    assert.deepEqual(f.metadata, { format: 'pt' });
    assert.deepEqual([...f.tensors.a.data], [0, 0.25, 0.5, 0.75, 1, 1.25]);
    assert.deepEqual(f.tensors.a.shape, [2, 3]);
    assert.deepEqual([...decodeFloat16(f.tensors.h.data as Uint16Array)], [1, -0.125]);
    assert.deepEqual([...f.tensors.m.data], [1, 0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
