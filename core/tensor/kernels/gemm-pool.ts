import { Worker } from 'node:worker_threads';
import { B_BYTES_IN_L2, KC, gemmBlocked, gemmModuleBytes, makeGemm, type Gemm, type WasmMemory } from './gemm.ts';
import { elementwiseFunctionNames, elementwiseModuleBytes } from './elementwise.ts';

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
 * The worker also holds our elementwise module (elementwise.ts), so large elementwise ops split the same way.
 */
const SEQ = 0;
const STATE = 1;
const ARGS = 2; // a, b, c, m, k, n, rs, ks (2 … 9)
const BY_WORKER = 10; // jobs the worker ran (tests, diagnostics)
const FN = 11; // the job: 0 the GEMM, i > 0 the elementwise module's function names[i − 1]
const IDLE = 0;
const POSTED = 1;
const TAKEN = 2;
const DONE = 3;

/** Below this many multiply-adds a product runs on the main thread alone (waking the worker costs ~10–50 µs). */
const MIN_SPLIT_MACS = 2e6;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, ctrl, bytes, ewBytes, names, kc, l2 } = workerData;
const c = new Int32Array(ctrl);
const gemm = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } }).exports.gemm;
const ew = new WebAssembly.Instance(new WebAssembly.Module(ewBytes), { env: { mem: memory } }).exports;
const fns = names.map((name) => ew[name]);
let seen = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  seen = Atomics.load(c, ${SEQ});
  if (Atomics.compareExchange(c, ${STATE}, ${POSTED}, ${TAKEN}) !== ${POSTED}) continue;
  const a = Atomics.load(c, ${ARGS}), b = Atomics.load(c, ${ARGS + 1}), out = Atomics.load(c, ${ARGS + 2});
  const m = Atomics.load(c, ${ARGS + 3}), k = Atomics.load(c, ${ARGS + 4}), n = Atomics.load(c, ${ARGS + 5});
  const rs = Atomics.load(c, ${ARGS + 6}), ks = Atomics.load(c, ${ARGS + 7});
  const fn = Atomics.load(c, ${FN});
  if (fn > 0) fns[fn - 1](a, b, out, m, k, n, rs, ks);
  // gemmBlocked (gemm.ts), repeated here: the worker runs plain JavaScript.
  else if (k <= kc || (ks === 1 && 4 * k * n <= l2)) gemm(a, b, out, m, k, n, rs, ks, 0);
  else for (let k0 = 0; k0 < k; k0 += kc) gemm(a + 4 * k0 * ks, b + 4 * k0 * n, out, m, Math.min(kc, k - k0), n, rs, ks, k0 > 0 ? 1 : 0);
  Atomics.add(c, ${BY_WORKER}, 1);
  Atomics.store(c, ${STATE}, ${DONE});
  Atomics.notify(c, ${STATE});
}
`;

export interface GemmPool {
  /** C = A·B (byte pointers; A's steps rs, ks as in gemmBlocked), rows split between the main thread and the worker. */
  run(a: number, b: number, c: number, m: number, k: number, n: number, rs?: number, ks?: number): void;
  /**
   * One call of our elementwise module's function `name` split in two: `fn` (the main thread's instance of it)
   * runs `first`, the worker `second` (up to 8 arguments each); taken back as for products.
   */
  split(name: string, fn: (...args: number[]) => void, first: number[], second: number[]): void;
  /** Jobs split so far, and how many of their halves the worker ran (the rest the main thread took back). */
  stats(): { split: number; byWorker: number };
}

const pools = new WeakMap<object, GemmPool>();
/** The one pool (worker thread) of a shared memory, made on first use. */
export function sharedPool(memory: WasmMemory): GemmPool {
  let p = pools.get(memory);
  if (!p) {
    const { gemm, fma } = makeGemm(memory);
    p = makeGemmPool(memory, gemm, fma);
    pools.set(memory, p);
  }
  return p;
}

export function makeGemmPool(memory: WasmMemory, gemm: Gemm, fma: boolean): GemmPool {
  const ctrl = new SharedArrayBuffer(4 * 16);
  const c = new Int32Array(ctrl);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      memory,
      ctrl,
      bytes: gemmModuleBytes(fma, true),
      ewBytes: elementwiseModuleBytes(true),
      names: elementwiseFunctionNames(),
      kc: KC,
      l2: B_BYTES_IN_L2,
    },
  });
  // Idle, the worker blocks in Atomics.wait; it must not keep the process alive.
  worker.unref();
  worker.on('error', (e) => {
    failed = e;
  });
  let failed: Error | null = null;
  let split = 0;
  const names = elementwiseFunctionNames();
  /** Posts a job (FN, args) and wakes the worker. */
  const post = (fn: number, args: number[]) => {
    split += 1;
    Atomics.store(c, FN, fn);
    args.forEach((v, i) => Atomics.store(c, ARGS + i, v));
    Atomics.store(c, STATE, POSTED);
    Atomics.add(c, SEQ, 1);
    Atomics.notify(c, SEQ);
  };
  /** After the main thread's half: runs the worker's half itself if not started, else waits for it. */
  const finish = (takeBack: () => void) => {
    if (Atomics.compareExchange(c, STATE, POSTED, DONE) === POSTED) takeBack();
    else while (Atomics.load(c, STATE) === TAKEN) Atomics.wait(c, STATE, TAKEN);
    Atomics.store(c, STATE, IDLE);
  };
  return {
    stats: () => ({ split, byWorker: Atomics.load(c, BY_WORKER) }),
    split(name, fn, first, second) {
      const i = names.indexOf(name);
      if (failed || i < 0) {
        fn(...first);
        fn(...second);
        return;
      }
      post(i + 1, second);
      fn(...first);
      finish(() => fn(...second));
    },
    run(a, b, out, m, k, n, rs = k, ks = 1) {
      if (failed || m < 8 || m * k * n < MIN_SPLIT_MACS) {
        gemmBlocked(gemm, a, b, out, m, k, n, rs, ks);
        return;
      }
      const top = 4 * Math.ceil(m / 8); // the main thread's rows (a multiple of 4)
      const rest = m - top;
      post(0, [a + 4 * top * rs, b, out + 4 * top * n, rest, k, n, rs, ks]);
      gemmBlocked(gemm, a, b, out, top, k, n, rs, ks);
      finish(() => gemmBlocked(gemm, a + 4 * top * rs, b, out + 4 * top * n, rest, k, n, rs, ks));
    },
  };
}
