import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_WASM_THREADS, requestedThreads } from '../../../core/tensor/wasm.ts';

/**
 * Threads are the wasm default where the threaded build runs (issue 17), with ONEIRO_WASM_THREADS to override and
 * a one-line fallback to 1 thread where it cannot run. "Runs multi-threaded" is checked on the OS threads' CPU
 * time during large matmuls, not on the thread count the build reports.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const probe = fileURLToPath(new URL('./wasm-thread-probe.ts', import.meta.url));

interface Probe {
  threads: number;
  wasmThreads: number;
  note: string;
  ticks: number[];
  secondShare: number;
  addedTasks: number;
}

function run(
  env: Record<string, string | undefined>,
  args: string[] = [],
  nodeArgs: string[] = [],
): { probe: Probe; err: string } {
  const e: Record<string, string | undefined> = { ...process.env, ONEIRO_BACKEND: 'wasm', ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...nodeArgs, probe, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: e as NodeJS.ProcessEnv,
    timeout: 180_000,
  });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  return { probe: JSON.parse(r.stdout.trim().split('\n').pop()!) as Probe, err: r.stderr };
}

const linux = existsSync('/proc/self/task');
const multiCore = availableParallelism() >= 2;

test('ONEIRO_WASM_THREADS: 2 threads by default on 2+ cores, 1 on one core; the variable overrides; bad values are refused', () => {
  assert.equal(DEFAULT_WASM_THREADS, 2);
  assert.deepEqual(requestedThreads(undefined, 2), { n: 2, explicit: false });
  assert.deepEqual(requestedThreads('', 8), { n: 2, explicit: false });
  assert.deepEqual(requestedThreads(undefined, 1), { n: 1, explicit: false });
  assert.deepEqual(requestedThreads('1', 8), { n: 1, explicit: true });
  assert.deepEqual(requestedThreads('4', 2), { n: 4, explicit: true });
  assert.throws(() => requestedThreads('two', 2), /ONEIRO_WASM_THREADS must be an integer from 1 to 64, got 'two'/);
  assert.throws(() => requestedThreads('0', 2), /ONEIRO_WASM_THREADS must be an integer/);
});

test(
  'by default the threaded build loads and really runs on 2 OS threads; ONEIRO_WASM_THREADS=1 runs on one',
  { skip: !linux ? 'needs /proc/self/task (Linux)' : !multiCore ? 'one core: the default is 1 thread' : false },
  () => {
    const def = run({ ONEIRO_WASM_THREADS: undefined });
    assert.equal(def.probe.threads, 2);
    assert.match(def.probe.note, /threaded SIMD build, 2 thread\(s\) \(default/);
    // The second-busiest OS thread did a real share of the matmuls' CPU (idle: ~45 %).
    assert.ok(def.probe.secondShare > 0.1, JSON.stringify(def.probe));
    assert.equal(def.err, '');
    const one = run({ ONEIRO_WASM_THREADS: '1' });
    assert.equal(one.probe.threads, 1);
    assert.match(one.probe.note, /single-threaded build \(ONEIRO_WASM_THREADS=1\)/);
    assert.ok(one.probe.secondShare < 0.1, JSON.stringify(one.probe));
  },
);

test(
  "the threaded build starts only the workers its threads use, and they skip the process's --import modules (tsx)",
  { skip: !linux ? 'needs /proc/self/task (Linux)' : !multiCore ? 'one core: the default is 1 thread' : false },
  () => {
    // Emscripten's own pool is 8 workers, each inheriting `--import tsx`: ≈ 1.8 CPU s per process that used wasm.
    const dir = mkdtempSync(join(tmpdir(), 'oneiro-preload-'));
    try {
      const marker = join(dir, 'marker.mjs');
      writeFileSync(
        marker,
        "import { isMainThread } from 'node:worker_threads';\n" +
          "if (!isMainThread) process.stderr.write('preloaded in a worker thread\\n');\n",
      );
      const r = run({ ONEIRO_WASM_THREADS: undefined }, [], ['--import', marker]);
      assert.equal(r.probe.threads, 2);
      assert.ok(r.probe.secondShare > 0.1, JSON.stringify(r.probe));
      assert.doesNotMatch(r.err, /preloaded in a worker thread/);
      // One worker per thread plus one more OS thread at most; the pool of 8 added 9 or more.
      assert.ok(r.probe.addedTasks <= r.probe.threads + 1, JSON.stringify(r.probe));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'where the threaded build cannot run (no SharedArrayBuffer, or it fails to load), wasm falls back to 1 thread with one line',
  { skip: !multiCore ? 'one core: the default is 1 thread' : false },
  () => {
    for (const [flag, reason] of [
      ['--no-sab', /this runtime has no SharedArrayBuffer/],
      ['--bad-tmpdir', /ENOTDIR/],
    ] as const) {
      const r = run({ ONEIRO_WASM_THREADS: undefined }, [flag]);
      assert.equal(r.probe.threads, 1, flag);
      assert.match(r.probe.note, /^single-threaded build: the threaded one cannot run here \(/);
      assert.match(r.probe.note, reason);
      const lines = r.err.trim().split('\n');
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0], /^oneiro: wasm runs on 1 thread: the threaded build cannot run here \(/);
    }
    // Asked for explicitly, threads that cannot run are an error, not a silent single thread.
    const e = { ...process.env, ONEIRO_BACKEND: 'wasm', ONEIRO_WASM_THREADS: '2' };
    const r = spawnSync(process.execPath, ['--import', 'tsx', probe, '--no-sab'], {
      cwd: root,
      encoding: 'utf8',
      env: e,
    });
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /ONEIRO_WASM_THREADS=2: the threaded wasm build cannot run here: this runtime has no SharedArrayBuffer/,
    );
  },
);
