import * as tf from '@tensorflow/tfjs-core';
import { totalmem } from 'node:os';

/**
 * How much memory a backend can give tensors. tfjs-backend-wasm allocates every tensor in its wasm32
 * heap, whose maximum is 4 GiB (the module is built with maximum 4294967296, the wasm32 address
 * space); the JS and native backends are bounded by the machine's memory.
 */
export function backendMemoryLimit(backend: string): { bytes: number; what: string } {
  if (backend === 'wasm') return { bytes: 2 ** 32, what: 'the wasm32 heap' };
  return { bytes: totalmem(), what: "this machine's memory" };
}

/** The wasm heap's current size (it only grows, so after some steps it is their peak), or null. */
export function wasmHeapBytes(): number | null {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array; wasmMemory?: { buffer: ArrayBufferLike } } };
  const buf = b.wasm?.wasmMemory?.buffer ?? b.wasm?.HEAPU8?.buffer;
  return buf ? buf.byteLength : null;
}
