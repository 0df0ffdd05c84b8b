import { setFlagsFromString } from 'node:v8';
import {
  inc,
  instantiate,
  isShared,
  loopWhile,
  op,
  uleb,
  wasmModule,
  type WasmFunction,
  type WasmMemory,
} from './wasm-asm.ts';

export type { WasmMemory };

/**
 * Our own float32 GEMM for the wasm backend, working in place on tfjs-backend-wasm's heap (the module imports
 * the backend's WebAssembly.Memory): C[M, N] = A[M, K] · B[K, N], row-major, no packing.
 *
 * Why: XNNPACK in tfjs-backend-wasm 4.22 reached 21–31 GFLOP/s per thread on imagination's shapes here
 * (issue 17, CPU time: 800×200·200×600 at 21), and matmuls were 77 % of an imagination update's CPU. A plain
 * 4×8 register tile (8 v128 accumulators, a broadcast of A, two vectors of B per k) reaches ~39 GFLOP/s with
 * separate multiply and add, and ~50 with f32x4.relaxed_madd (one FMA instruction on x86 with FMA), on the
 * same shape. Relaxed SIMD is on by default from V8 11.4 (Chrome 114, Node 22); Node 20 needs V8's
 * --experimental-wasm-relaxed-simd, which we set before compiling; where the FMA module does not validate, the
 * multiply-add one is used. relaxed_madd may round once (fused) or twice: results differ from XNNPACK's in the
 * last bits, within float tolerance.
 *
 * Loop order: rows of A in blocks of 4 (outer; 4 rows of A stay in L1), then all of N in blocks of 8 and one
 * block of 4 (B is streamed from L2), k innermost. Leftover rows use 1-row tiles; the last N mod 4 columns are
 * done by a scalar loop.
 */

// Parameters of gemm(a, b, c, M, K, N, lda, ak, accumulate) (byte pointers, sizes, A's steps in elements from one
// row to the next and from one k to the next — (lda, 1) for A as stored, (1, lda) for A stored transposed, so aᵀ·b
// needs no transposed copy — and whether to add to C instead of overwriting it) and its locals.
const [A, B, C, M, K, N, LDA, AK, ACCUM] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const I = 9; // row
const J = 10; // column
const KK = 11; // k counter
const K4 = 12; // lda·4 bytes (from one row of A to the next)
const N4 = 13; // N·4 bytes (a row of B and C)
const PB = 14; // pointer into B
const PC = 15; // pointer into C
const N8 = 16; // N rounded down to 8
const PA = 17; // 4 row pointers into A: 17..20
const AK4 = 21; // ak·4 bytes (from one k to the next in A)
const I32_LOCALS = 13; // 9..21
const ACC = 22; // 8 accumulators: 22..29
const BV = 30; // 2 vectors of B: 30, 31
const SV = 32; // the broadcast of A
const V128_LOCALS = 11; // 22..32
const F32 = 33; // the scalar tail's accumulator (one f32 local)

/** One R×(4·V) tile at row I, column J; the accumulate flag is tested once per tile, not per accumulator. */
function tile(R: number, V: number, fma: boolean): number[] {
  return [
    ...op.get(ACCUM),
    ...op.ifVoid,
    ...tileBody(R, V, fma, true),
    ...op.else,
    ...tileBody(R, V, fma, false),
    ...op.end,
  ];
}

