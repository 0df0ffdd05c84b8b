import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Registers tfjs-backend-wasm and our training kernels for it.
 * NOTE: initial version; the training kernels (Conv2DBackpropFilter, faster input gradient,
 * transposed matMul) and threads are added by the core/tensor owners.
 */
export async function registerWasmBackend(): Promise<number> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(join(dir, 'dist') + '/');
  await import('@tensorflow/tfjs-backend-wasm');
  return 1;
}
