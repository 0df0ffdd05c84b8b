import { Tanh } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope } from './wasm-call.ts';

/**
 * Tanh for wasm as 2·σ(2x) − 1 on XNNPACK's vectorised sigmoid. wasm's own Tanh calls libm per element:
 * 3 ms for [800, 200] against 0.18 ms for a sigmoid of the same size (issue 17, measured here), and tanh is
 * in every GRU and LSTM step. The identity is exact; in float32 the result's absolute error stays within a
 * few 1e-8 (σ near ½ carries ~3e-8), so relative accuracy is lost only for |x| ≲ 1e-3, where tanh ≈ x.
 * The gradient (tfjs's, from the saved output: dy·(1 − y²)) is unchanged.
 */
function tanhWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const x = (args.inputs as { x: TensorInfo }).x;
  return withScope(args.backend, (s) => {
    const two = s.scalar(2);
    const sig = s.run('Sigmoid', { x: s.run('Multiply', { a: x, b: two }) });
    return s.run('Sub', { a: s.run('Multiply', { a: sig, b: two }), b: s.scalar(1) });
  });
}

export const tanhConfig: KernelConfig = {
  kernelName: Tanh,
  backendName: 'wasm',
  kernelFunc: tanhWasm as unknown as KernelFunc,
};
