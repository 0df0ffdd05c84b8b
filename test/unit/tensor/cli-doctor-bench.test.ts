import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BACKEND_ORDER } from '../../../core/tensor/backend.ts';
import { defaultBackend, installed } from './installed.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function oneiro(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/oneiro.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_BACKEND: '', ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('oneiro doctor --json reports the chosen backend with a passing self-check and a timed VAE step', async () => {
  const expected = await defaultBackend();
  const r = oneiro(['doctor', '--json']);
  assert.equal(r.code, 0, r.err.slice(-2000));
  const rep = JSON.parse(r.out);
  assert.equal(rep.node, process.versions.node);
  assert.equal(typeof rep.electron.present, 'boolean');
  assert.equal(rep.backend.name, expected);
  // Every better backend is named with a reason.
  assert.deepEqual(
    rep.backend.skipped.map((s: { name: string }) => s.name),
    BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(expected)),
  );
  for (const s of rep.backend.skipped) assert.ok(s.reason.length > 10);
  // Thread details belong to wasm; another backend reports none.
  if (expected === 'wasm') assert.ok(rep.wasmThreads.threads >= 1);
  else assert.equal(rep.wasmThreads, null);
  assert.equal(rep.selfCheck.ok, true);
  assert.ok(rep.selfCheck.cases.length >= 8);
  assert.ok(rep.selfCheck.worst < 1e-4);
  assert.ok(rep.vaeStep.ms > 0 && rep.vaeStep.batch === 8);
  assert.equal(typeof rep.chromium.found, 'boolean');
  assert.equal(rep.ok, true);
});

test('ONEIRO_WASM_THREADS=2: the threaded wasm build runs 2 threads, passes the self-check and exits', () => {
  const r = oneiro(['doctor', '--json'], { ONEIRO_BACKEND: 'wasm', ONEIRO_WASM_THREADS: '2' });
  assert.equal(r.code, 0, r.err.slice(-2000));
  const rep = JSON.parse(r.out);
  assert.equal(rep.wasmThreads.threads, 2);
  assert.match(rep.wasmThreads.note, /threaded SIMD build/);
  assert.equal(rep.selfCheck.ok, true);
  const bad = oneiro(['doctor'], { ONEIRO_BACKEND: 'wasm', ONEIRO_WASM_THREADS: 'many' });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /ONEIRO_WASM_THREADS must be an integer/);
});

test('oneiro doctor exits non-zero when the backend fails its self-check', () => {
  // Tolerance 0: float32 kernels never agree exactly with the cpu reference.
  const r = oneiro(['doctor', '--json'], { ONEIRO_SELF_CHECK_TOL: '0' });
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.out);
  assert.equal(rep.selfCheck.ok, false);
  assert.equal(rep.ok, false);
});

test('oneiro doctor rejects an unknown backend with a clear error', () => {
  const r = oneiro(['doctor', '--backend', 'tpu']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown backend 'tpu': expected one of node-gpu, node, wasm, cpu/);
  // Forcing a native backend that is not installed names the package (skipped where it is installed).
  for (const name of ['node', 'node-gpu'] as const) {
    const pkg = name === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
    if (installed(pkg)) continue;
    const forced = oneiro(['doctor'], { ONEIRO_BACKEND: name });
    assert.equal(forced.code, 2);
    assert.ok(
      forced.err.includes(`backend '${name}' was requested but cannot be used: ${pkg} is not installed`),
      forced.err,
    );
  }
});

test('oneiro bench --quick --json --only kernels prints one JSON array of valid rows', async () => {
  const expected = await defaultBackend();
  const r = oneiro(['bench', '--quick', '--json', '--only', 'kernels']);
  assert.equal(r.code, 0, r.err.slice(-2000));
  const rows = JSON.parse(r.out) as { name: string; backend: string; median: number; unit: string }[];
  assert.ok(Array.isArray(rows));
  // 8 VAE conv layers × (forward, backprop-input, backprop-filter) on the chosen backend.
  assert.equal(rows.length, 24);
  for (const row of rows) {
    assert.match(row.name, /^conv-(enc|dec)\d-(forward|backprop-input|backprop-filter)$/);
    assert.equal(row.backend, expected);
    assert.equal(row.unit, 'ms');
    assert.ok(Number.isFinite(row.median) && row.median > 0, `${row.name}: median ${row.median}`);
  }
  const bad = oneiro(['bench', '--only', 'nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown suite 'nope'/);
});
