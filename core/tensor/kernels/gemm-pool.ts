import { Worker } from 'node:worker_threads';
import { B_BYTES_IN_L2, KC, gemmBlocked, gemmModuleBytes, type Gemm, type WasmMemory } from './gemm.ts';

/**
 * Our GEMM on 2 threads when the backend's heap is shared (the threaded build): a worker thread holds its own
 * instance of the kernel on the same memory and takes the lower half of C's rows while the main thread does the
 * upper half. XNNPACK's pool cannot run our kernel, and without this the matmuls of the 2-thread build would use
 * one core.
 *
 * Hand-off through a small SharedArrayBuffer: the main thread writes the job, marks it POSTED and wakes the worker
 * (Atomics.notify); the worker claims it (POSTED → TAKEN) and marks it DONE. A main thread that finishes its half
 * first and finds the job still POSTED takes it back (POSTED → DONE) and runs it itself, so a worker the scheduler
 * has not woken (a loaded machine) costs a wait on no one; it only waits for a half the worker has started.
 */
const SEQ = 0;
const STATE = 1;
const ARGS = 2; // a, b, c, m, k, n, rs, ks (2 … 9)
const BY_WORKER = 10; // jobs the worker ran (tests, diagnostics)
const IDLE = 0;
const POSTED = 1;
const TAKEN = 2;
const DONE = 3;

/** Below this many multiply-adds a product runs on the main thread alone (waking the worker costs ~10–50 µs). */
const MIN_SPLIT_MACS = 2e6;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, ctrl, bytes, kc, l2 } = workerData;
const c = new Int32Array(ctrl);
const gemm = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } }).exports.gemm;
let seen = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  seen = Atomics.load(c, ${SEQ});
  if (Atomics.compareExchange(c, ${STATE}, ${POSTED}, ${TAKEN}) !== ${POSTED}) continue;
  const a = Atomics.load(c, ${ARGS}), b = Atomics.load(c, ${ARGS + 1}), out = Atomics.load(c, ${ARGS + 2});
  const m = Atomics.load(c, ${ARGS + 3}), k = Atomics.load(c, ${ARGS + 4}), n = Atomics.load(c, ${ARGS + 5});
  const rs = Atomics.load(c, ${ARGS + 6}), ks = Atomics.load(c, ${ARGS + 7});
  // gemmBlocked (gemm.ts), repeated here: the worker runs plain JavaScript.
  if (k <= kc || (ks === 1 && 4 * k * n <= l2)) gemm(a, b, out, m, k, n, rs, ks, 0);
  else for (let k0 = 0; k0 < k; k0 += kc) gemm(a + 4 * k0 * ks, b + 4 * k0 * n, out, m, Math.min(kc, k - k0), n, rs, ks, k0 > 0 ? 1 : 0);
  Atomics.add(c, ${BY_WORKER}, 1);
  Atomics.store(c, ${STATE}, ${DONE});
  Atomics.notify(c, ${STATE});
}
`;

export interface GemmPool {
  /** C = A·B (byte pointers; A's steps rs, ks as in gemmBlocked), rows split between the main thread and the worker. */
  run(a: number, b: number, c: number, m: number, k: number, n: number, rs?: number, ks?: number): void;
  /** Products split so far, and how many of their halves the worker ran (the rest the main thread took back). */
  stats(): { split: number; byWorker: number };
}

export function makeGemmPool(memory: WasmMemory, gemm: Gemm, fma: boolean): GemmPool {
  const ctrl = new SharedArrayBuffer(4 * 16);
  const c = new Int32Array(ctrl);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { memory, ctrl, bytes: gemmModuleBytes(fma, true), kc: KC, l2: B_BYTES_IN_L2 },
  });
  // Idle, the worker blocks in Atomics.wait; it must not keep the process alive.
  worker.unref();
  worker.on('error', (e) => {
    failed = e;
  });
  let failed: Error | null = null;
  let split = 0;
  return {
    stats: () => ({ split, byWorker: Atomics.load(c, BY_WORKER) }),
    run(a, b, out, m, k, n, rs = k, ks = 1) {
      if (failed || m < 8 || m * k * n < MIN_SPLIT_MACS) {
        gemmBlocked(gemm, a, b, out, m, k, n, rs, ks);
        return;
      }
      split += 1;
      const top = 4 * Math.ceil(m / 8); // the main thread's rows (a multiple of 4)
      const rest = m - top;
      Atomics.store(c, ARGS, a + 4 * top * rs);
      Atomics.store(c, ARGS + 1, b);
      Atomics.store(c, ARGS + 2, out + 4 * top * n);
      Atomics.store(c, ARGS + 3, rest);
      Atomics.store(c, ARGS + 4, k);
      Atomics.store(c, ARGS + 5, n);
      Atomics.store(c, ARGS + 6, rs);
      Atomics.store(c, ARGS + 7, ks);
      Atomics.store(c, STATE, POSTED);
      Atomics.add(c, SEQ, 1);
      Atomics.notify(c, SEQ);
      gemmBlocked(gemm, a, b, out, top, k, n, rs, ks);
      if (Atomics.compareExchange(c, STATE, POSTED, DONE) === POSTED) {
        gemmBlocked(gemm, a + 4 * top * rs, b, out + 4 * top * n, rest, k, n, rs, ks);
      } else {
        while (Atomics.load(c, STATE) === TAKEN) Atomics.wait(c, STATE, TAKEN);
      }
      Atomics.store(c, STATE, IDLE);
    },
  };
}
