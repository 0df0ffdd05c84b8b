import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeNpy, encodeNpy, npyArray, type NpyArray } from '../../../core/data/npy.ts';
import { decodeNpz, encodeNpz, readNpz, writeNpz } from '../../../core/data/npz.ts';
import { decodeFloat16, encodeFloat16 } from '../../../core/data/float16.ts';

const FIX = new URL('../../fixtures/numpy/', import.meta.url).pathname;

/** What make_fixtures.py wrote, as our arrays. */
function expected(): Record<string, NpyArray> {
  return {
    u1: npyArray(
      '|u1',
      [2, 3, 4],
      Uint8Array.from({ length: 24 }, (_, i) => i * 10),
    ),
    b1: npyArray('|b1', [5], new Uint8Array([1, 0, 1, 1, 0])),
    f2: npyArray('<f2', [5], encodeFloat16([0.5, -1.25, 65504, 1e-7, 3.140625])),
    f4: npyArray('<f4', [2, 3], new Float32Array([1.5, -2.0, 3.25, 1e30, -1e-30, 0])),
    f8: npyArray('<f8', [3], new Float64Array([Math.PI, -Math.E, 1e300])),
    i4: npyArray('<i4', [4], new Int32Array([-2147483648, -1, 0, 2147483647])),
    i8: npyArray('<i8', [4], new BigInt64Array([-(2n ** 40n), -1n, 0n, 2n ** 53n - 1n])),
    scalar: npyArray('<f4', [], new Float32Array([7.5])),
    empty: npyArray('<f4', [0, 3], new Float32Array(0)),
  };
}

function assertSame(actual: Record<string, NpyArray>, want: Record<string, NpyArray>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) {
    assert.equal(actual[k].dtype, w.dtype, k);
    assert.deepEqual(actual[k].shape, w.shape, k);
    assert.equal(actual[k].data.constructor, w.data.constructor, k);
    assert.deepEqual([...actual[k].data], [...w.data], k);
  }
}

test('numpy-written .npz (stored and deflated) load unchanged for every dtype', () => {
  assertSame(readNpz(join(FIX, 'dtypes.npz')), expected());
  assertSame(readNpz(join(FIX, 'dtypes_compressed.npz')), expected());
  const f2 = readNpz(join(FIX, 'dtypes.npz')).f2;
  assert.deepEqual([...decodeFloat16(f2.data as Uint16Array)].slice(0, 3), [0.5, -1.25, 65504]);
});

test('numpy-written .npy loads; its header is parsed from the Python literal', () => {
  const a = decodeNpy(readFileSync(join(FIX, 'f4.npy')), 'f4.npy');
  assertSame({ f4: a }, { f4: expected().f4 });
});

test("our .npy bytes equal numpy's for the same array (header layout, 64-byte alignment)", () => {
  const ours = encodeNpy(expected().f4);
  assert.deepEqual(Buffer.from(ours), readFileSync(join(FIX, 'f4.npy')));
  assert.equal(ours.length % 64, (2 * 3 * 4) % 64);
});

test('round trip through our writer and reader for every dtype, stored and deflated', () => {
  for (const compress of [false, true]) {
    const bytes = encodeNpz(expected(), { compress });
    assertSame(decodeNpz(bytes, 'mem.npz'), expected());
  }
  assert.ok(encodeNpz(expected(), { compress: true }).length < encodeNpz(expected(), { compress: false }).length);
});

test('Fortran order, big-endian, object and unknown dtypes are clear errors', () => {
  assert.throws(
    () => decodeNpy(readFileSync(join(FIX, 'fortran.npy')), 'fortran.npy'),
    /^UserError: fortran\.npy: Fortran-order arrays are not supported/,
  );
  assert.throws(
    () => decodeNpy(readFileSync(join(FIX, 'bigendian.npy')), 'bigendian.npy'),
    /bigendian\.npy: big-endian dtype '>f4' is not supported/,
  );
  assert.throws(
    () => decodeNpy(readFileSync(join(FIX, 'object.npy')), 'object.npy'),
    /object\.npy: object dtype '\|O' .*not supported/,
  );
  const c8 = Buffer.from(encodeNpy(npyArray('<f8', [1], new Float64Array([1]))))
    .toString('latin1')
    .replace("'<f8'", "'<c8'");
  assert.throws(
    () => decodeNpy(Buffer.from(c8, 'latin1'), 'c.npy'),
    /c\.npy: dtype '<c8' is not supported; expected one of \|u1/,
  );
  assert.throws(() => decodeNpy(new Uint8Array(20), 'z.npy'), /z\.npy: not a \.npy file/);
  const full = encodeNpy(expected().f4);
  assert.throws(
    () => decodeNpy(full.subarray(0, full.length - 4), 'cut.npy'),
    /cut\.npy: truncated data: shape \(2, 3\) of <f4 needs 24 bytes, found 20/,
  );
});

test('a truncated .npz names the file', () => {
  const bytes = readFileSync(join(FIX, 'dtypes_compressed.npz'));
  assert.throws(
    () => decodeNpz(bytes.subarray(0, bytes.length - 30), 'x.npz'),
    /^UserError: x\.npz: not a readable \.npz \(zip\) archive/,
  );
  assert.throws(() => decodeNpz(bytes.subarray(0, 10), 'y.npz'), /y\.npz: not a readable/);
});

