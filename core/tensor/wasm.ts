import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { captureWasmKernel } from './kernels/wasm-call.ts';
import { conv2dBackpropFilterConfig } from './kernels/conv2d-backprop-filter.ts';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum.ts';
import { conv2dBackpropInputConfig } from './kernels/conv2d-backprop-input.ts';
import { batchMatMulConfig } from './kernels/batch-mat-mul.ts';
import { conv2dConfig } from './kernels/conv2d.ts';
import { castConfig, identityConfig } from './kernels/identity.ts';
import { concatConfig, sliceConfig, splitVConfig, unpackConfig } from './kernels/slice.ts';
import {
  addConfig,
  eluConfig,
  eluGradConfig,
  gruGatesConfig,
  gruGatesGradConfig,
  multiplyConfig,
  negConfig,
  sigmoidConfig,
  squareConfig,
  subConfig,
  sumConfig,
  tanhConfig,
} from './kernels/elementwise.ts';
import { UserError, isUserError } from '../util/errors.ts';

/**
 * tfjs-backend-wasm plus our training kernels (each in core/tensor/kernels/, one per file):
 * Conv2DBackpropFilter (missing in wasm), a faster Conv2DBackpropInput, BatchMatMul with
 * explicit transposes, UnsortedSegmentSum (missing; gather's gradient), Conv2D with a fix
 * for 'same' padding, Slice/SplitV/Unpack that do not copy their whole input first,
 * an Identity that shares data instead of copying it, our GEMM for matmuls (kernels/gemm.ts) and SIMD
 * elementwise ops (kernels/elementwise.ts, with a vectorised Tanh, and the GRU cell's gates fused). (The shared Identity once
 * corrupted the heap: wasm's BatchMatMul caches its XNNPACK operator by the right operand's id alone, and shared
 * ids met it at a second shape; Scope.rightOperand in kernels/wasm-call.ts now hands such operands in as copies.)
 */
export const WASM_TRAINING_KERNELS: KernelConfig[] = [
  conv2dConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  batchMatMulConfig,
  unsortedSegmentSumConfig,
  sliceConfig,
  splitVConfig,
  unpackConfig,
  concatConfig,
  identityConfig,
  castConfig,
  tanhConfig,
  addConfig,
  subConfig,
  multiplyConfig,
  squareConfig,
  negConfig,
  sigmoidConfig,
  eluConfig,
  eluGradConfig,
  gruGatesConfig,
  gruGatesGradConfig,
  sumConfig,
];

/** Kernels of tfjs-backend-wasm our kernels call (captured before any override). */
const BUILDING_BLOCKS = [
  'Conv2D',
  'Transpose',
  'Reshape',
  'Slice',
  'SplitV',
  'Unpack',
  'Concat',
  'Identity',
  'Sigmoid',
  'Multiply',
  'Sub',
  'Add',
  'Square',
  'Neg',
  'Tanh',
  'Elu',
  'EluGrad',
  'Sum',
  'BatchMatMul',
  'PadV2',
  'ScatterNd',
  'Cast',
];

let registered: Promise<number> | null = null;
let threads = 1;
let threadNote = 'single-threaded build';

/** Threads the wasm backend runs XNNPACK with. */
export function wasmThreads(): number {
  return threads;
}

/** One line on the thread setup, for `oneiro doctor`. */
export function wasmThreadNote(): string {
  return threadNote;
}

function registerTrainingKernels(): void {
  for (const name of BUILDING_BLOCKS) captureWasmKernel(name);
  for (const k of WASM_TRAINING_KERNELS) {
    const original = tf.getKernel(k.kernelName, 'wasm');
    if (original) tf.unregisterKernel(k.kernelName, 'wasm');
    // Keep the original's setup (its cwrap of the C function): our override may call it.
    tf.registerKernel(original?.setupFunc && !k.setupFunc ? { ...k, setupFunc: original.setupFunc } : k);
  }
}

/**
 * Threads by default: 2 where the machine has 2 or more cores (issue 17: on this 2-core machine, idle, 2 threads
 * beat 1 on every bench row — VAE 327 vs 472 ms, imag-h15 1302 vs 2072 ms; under heavy load they can lose, so
 * ONEIRO_WASM_THREADS=1 stays available). ONEIRO_WASM_THREADS=N (1–64) overrides; N = 1 is the plain SIMD build.
 */
export const DEFAULT_WASM_THREADS = 2;

export function requestedThreads(
  raw = process.env.ONEIRO_WASM_THREADS,
  cores = availableParallelism(),
): { n: number; explicit: boolean } {
  if (raw === undefined || raw === '')
    return { n: Math.max(1, Math.min(DEFAULT_WASM_THREADS, cores)), explicit: false };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UserError(`ONEIRO_WASM_THREADS must be an integer from 1 to 64, got '${raw}'`);
  }
  return { n, explicit: true };
}

/** Why the threaded build cannot run in this runtime (null: it can). It needs shared wasm memory and workers. */
export function threadedUnsupported(): string | null {
  if (typeof SharedArrayBuffer !== 'function') return 'this runtime has no SharedArrayBuffer';
  if (typeof Atomics !== 'object') return 'this runtime has no Atomics';
  try {
    createRequire(import.meta.url)('node:worker_threads');
  } catch {
    return 'this runtime has no worker_threads';
  }
  return null;
}

async function loadThreaded(want: number, dist: string): Promise<number> {
  // Only one copy of the wasm backend may load: the patched one (see wasm-threads.ts).
  const { loadThreadedWasmModule } = await import('./wasm-threads.ts');
  const mod = loadThreadedWasmModule(want);
  mod.setWasmPaths(dist);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  mod.setThreadsCount(want);
  registerTrainingKernels();
  if (!(await tf.setBackend('wasm'))) {
    // The threaded copy is registered by now, so the plain build cannot be loaded beside it in this process.
    throw new UserError(
      `the threaded wasm build (${want} threads) did not initialise; set ONEIRO_WASM_THREADS=1 for the single-threaded one`,
    );
  }
  return mod.getThreadsCount();
}

async function load(): Promise<number> {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  const { n: want, explicit } = requestedThreads();
  const source = explicit ? `ONEIRO_WASM_THREADS=${want}` : `default; ONEIRO_WASM_THREADS overrides`;
  if (want >= 2) {
    let why = threadedUnsupported();
    if (why && explicit)
      throw new UserError(`ONEIRO_WASM_THREADS=${want}: the threaded wasm build cannot run here: ${why}`);
    if (!why) {
      try {
        threads = await loadThreaded(want, dist);
        threadNote = `threaded SIMD build, ${threads} thread(s) (${source}; ${availableParallelism()} logical cores)`;
        return threads;
      } catch (e) {
        // Only failures before anything was registered come here without a UserError (e.g. the bundle patch).
        if (explicit || isUserError(e)) throw e;
        why = (e as Error).message.split('\n')[0];
      }
    }
    threadNote = `single-threaded build: the threaded one cannot run here (${why})`;
    console.warn(`oneiro: wasm runs on 1 thread: the threaded build cannot run here (${why})`);
  } else {
    threadNote = `single-threaded build (${explicit ? source : `${availableParallelism()} logical core(s)`})`;
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(dist);
  registerTrainingKernels();
  threads = 1;
  return threads;
}

/** Registers tfjs-backend-wasm and our training kernels for it (once). Returns the thread count. */
export function registerWasmBackend(): Promise<number> {
  registered ??= load();
  return registered;
}
