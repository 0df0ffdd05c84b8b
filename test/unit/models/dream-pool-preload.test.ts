/**
 * CMA-ES's dream workers register tsx themselves (dream-worker.mjs), so they start without the process's execArgv:
 * inheriting `--import tsx` (trainers, tests) loaded it a second time in each worker, ≈ 0.03 CPU s a worker
 * (session 20, perf task-clock over 16 workers). A marker module given with --import shows where it ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const pool = pathToFileURL(join(root, 'core', 'models', 'world-models', 'dream-pool.ts')).href;

test("the dream pool's workers skip the process's --import modules and still score as the main thread does", () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-dream-pool-'));
  try {
    const marker = join(dir, 'marker.mjs');
    writeFileSync(
      marker,
      "import { isMainThread } from 'node:worker_threads';\n" +
        "process.stderr.write(isMainThread ? 'preloaded in the main thread\\n' : 'preloaded in a worker thread\\n');\n",
    );
    // A small random MDN-RNN and 3 candidates, scored by 2 workers and in this thread.
    const probe = `
      import { DreamPool } from ${JSON.stringify(pool)};
      const Z = 4, A = 3, H = 8, K = 3, out = 3 * Z * K + 1;
      const r = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin((i + s) * 12.9898) * 0.3);
      const weights = { zDim: Z, actionDim: A, hidden: H, mixtures: K, rewardHead: true, doneHead: false,
        wx: r((Z + A) * 4 * H, 1), wh: r(H * 4 * H, 2), b: r(4 * H, 3), headW: r(H * out, 4), headB: r(out, 5) };
      const spec = { kind: 'box', low: [-1, -1, -1], high: [1, 1, 1], map: ['affine', 'affine', 'affine'] };
      const dream = { weights, spec, start: { mu: r(2 * Z, 6), logvar: r(2 * Z, 7), count: 2 }, length: 6, temperature: 1 };
      const xs = [0, 1, 2].map((k) => Float64Array.from({ length: (Z + H + 1) * A }, (_, i) => Math.cos(i * 0.7 + k)));
      const inThread = await new DreamPool(dream, 1).evaluate(xs, [1, 2]);
      const pool = new DreamPool(dream, 2);
      const threads = pool.threads;
      const inWorkers = await pool.evaluate(xs, [1, 2]);
      await pool.close();
      console.log(JSON.stringify({ threads, inThread, inWorkers }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', marker, '--input-type=module', '-e', probe], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { threads: number; inThread: number[]; inWorkers: number[] };
    assert.equal(out.threads, 2);
    assert.equal(out.inThread.length, 3);
    assert.ok(out.inThread.every(Number.isFinite), r.stdout);
    assert.deepEqual(out.inWorkers, out.inThread);
    assert.match(r.stderr, /preloaded in the main thread/, 'the marker works');
    assert.doesNotMatch(r.stderr, /preloaded in a worker thread/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