test('decodeNpz can read only some keys', () => {
  const got = readNpz(join(FIX, 'dtypes_compressed.npz'), { keys: ['f4', 'u1'] });
  assert.deepEqual(Object.keys(got).sort(), ['f4', 'u1']);
});

test('writer refuses arrays whose data disagrees with dtype or shape', () => {
  assert.throws(() => npyArray('<f4', [3], new Float32Array(2)), /2 elements do not fill shape \(3\) = 3/);
  assert.throws(() => npyArray('<i4', [2], new Float32Array(2)), /dtype <i4 needs a Int32Array, got Float32Array/);
});

const py = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const havePython = py.status === 0;

test(`files we write load in np.load (${havePython ? 'python3 + numpy found' : 'python3 + numpy NOT found: checked against committed fixtures only'})`, () => {
  // Always: what we write decodes to what numpy wrote (fixtures above). With numpy here, check np.load too.
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-npy-'));
  try {
    for (const compress of [false, true]) {
      const path = join(dir, `ours-${compress}.npz`);
      writeNpz(path, expected(), { compress });
      assertSame(readNpz(path), expected());
      if (!havePython) continue;
      const script = [
        'import sys, json, numpy as np',
        'ref = np.load(sys.argv[2])',
        'with np.load(sys.argv[1]) as f:',
        '  out = {k: [str(f[k].dtype), list(f[k].shape), bool(f[k].flags.c_contiguous), bool(np.array_equal(f[k], ref[k]))] for k in f.files}',
        'print(json.dumps(out))',
      ].join('\n');
      const r = spawnSync('python3', ['-c', script, path, join(FIX, 'dtypes.npz')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as Record<string, [string, number[], boolean, boolean]>;
      const npName: Record<string, string> = {
        u1: 'uint8',
        b1: 'bool',
        f2: 'float16',
        f4: 'float32',
        f8: 'float64',
        i4: 'int32',
        i8: 'int64',
        scalar: 'float32',
        empty: 'float32',
      };
      for (const [k, want] of Object.entries(expected())) {
        assert.deepEqual(out[k], [npName[k], want.shape, true, true], k);
      }
    }
    writeFileSync(join(dir, 'a.npy'), encodeNpy(expected().i8));
    if (havePython) {
      const r = spawnSync(
        'python3',
        ['-c', 'import sys, numpy as np; print(np.load(sys.argv[1]).tolist())', join(dir, 'a.npy')],
        { encoding: 'utf8' },
      );
      assert.equal(r.stdout.trim(), `[${-(2 ** 40)}, -1, 0, ${2 ** 53 - 1}]`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`.npy format versions 1.0, 2.0 and 3.0 decode the same (by hand${havePython ? ' and as numpy writes them' : '; python3 + numpy NOT found'})`, () => {
  // By hand from the spec: version 2.0/3.0 only widen the header length to a u32 (3.0 allows UTF-8 in it).
  const v1 = encodeNpy(
    npyArray(
      '<i4',
      [2, 3, 4],
      Int32Array.from({ length: 24 }, (_, i) => i - 5),
    ),
  );
  const hlen = v1[8] | (v1[9] << 8);
  for (const major of [2, 3]) {
    const b = new Uint8Array(v1.length + 2);
    b.set(v1.subarray(0, 8), 0);
    b[6] = major;
    new DataView(b.buffer).setUint32(8, hlen, true);
    b.set(v1.subarray(10), 12);
    const a = decodeNpy(b, `hand-v${major}.npy`);
    assert.deepEqual([a.dtype, a.shape, a.data[0], a.data[23]], ['<i4', [2, 3, 4], -5, 18]);
  }
  assert.throws(
    () => decodeNpy(Uint8Array.from([...v1.subarray(0, 6), 4, 0, ...v1.subarray(8)]), 'v4.npy'),
    /v4\.npy: \.npy format version 4\.0 is not supported/,
  );
  if (!havePython) return;
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-npyv-'));
  try {
    const script = [
      'import sys, numpy as np',
      'a = np.arange(24, dtype="<i4").reshape(2, 3, 4) - 5',
      'for v in ((1, 0), (2, 0), (3, 0)):',
      '  with open(f"{sys.argv[1]}/v{v[0]}.npy", "wb") as f: np.lib.format.write_array(f, a, version=v)',
      'with open(f"{sys.argv[1]}/rec.npy", "wb") as f: np.save(f, np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const want = Int32Array.from({ length: 24 }, (_, i) => i - 5);
    for (const v of [1, 2, 3]) {
      const bytes = readFileSync(join(dir, `v${v}.npy`));
      assert.equal(bytes[6], v, `numpy wrote version ${v}`);
      const a = decodeNpy(bytes, `v${v}.npy`);
      assert.equal(a.dtype, '<i4');
      assert.deepEqual(a.shape, [2, 3, 4]);
      assert.deepEqual(a.data, want);
    }
    assert.throws(
      () => decodeNpy(readFileSync(join(dir, 'rec.npy')), 'rec.npy'),
      /^UserError: rec\.npy: .*(not supported|unsupported)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
