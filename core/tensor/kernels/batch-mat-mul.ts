import { BatchMatMul, engine, util } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { derivedOf, heapMemory, heapOffset, withScope, type HeapBackend, type Scope } from './wasm-call.ts';
import { gemmBlocked, makeGemm, type Dots } from './gemm.ts';
import { sharedPool } from './gemm-pool.ts';
import { isShared } from './wasm-asm.ts';

/**
 * BatchMatMul for wasm: float32 products in our kernels (gemm.ts: the tile, or dot products for fewer than 8
 * columns), transposeB through an explicit (for weights, cached) transpose, transposeA read in place or through
 * (bᵀ·a)ᵀ where that saves a large copy; anything else (other dtypes, broadcast batches) as an explicit
 * transpose and wasm's plain matmul. wasm's own transposed forms are far slower (issue 2, 1024³: 0.4 GFLOP/s with
 * transposeA, 2.1 with transposeB, 22 with explicit transpose + plain); every matMul gradient uses them.
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

/**
 * Our GEMM compiled against the backend's memory (the threaded build exports it as wasmMemory, the plain one as
 * asm.memory); on the threaded build's shared heap it runs on 2 threads (gemm-pool.ts).
 */
type Runner = (a: number, b: number, c: number, m: number, k: number, n: number, rs: number, ks: number) => void;
interface Kernels {
  run: Runner;
  dots: Dots;
}
const gemms = new WeakMap<object, Kernels | null>();
function gemmFor(backend: HeapBackend): Kernels | null {
  let g = gemms.get(backend);
  if (g === undefined) {
    const memory = heapMemory(backend);
    // ONEIRO_WASM_GEMM=xnnpack keeps wasm's own matmul (for comparisons, or should ours misbehave somewhere).
    if (!memory || process.env.ONEIRO_WASM_GEMM === 'xnnpack') g = null;
    else {
      const { gemm, dots } = makeGemm(memory);
      if (isShared(memory)) {
        const pool = sharedPool(memory);
        g = { run: (a, b, c, m, k, n, rs, ks) => pool.run(a, b, c, m, k, n, rs, ks), dots };
      } else g = { run: (a, b, c, m, k, n, rs, ks) => gemmBlocked(gemm, a, b, c, m, k, n, rs, ks), dots };
    }
    gemms.set(backend, g);
  }
  return g;
}

/**
 * Whether our kernels take a product with these operands (else wasm's own, XNNPACK): float32, batch dimensions
 * that match. Any K: with K = 1 the tile is store-bound but still ~6× XNNPACK here ([12 800, 1]·[1, 200]: 0.55 ms
 * against 3.2; issue 17), and on the threaded build XNNPACK hands even these to its pool. N < 8 goes to dots.
 */
function oursTakes(a: TensorInfo, b: TensorInfo, m: number, k: number, n: number): boolean {
  const ra = a.shape.length;
  const rb = b.shape.length;
  return (
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    k >= 1 &&
    n >= 1 &&
    m > 0 &&
    ra === rb &&
    a.shape.slice(0, -2).every((d, i) => d === b.shape[i])
  );
}

/** Below this many columns a product runs as dot products (gemm.ts `dots`), not in the 4×8 tile. */
const DOTS_BELOW_N = 8;

/** a·btᵀ with bt [.., N, K] as stored, as one SIMD dot product per output element (gemm.ts `dots`). */
function dotsMatMul(s: Scope, g: Kernels, a: TensorInfo, bt: TensorInfo): TensorInfo {
  const backend = s.backend as unknown as HeapBackend;
  const ra = a.shape.length;
  const [m, k, n] = [a.shape[ra - 2], a.shape[ra - 1], bt.shape[ra - 2]];
  const batch = a.shape.slice(0, -2);
  const out = s.own(backend.makeOutput([...batch, m, n], 'float32'));
  const [pa, pb, pc] = [heapOffset(backend, a), heapOffset(backend, bt), heapOffset(backend, out)];
  const nb = util.sizeFromShape(batch);
  for (let i = 0; i < nb; i++) g.dots(pa + 4 * i * m * k, pb + 4 * i * n * k, pc + 4 * i * m * n, m, k, n);
  return out;
}

/**
 * a·b, or aᵀ·b with a read in place (transposeA): our GEMM (kernels/gemm.ts) for float32 operands whose batch
 * dimensions match, else wasm's own (XNNPACK) after an explicit transpose. Batches run one product after another.
 */
