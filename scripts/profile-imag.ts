/**
 * Where one imagination update's CPU goes (issue 17): the `imag-h15` workload (core/bench/suites/dreamer.ts) on
 * wasm, first timed plain (CPU time of the process per update: load-independent on one thread), then once with
 * every wasm kernel wrapped to count its calls and main-thread CPU (on 2 threads, the critical path). What the kernels do not account for is tfjs's dispatch
 * (engine bookkeeping, tape, gradient functions) and our JS.
 *   node --import tsx scripts/profile-imag.ts [updates=5] [starts=800]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { initBackend } from '../core/tensor/backend.ts';
import { makeImagWorkload } from '../core/bench/suites/dreamer.ts';
import { sharedPool } from '../core/tensor/kernels/gemm-pool.ts';
import { isShared } from '../core/tensor/kernels/wasm-asm.ts';
import { heapMemory, type HeapBackend } from '../core/tensor/kernels/wasm-call.ts';

const updates = Number(process.argv[2] ?? 5);
const starts = Number(process.argv[3] ?? 800);
const info = await initBackend('wasm');
const w = makeImagWorkload(starts);
/** CPU time of the main thread alone (Linux schedstat, ns): with 2 threads, the update's critical path at idle. */
const mainCpuMs = () => {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
try {
  w.update(0);
  const cpu: number[] = [];
  const main: number[] = [];
  const wall: number[] = [];
  for (let i = 1; i <= updates; i++) {
    const c0 = cpuMs();
    const m0 = mainCpuMs();
    const t0 = performance.now();
    w.update(i);
    wall.push(performance.now() - t0);
    main.push(mainCpuMs() - m0);
    cpu.push(cpuMs() - c0);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

  // One update with every wasm kernel wrapped.
  const stats = new Map<string, { n: number; ms: number }>();
  // Per kernel and input shapes (the top rows are printed under each kernel).
  const byShape = new Map<string, { n: number; ms: number }>();
  // On 1 thread the process's CPU clock is exact per call; the thread's schedstat advances only at scheduler ticks
  // (right in sum over thousands of calls, not per call).
  const clock = info.threads === 1 ? cpuMs : mainCpuMs;
  const matmuls = new Map<string, { n: number; ms: number; flop: number }>();
  const configs = tf.getKernelsForBackend('wasm');
  for (const k of configs) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: never) => {
        const c0 = clock();
        const out = (f as (a: never) => unknown)(args);
        const dt = clock() - c0;
        const s = stats.get(k.kernelName) ?? { n: 0, ms: 0 };
        s.n += 1;
        s.ms += dt;
        stats.set(k.kernelName, s);
        const ins = Object.values((args as { inputs: Record<string, TensorInfo | undefined> }).inputs);
        const sk = `${k.kernelName} ${ins.map((t) => (t ? `${t.shape.join('x')}${t.dtype === 'float32' ? '' : t.dtype}` : '-')).join(' ')}`;
        const ss = byShape.get(sk) ?? { n: 0, ms: 0 };
        ss.n += 1;
        ss.ms += dt;
        byShape.set(sk, ss);
        if (k.kernelName === 'BatchMatMul') {
          const { a, b } = (args as { inputs: { a: TensorInfo; b: TensorInfo } }).inputs;
          const { transposeA: ta, transposeB: tb } = (args as { attrs: { transposeA: boolean; transposeB: boolean } })
            .attrs;
          const key = `${a.shape.join('x')}${ta ? 'ᵀ' : ''} · ${b.shape.join('x')}${tb ? 'ᵀ' : ''}`;
          const m = matmuls.get(key) ?? { n: 0, ms: 0, flop: 0 };
          const k2 = ta ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
          m.n += 1;
          m.ms += dt;
          m.flop += (2 * (a.shape.reduce((x, y) => x * y, 1) / k2) * b.shape.reduce((x, y) => x * y, 1)) / 1;
          matmuls.set(key, m);
        }
        return out;
      }) as typeof f,
    });
  }
  const memory = heapMemory(tf.backend() as unknown as HeapBackend);
  const pool = memory && isShared(memory) ? sharedPool(memory) : null;
  const s0 = pool?.stats();
  const c0 = clock();
  w.update(updates + 1);
  const total = clock() - c0;
  const s1 = pool?.stats();
  const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernels = rows.reduce((a, [, s]) => a + s.n, 0);
  const inKernels = rows.reduce((a, [, s]) => a + s.ms, 0);
  console.log(
    `imag-h15, ${starts} starts, wasm ${info.threads} thread(s): CPU per update ${cpu.map((x) => x.toFixed(0)).join(' ')} ms (median ${med(cpu).toFixed(0)}), main thread ${main.map((x) => x.toFixed(0)).join(' ')} ms (median ${med(main).toFixed(0)}), wall median ${med(wall).toFixed(0)} ms, load ${loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `profiled update: ${kernels} kernels, main-thread CPU ${total.toFixed(0)} ms, in kernels ${inKernels.toFixed(0)} ms, outside ${(total - inKernels).toFixed(0)} ms (${(((total - inKernels) / kernels) * 1e3).toFixed(0)} µs per kernel)`,
  );
  const shapeRows = [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms);
  if (s0 && s1)
    console.log(
      `worker: ${s1.split - s0.split} jobs split (products and elementwise ops), ${s1.byWorker - s0.byWorker} halves run by the worker (the rest taken back by the main thread)`,
    );
  for (const [name, s] of rows) {
    console.log(
      `${name.padEnd(24)} ${String(s.n).padStart(6)} calls ${s.ms.toFixed(1).padStart(8)} ms ${((s.ms / s.n) * 1e3).toFixed(0).padStart(6)} µs/call`,
    );
    if (name === 'BatchMatMul') continue;
    for (const [key, t] of shapeRows.filter(([key]) => key.startsWith(`${name} `)).slice(0, 3))
      if (t.ms >= 1)
        console.log(
          `    ${key.slice(name.length + 1).padEnd(36)} ${String(t.n).padStart(4)} calls ${t.ms.toFixed(1).padStart(7)} ms`,
        );
  }
  console.log('BatchMatMul by shape (rank 2):');
  for (const [key, m] of [...matmuls.entries()].sort((a, b) => b[1].ms - a[1].ms))
    console.log(
      `  ${key.padEnd(28)} ${String(m.n).padStart(4)} calls ${m.ms.toFixed(1).padStart(8)} ms ${(m.flop / m.ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`,
    );
} finally {
  w.dispose();
}
