import { Cast, Identity } from '@tensorflow/tfjs-core';
import type { CastAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmKernel, type WasmBackendLike } from './wasm-call.ts';

/**
 * Identity for wasm that shares its input's data (one more reference) instead of copying it, as the
 * cpu and webgl backends do. tfjs-core clones through Identity every tensor a kernel saves for its
 * gradient (Engine.saveTensorsForBackwardMode: the outputs of sigmoid, tanh, exp, …), so wasm's copy
 * ran once per activation per step: about 1000 copies in one 16 × 50 MDN-RNN update (issue 17).
 * Sharing is safe because no kernel writes into an existing tensor's memory: every op makes a new output
 * and Variable.assign swaps data ids. It does let one id reach wasm's BatchMatMul at two shapes (a saved
 * activation, then its reshape), which that kernel's id-keyed operator cache cannot take: Scope.rightOperand
 * (wasm-call.ts) guards it (test/unit/tensor/matmul-operand-cache.test.ts; without it the object-graph
 * model's tests crash with memory access out of bounds).
 */
function identityWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const x = (args.inputs as { x: TensorInfo }).x;
  if (x.dtype === 'string') return wasmKernel('Identity')(args as never) as TensorInfo;
  (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identityWasm as unknown as KernelFunc,
};

/**
 * Cast to the dtype a tensor already has shares its data as Identity does; other casts are wasm's own. tfjs's
 * Multiply and RealDiv gradients cast both operands to float32 on every call, and wasm's Cast copies: 202 copies
 * of [800, 200] tensors in one imag-h15 update (issue 17).
 */
function castWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const x = (args.inputs as { x: TensorInfo }).x;
  const { dtype } = args.attrs as unknown as CastAttrs;
  if (dtype !== x.dtype) return wasmKernel('Cast')(args as never) as TensorInfo;
  return identityWasm(args);
}

export const castConfig: KernelConfig = {
  kernelName: Cast,
  backendName: 'wasm',
  kernelFunc: castWasm as unknown as KernelFunc,
};
