/**
 * Child process for wasm-threads-default.test.ts: loads the wasm backend as the environment says and prints, as
 * one JSON line, its thread setup and how the CPU time of a run of large matmuls spread over the process's OS
 * threads (Linux /proc/self/task). `--no-sab` first deletes SharedArrayBuffer (a runtime without it);
 * `--bad-tmpdir` makes the threaded build's files unwritable (a load failure).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, readFileSync } from 'node:fs';
import { initBackend } from '../../../core/tensor/backend.ts';
import { wasmThreadNote, wasmThreads } from '../../../core/tensor/wasm.ts';
import '../../../core/tensor/wasm-threads.ts'; // loaded before --bad-tmpdir (tsx compiles into the temp dir too)

if (process.argv.includes('--no-sab')) delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
if (process.argv.includes('--bad-tmpdir')) process.env.TMPDIR = '/proc/self/stat';

/** CPU clock ticks (user + system) of each OS thread of this process. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(f[11]) + Number(f[12])); // fields 14 and 15 of stat(5): utime, stime
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

const tasksBefore = readdirSync('/proc/self/task').length;
const info = await initBackend('wasm');
const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 1);
tf.matMul(a, a).dispose();
const before = threadTicks();
for (let i = 0; i < 12; i++) {
  const p = tf.matMul(a, a);
  p.dataSync();
  p.dispose();
}
const after = threadTicks();
// OS threads the backend added (its pthread pool's workers among them), counted after the matmuls ran.
const addedTasks = after.size - tasksBefore;
a.dispose();
const ticks = [...after].map(([tid, t]) => t - (before.get(tid) ?? 0)).sort((x, y) => y - x);
const total = ticks.reduce((s, t) => s + t, 0);
console.log(
  JSON.stringify({
    threads: info.threads,
    wasmThreads: wasmThreads(),
    note: wasmThreadNote(),
    ticks: ticks.slice(0, 4),
    secondShare: total ? (ticks[1] ?? 0) / total : 0,
    addedTasks,
  }),
);