function plainMatMul(s: Scope, a: TensorInfo, b: TensorInfo, transposeA = false): TensorInfo {
  const backend = s.backend as unknown as HeapBackend;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, k] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const n = b.shape[rb - 1];
  const batch = a.shape.slice(0, -2);
  const g = oursTakes(a, b, m, k, n) ? gemmFor(backend) : null;
  if (g && n < DOTS_BELOW_N && !transposeA) return dotsMatMul(s, g, a, s.transpose(b, swapLast(rb)));
  if (g && n < DOTS_BELOW_N && m >= DOTS_BELOW_N) {
    // aᵀ·b with few columns (a head's weight gradient [800, 200]ᵀ·[800, 6]): (bᵀ·a)ᵀ in the tile, a read as stored.
    const perm = swapLast(rb);
    return s.transpose(plainMatMul(s, s.transpose(b, perm), a), perm);
  }
  if (!g || n < DOTS_BELOW_N) {
    const at = transposeA ? s.transpose(a, swapLast(ra)) : a;
    return s.run('BatchMatMul', { a: at, b }, { transposeA: false, transposeB: false });
  }
  const out = s.own(backend.makeOutput([...batch, m, n], 'float32'));
  // Offsets after makeOutput (an allocation may grow the heap; offsets stay valid, views would not).
  const pa = heapOffset(backend, a);
  const pb = heapOffset(backend, b);
  const pc = heapOffset(backend, out);
  const [rs, ks] = transposeA ? [1, m] : [k, 1];
  const nb = util.sizeFromShape(batch);
  for (let i = 0; i < nb; i++) g.run(pa + 4 * i * m * k, pb + 4 * i * k * n, pc + 4 * i * m * n, m, k, n, rs, ks);
  return out;
}

/**
 * aᵀ·b with a of this many elements or more is read in place by our GEMM (the weight gradients xᵀ·dy over all
 * imagined states, [12 000, 200]ᵀ): wasm's transpose of such an a costs ~2 ms, more than the in-place tile's
 * ~5 % slower reads. Smaller a is transposed first (issue 17, one thread, load ~7: [800, 230]ᵀ·[800, 200] 1.7–1.9 ms
 * in place against 1.4–1.6 + 0.15 for the transpose).
 */
const IN_PLACE_AT = 2 ** 20;

function batchMatMulWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (!transposeA && !transposeB) return withScope(backend, (s) => plainMatMul(s, a, b));
  const ra = a.shape.length;
  if (!transposeA && transposeB) {
    // a·bᵀ with few rows in b (few output columns): b is already the dots kernel's operand.
    const [m, k, n] = [a.shape[ra - 2], a.shape[ra - 1], b.shape[b.shape.length - 2]];
    const g = n < DOTS_BELOW_N && oursTakes(a, b, m, k, n) ? gemmFor(backend as unknown as HeapBackend) : null;
    if (g) return withScope(backend, (s) => dotsMatMul(s, g, a, b));
  }
  if (!transposeA && isVariableData(b.dataId)) {
    // a·Wᵀ with W a weight (a dense layer's input gradient): Wᵀ is made and packed once per weight value, not
    // per call (imagination backpropagates through the same weights at every step). The gradient sees the
    // weight's own data because Identity shares data (kernels/identity.ts).
    return withScope(backend, (s) =>
      plainMatMul(
        s,
        a,
        derivedOf(backend, b, 'T', (c) => c.transpose(b, swapLast(b.shape.length))),
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
      const outT = plainMatMul(s, b, s.transpose(a, perm));
      return s.transpose(outT, perm);
    });
  }
  // aᵀ·b without a transposed copy of a: in place when a is large, as (bᵀ·a)ᵀ when the product has few columns.
  const inPlace = util.sizeFromShape(a.shape) >= IN_PLACE_AT || n2 < DOTS_BELOW_N;
  const ours = transposeA && !transposeB && inPlace && oursTakes(a, b, m2, a.shape[ra - 2], n2);
  if (ours && gemmFor(backend as unknown as HeapBackend)) {
    return withScope(backend, (s) => plainMatMul(s, a, b, true));
  }
  if (transposeA && !transposeB && single && ra === rb && n2 >= 3 * m2) {
    // aᵀ·b with a fresh, wide b (the weight gradient xᵀ·dy of a layer with few inputs and many outputs, e.g.
    // an LSTM's [800, 35]ᵀ·[800, 1024]): packing b costs far more than the product (10 ms against 2 here);
    // (aᵀ·b)ᵀ = bᵀ·a packs the narrow a instead (5 ms).
    return withScope(backend, (s) => {
      const perm = swapLast(ra);
      const outT = plainMatMul(s, s.transpose(b, perm), a);
      return s.transpose(outT, perm);
    });
  }
  return withScope(backend, (s) => {
    const at = transposeA ? s.transpose(a, swapLast(a.shape.length)) : a;
    const bt = transposeB ? s.transpose(b, swapLast(b.shape.length)) : b;
    return plainMatMul(s, at, bt);
  });
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulWasm as unknown as KernelFunc,
};
