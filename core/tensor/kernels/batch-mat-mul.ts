import { BatchMatMul } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope, wasmKernel } from './wasm-call.ts';

/**
 * BatchMatMul for wasm with transposeA/transposeB done as an explicit Transpose followed by
 * wasm's plain matmul. wasm's transposed forms are far slower (issue 2, 1024³: 0.4 GFLOP/s
 * with transposeA, 2.1 with transposeB, 22 with explicit transpose + plain); every matMul
 * gradient uses them, so dense layers, GRU/LSTM and heads all go through here.
 */
function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return perm;
}

function batchMatMulWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (!transposeA && !transposeB) return wasmKernel('BatchMatMul')(args as never) as TensorInfo;
  return withScope(backend, (s) => {
    const at = transposeA ? s.transpose(a, swapLast(a.shape.length)) : a;
    const bt = transposeB ? s.transpose(b, swapLast(b.shape.length)) : b;
    return s.run('BatchMatMul', { a: at, b: bt }, { transposeA: false, transposeB: false });
  });
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulWasm as unknown as KernelFunc,
};