/** The tile's accumulators over k, started from C (accumulate) or 0, then stored to C. */
function tileBody(R: number, V: number, fma: boolean, accumulate: boolean): number[] {
  const e: number[] = [];
  const acc = (r: number, h: number) => ACC + r * 2 + h;
  // c + (I·N + J)·4; the accumulators start from C when accumulating (a later block of K), else from 0.
  e.push(...op.get(C), ...op.get(I), ...op.get(N4), ...op.mul, ...op.add, ...op.get(J), ...op.i32(2), ...op.shl);
  e.push(...op.add, ...op.set(PC));
  const rowC = (r: number) => [...op.get(PC), ...(r ? [...op.get(N4), ...op.i32(r), ...op.mul, ...op.add] : [])];
  for (let r = 0; r < R; r++)
    for (let h = 0; h < V; h++) {
      e.push(...(accumulate ? [...rowC(r), ...op.vload(16 * h)] : op.vzero), ...op.set(acc(r, h)));
    }
  // Row pointers a + (I + r)·K·4; B's column pointer b + J·4.
  for (let r = 0; r < R; r++)
    e.push(...op.get(A), ...op.get(I), ...op.i32(r), ...op.add, ...op.get(K4), ...op.mul, ...op.add, ...op.set(PA + r));
  e.push(...op.get(B), ...op.get(J), ...op.i32(2), ...op.shl, ...op.add, ...op.set(PB));
  e.push(...op.i32(0), ...op.set(KK));
  e.push(...op.loop);
  for (let h = 0; h < V; h++) e.push(...op.get(PB), ...op.vload(16 * h), ...op.set(BV + h));
  for (let r = 0; r < R; r++) {
    e.push(...op.get(PA + r), ...op.splat, ...op.set(SV));
    for (let h = 0; h < V; h++) {
      if (fma) e.push(...op.get(SV), ...op.get(BV + h), ...op.get(acc(r, h)), ...op.madd, ...op.set(acc(r, h)));
      else e.push(...op.get(acc(r, h)), ...op.get(SV), ...op.get(BV + h), ...op.vmul, ...op.vadd, ...op.set(acc(r, h)));
    }
    e.push(...op.get(PA + r), ...op.get(AK4), ...op.add, ...op.set(PA + r));
  }
  e.push(...op.get(PB), ...op.get(N4), ...op.add, ...op.set(PB));
  e.push(...op.get(KK), ...op.i32(1), ...op.add, ...op.tee(KK), ...op.get(K), ...op.ltu, ...op.brIf(0), ...op.end);
  for (let r = 0; r < R; r++)
    for (let h = 0; h < V; h++) e.push(...rowC(r), ...op.get(acc(r, h)), ...op.vstore(16 * h));
  return e;
}

/** Rows [I, I + R) over every column block: 8-wide blocks, then one 4-wide block when N mod 8 ≥ 4. */
function rowBlock(R: number, fma: boolean): number[] {
  const e: number[] = [];
  e.push(...op.i32(0), ...op.set(J));
  // while (J < N8) { tile(R, 2); J += 8 }
  e.push(...op.block, ...op.get(J), ...op.get(N8), ...op.geu, ...op.brIf(0), ...op.loop);
  e.push(...tile(R, 2, fma));
  e.push(...op.get(J), ...op.i32(8), ...op.add, ...op.tee(J), ...op.get(N8), ...op.ltu, ...op.brIf(0));
  e.push(...op.end, ...op.end);
  // if (J + 4 <= N) tile(R, 1)
  e.push(...op.block, ...op.get(J), ...op.i32(4), ...op.add, ...op.get(N), ...op.i32(1), ...op.add, ...op.geu);
  e.push(...op.brIf(0), ...tile(R, 1, fma), ...op.end);
  return e;
}

/** The scalar columns [N − N mod 4, N) of every row. */
function scalarTail(): number[] {
  const e: number[] = [];
  const col0 = [...op.get(N), ...op.i32(-4), ...[0x71] /* i32.and */];
  const cAddr = [
    ...op.get(C),
    ...op.get(I),
    ...op.get(N4),
    ...op.mul,
    ...op.add,
    ...op.get(J),
    ...op.i32(2),
    ...op.shl,
    ...op.add,
  ];
  e.push(...op.i32(0), ...op.set(I));
  e.push(...op.block, ...op.get(I), ...op.get(M), ...op.geu, ...op.brIf(0), ...op.loop);
  e.push(...col0, ...op.set(J));
  e.push(...op.block, ...op.get(J), ...op.get(N), ...op.geu, ...op.brIf(0), ...op.loop);
  e.push(...op.get(ACCUM), ...op.ifF32, ...cAddr, ...op.f32load, ...op.else, ...op.f32zero, ...op.end);
  e.push(...op.set(F32));
  e.push(...op.get(A), ...op.get(I), ...op.get(K4), ...op.mul, ...op.add, ...op.set(PA));
  e.push(...op.get(B), ...op.get(J), ...op.i32(2), ...op.shl, ...op.add, ...op.set(PB));
  e.push(...op.i32(0), ...op.set(KK));
  e.push(...op.loop);
  e.push(...op.get(F32), ...op.get(PA), ...op.f32load, ...op.get(PB), ...op.f32load, ...op.f32mul, ...op.f32add);
  e.push(...op.set(F32));
  e.push(...op.get(PA), ...op.get(AK4), ...op.add, ...op.set(PA), ...op.get(PB), ...op.get(N4), ...op.add);
  e.push(...op.set(PB));
  e.push(...op.get(KK), ...op.i32(1), ...op.add, ...op.tee(KK), ...op.get(K), ...op.ltu, ...op.brIf(0), ...op.end);
  e.push(...cAddr, ...op.get(F32), ...op.f32store);
  e.push(...op.get(J), ...op.i32(1), ...op.add, ...op.tee(J), ...op.get(N), ...op.ltu, ...op.brIf(0));
  e.push(...op.end, ...op.end);
  e.push(...op.get(I), ...op.i32(1), ...op.add, ...op.tee(I), ...op.get(M), ...op.ltu, ...op.brIf(0));
  e.push(...op.end, ...op.end);
  return e;
}

