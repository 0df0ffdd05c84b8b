import { BatchMatMul, engine, util } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { derivedOf, withScope } from './wasm-call.ts';

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

/** True when `dataId` holds a tf.Variable's current value (a weight: it lives across calls). */
function isVariableData(dataId: object): boolean {
  const vars = engine().state.registeredVariables;
  for (const name in vars) if (vars[name].dataId === dataId) return true;
  return false;
}

function batchMatMulWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (!transposeA && !transposeB) return withScope(backend, (s) => s.run('BatchMatMul', { a, b }, args.attrs));
  const ra = a.shape.length;
  if (!transposeA && isVariableData(b.dataId)) {
    // a·Wᵀ with W a weight (a dense layer's input gradient): Wᵀ is made and packed once per weight value, not
    // per call (imagination backpropagates through the same weights at every step). The gradient sees the
    // weight's own data because Identity shares data (kernels/identity.ts).
    return withScope(backend, (s) =>
      s.run(
        'BatchMatMul',
        { a, b: derivedOf(backend, b, 'T', (c) => c.transpose(b, swapLast(b.shape.length))) },
        { transposeA: false, transposeB: false },
      ),
    );
  }
  const rb = b.shape.length;
  const single = util.sizeFromShape(a.shape.slice(0, -2)) === 1 && util.sizeFromShape(b.shape.slice(0, -2)) === 1;
  const [m, k, n] = [a.shape[ra - 2], a.shape[ra - 1], b.shape[rb - 2]];
  const [m2, n2] = [a.shape[ra - 1], b.shape[rb - 1]]; // rows of aᵀ and columns of b when transposeA

  // Elements moved: transposing and packing b (2·K·N) against transposing and packing aᵀ and transposing the
  // product back (2·M·K + M·N).
  if (!transposeA && single && ra === rb && 2 * m * k + m * n < 2 * k * n) {
    // a·bᵀ with few rows in a (the input gradient of a dense layer or an LSTM's h·Wh at a small batch):
    // XNNPACK packs its right operand on every call with a new tensor, so transposing and packing the whole
    // weight b cost ~20× the product itself at 16×1024×256 (7.4 ms against 0.3). (a·bᵀ)ᵀ = b·aᵀ packs only aᵀ.
    return withScope(backend, (s) => {
      const perm = swapLast(ra);
      const outT = s.run('BatchMatMul', { a: b, b: s.transpose(a, perm) }, { transposeA: false, transposeB: false });
      return s.transpose(outT, perm);
    });
  }
  if (transposeA && !transposeB && single && ra === rb && n2 >= 3 * m2) {
    // aᵀ·b with a fresh, wide b (the weight gradient xᵀ·dy of a layer with few inputs and many outputs, e.g.
    // an LSTM's [800, 35]ᵀ·[800, 1024]): packing b costs far more than the product (10 ms against 2 here);
    // (aᵀ·b)ᵀ = bᵀ·a packs the narrow a instead (5 ms).
    return withScope(backend, (s) => {
      const perm = swapLast(ra);
      const outT = s.run('BatchMatMul', { a: s.transpose(b, perm), b: a }, { transposeA: false, transposeB: false });
      return s.transpose(outT, perm);
    });
  }
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
