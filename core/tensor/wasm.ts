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
import { tanhConfig } from './kernels/tanh.ts';
import { identityConfig } from './kernels/identity.ts';
import { sliceConfig, splitVConfig, unpackConfig } from './kernels/slice.ts';
import { UserError } from '../util/errors.ts';

/**
 * tfjs-backend-wasm plus our training kernels (each in core/tensor/kernels/, one per file):
 * Conv2DBackpropFilter (missing in wasm), a faster Conv2DBackpropInput, BatchMatMul with
 * explicit transposes, UnsortedSegmentSum (missing; gather's gradient), Conv2D with a fix
 * for 'same' padding, Slice/SplitV/Unpack that do not copy their whole input first,
 * an Identity that shares data instead of copying it, and a vectorised Tanh. (The shared Identity once
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
  identityConfig,
  tanhConfig,
];

/** Kernels of tfjs-backend-wasm our kernels call (captured before any override). */
const BUILDING_BLOCKS = [
  'Conv2D',
  'Transpose',
  'Reshape',
  'Slice',
  'SplitV',
  'Unpack',
  'Identity',
  'Sigmoid',
  'Multiply',
  'Sub',
  'BatchMatMul',
  'PadV2',
  'ScatterNd',
  'Cast',
];

let registered: Promise<number> | null = null;
let threads = 1;
let threadNote = 'single-threaded build (set ONEIRO_WASM_THREADS=2 to try the threaded one)';

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

/** ONEIRO_WASM_THREADS: unset/1 = the plain SIMD build; N >= 2 = the threaded build with N threads. */
function requestedThreads(): number {
  const raw = process.env.ONEIRO_WASM_THREADS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UserError(`ONEIRO_WASM_THREADS must be an integer from 1 to 64, got '${raw}'`);
  }
  return n;
}

async function load(): Promise<number> {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  const want = requestedThreads();
  if (want >= 2) {
    // Only one copy of the wasm backend may load: the patched one (see wasm-threads.ts).
    const { loadThreadedWasmModule } = await import('./wasm-threads.ts');
    const mod = loadThreadedWasmModule();
    mod.setWasmPaths(dist);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    mod.setThreadsCount(want);
    registerTrainingKernels();
    if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm backend did not initialise');
    threads = mod.getThreadsCount();
    threadNote = `threaded SIMD build, ${threads} thread(s) (ONEIRO_WASM_THREADS=${want}; ${availableParallelism()} logical cores)`;
    return threads;
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