/**
 * dots(a, bt, c, M, K, N): C[M, N] = A[M, K]·Btᵀ with Bt [N, K] row-major, one SIMD dot product over K per output
 * element — for products with few columns (N < 8: a policy's or value head's [800, 200]·[200, 6], [12 800, 200]·
 * [200, 1]), where the tile would leave most of the work to its scalar tail.
 */
function dotsFunction(fma: boolean): WasmFunction {
  const [a, bt, c, m, k, n] = [0, 1, 2, 3, 4, 5];
  const [i, j, kk, kv, k4, pa, pb, pc] = [6, 7, 8, 9, 10, 11, 12, 13];
  const [acc, sum] = [14, 15];
  const e: number[] = [];
  const at = (p: number) => [...op.get(p), ...op.get(kk), ...op.add];
  const vstep = fma
    ? [...at(pa), ...op.vload(0), ...at(pb), ...op.vload(0), ...op.get(acc), ...op.madd, ...op.set(acc)]
    : [...op.get(acc), ...at(pa), ...op.vload(0), ...at(pb), ...op.vload(0), ...op.vmul, ...op.vadd, ...op.set(acc)];
  const sstep = [...op.get(sum), ...at(pa), ...op.f32load, ...at(pb), ...op.f32load, ...op.f32mul, ...op.f32add];
  const lanes = [0, 1, 2, 3].flatMap((l) => [...op.get(acc), 0xfd, 0x1f, l, ...(l ? op.f32add : [])]);
  const column = [
    ...op.vzero,
    ...op.set(acc),
    ...op.i32(0),
    ...op.set(kk),
    ...loopWhile(kk, kv, vstep, inc(kk, op.i32(16))),
    ...lanes,
    ...op.set(sum),
    ...loopWhile(kk, k4, [...sstep, ...op.set(sum)], inc(kk, op.i32(4))),
    ...op.get(pc),
    ...op.get(sum),
    ...op.f32store,
    ...inc(pc, op.i32(4)),
  ];
  const row = [...op.i32(0), ...op.set(j), ...op.get(bt), ...op.set(pb)];
  row.push(...loopWhile(j, n, column, [...inc(pb, op.get(k4)), ...inc(j, op.i32(1))]));
  e.push(...op.get(k), ...op.i32(2), ...op.shl, ...op.tee(k4), ...op.i32(-16), ...op.and, ...op.set(kv));
  e.push(...op.get(a), ...op.set(pa), ...op.get(c), ...op.set(pc), ...op.i32(0), ...op.set(i));
  e.push(...loopWhile(i, m, row, [...inc(pa, op.get(k4)), ...inc(i, op.i32(1))]));
  return { name: 'dots', params: 6, locals: [3, 8, 0x7f, 1, 0x7b, 1, 0x7d], body: e };
}

/** The module's bytes: gemm(a, b, c, M, K, N, lda, ak, accumulate) and dots (above) on an imported memory. */
export function gemmModuleBytes(fma: boolean, shared: boolean): Uint8Array {
  const body: number[] = [];
  body.push(...op.get(LDA), ...op.i32(2), ...op.shl, ...op.set(K4));
  body.push(...op.get(AK), ...op.i32(2), ...op.shl, ...op.set(AK4));
  body.push(...op.get(N), ...op.i32(2), ...op.shl, ...op.set(N4));
  body.push(...op.get(N), ...op.i32(-8), 0x71, ...op.set(N8));
  // 4-row blocks while I + 4 <= M, then single rows.
  body.push(...op.i32(0), ...op.set(I));
  body.push(...op.block, ...op.get(I), ...op.i32(4), ...op.add, ...op.get(M), ...op.i32(1), ...op.add, ...op.geu);
  body.push(...op.brIf(0), ...op.loop, ...rowBlock(4, fma));
  body.push(...op.get(I), ...op.i32(4), ...op.add, ...op.tee(I), ...op.i32(4), ...op.add, ...op.get(M), ...op.i32(1));
  body.push(...op.add, ...op.ltu, ...op.brIf(0), ...op.end, ...op.end);
  body.push(...op.block, ...op.get(I), ...op.get(M), ...op.geu, ...op.brIf(0), ...op.loop, ...rowBlock(1, fma));
  body.push(...op.get(I), ...op.i32(1), ...op.add, ...op.tee(I), ...op.get(M), ...op.ltu, ...op.brIf(0));
  body.push(...op.end, ...op.end);
  body.push(
    ...op.block,
    ...op.get(N),
    ...op.i32(3),
    0x71,
    0x45 /* i32.eqz */,
    ...op.brIf(0),
    ...scalarTail(),
    ...op.end,
  );
  const locals = [3, ...uleb(I32_LOCALS), 0x7f, ...uleb(V128_LOCALS), 0x7b, 1, 0x7d];
  return wasmModule(shared, [{ name: 'gemm', params: 9, locals, body }, dotsFunction(fma)]);
}

export type Gemm = (
  a: number,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  lda: number,
  ak: number,
  acc: number,
) => void;

/** C[M, N] = A[M, K]·Btᵀ, Bt [N, K] (byte pointers). */
export type Dots = (a: number, bt: number, c: number, m: number, k: number, n: number) => void;

/** Compiles the kernels against `memory` (FMA where relaxed SIMD validates, else multiply-add). */
export function makeGemm(memory: WasmMemory): { gemm: Gemm; dots: Dots; fma: boolean } {
  const shared = isShared(memory);
  const fmaBytes = gemmModuleBytes(true, shared);
  // Node 20 (V8 11.3) has relaxed SIMD behind this flag; V8 ≥ 11.4 (Node 22, Electron ≥ 25) has it on, and the
  // flag is only touched where the FMA module does not validate as it is.
  let exports = instantiate(fmaBytes, memory);
  if (!exports) {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    exports = instantiate(fmaBytes, memory);
  }
  if (exports) return { gemm: exports.gemm as Gemm, dots: exports.dots as Dots, fma: true };
  exports = instantiate(gemmModuleBytes(false, shared), memory);
  if (exports) return { gemm: exports.gemm as Gemm, dots: exports.dots as Dots, fma: false };
  throw new Error('our wasm GEMM does not validate on this runtime (no wasm SIMD?)');
}

/**
 * C = A·B with byte pointers into the kernel's memory; A is stored as is (rs = K, ks = 1: rows of K elements) or
 * transposed (rs = 1, ks = the stored row length: aᵀ·b read in place). When B is larger than L2 can hold (the
 * weight gradient xᵀ·dy over 12 000 rows: B is 12 000 × 200), K is cut into blocks of KC rows whose products
 * accumulate into C, so each block of B is streamed from L2 rather than from memory (200×12000·12000×200: 15 →
 * ~40 GFLOP/s here). A transposed A is always cut past KC: a tile then reads one cache line of A per k, and KC of
 * them stay in L1.
 */
export const KC = 128;
export const B_BYTES_IN_L2 = 2 ** 20;
export function gemmBlocked(
  gemm: Gemm,
  a: number,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  rs = k,
  ks = 1,
): void {
  if (k <= KC || (ks === 1 && 4 * k * n <= B_BYTES_IN_L2)) {
    gemm(a, b, c, m, k, n, rs, ks, 0);
    return;
  }
  for (let k0 = 0; k0 < k; k0 += KC) {
    gemm(a + 4 * k0 * ks, b + 4 * k0 * n, c, m, Math.min(KC, k - k0), n, rs, ks, k0 > 0 ? 1 : 0);
  }
}
