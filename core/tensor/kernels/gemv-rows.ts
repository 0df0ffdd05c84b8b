import { inc, instantiate, loopWhile, op, wasmModule, type WasmFunction, type WasmMemory } from './wasm-asm.ts';

/**
 * g[j] ← f32(g[j] + x[i]·W[i, j]) for i = 0 … rows−1 in order, j < cols: a float32 vector accumulating the rows
 * of a row-major float32 matrix W weighted by a float64 vector x, in WebAssembly SIMD.
 *
 * Why this shape: it is the arithmetic of the plain-JS dream kernel (core/models/world-models/dream-kernel.ts),
 * `g[j] += x * w[i * cols + j]` on Float32Arrays: the product and the sum in float64, the sum rounded to float32
 * at every row. Each lane here does exactly that (f64x2 multiply and add, then demote to f32 and back), so the
 * result is bit for bit the JS loop's, and CMA-ES, the Play dream and the gates keep their numbers; only the
 * loop runs ≈ 6× faster on the `small` M (bench row `dream-step`). An f32x4 multiply-add would be 4× wider but
 * round differently.
 * With `skip` a row whose x is 0 is left out, as the JS loop does (it matters only for a −0 in g).
 *
 * Loop order: columns in blocks of 8 (four f64x2 accumulators stay in registers), all rows inside: the block's
 * 32 bytes of each row come from L1/L2, g is read and written once. `cols` must be a multiple of 8 (callers pad).
 */
export interface GemvRows {
  /** Views over the kernel's own memory; they change when `reserve` grows it. */
  readonly f32: Float32Array;
  readonly f64: Float64Array;
  /** Byte size of the memory: at least `bytes` after this call (views are renewed). */
  reserve(bytes: number): void;
  /** The accumulation above on byte offsets into the memory (w, x: 8-byte aligned, g: 8-byte aligned). */
  run(w: number, x: number, g: number, rows: number, cols: number, skip: boolean): void;
}

/** The kernel on a fresh memory of its own, or null where this runtime has no WebAssembly SIMD. */
export function createGemvRows(): GemvRows | null {
  const api = (
    globalThis as unknown as {
      WebAssembly?: { Memory: new (d: { initial: number }) => WasmMemory & { grow(pages: number): number } };
    }
  ).WebAssembly;
  if (!api) return null;
  const memory = new api.Memory({ initial: 1 });
  const exports = instantiate(gemvRowsBytes(), memory);
  if (!exports) return null;
  const fn = exports.gemv_rows as (w: number, x: number, g: number, rows: number, cols: number, skip: number) => void;
  const k = {
    f32: new Float32Array(memory.buffer),
    f64: new Float64Array(memory.buffer),
    reserve(bytes: number) {
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
      if (k.f32.buffer !== memory.buffer || k.f32.byteLength === 0) {
        k.f32 = new Float32Array(memory.buffer);
        k.f64 = new Float64Array(memory.buffer);
      }
    },
    run(w: number, x: number, g: number, rows: number, cols: number, skip: boolean) {
      if (cols % 8 !== 0) throw new Error(`gemv_rows: cols ${cols} is not a multiple of 8`);
      fn(w, x, g, rows, cols, skip ? 1 : 0);
    },
  };
  return k;
}

// Opcodes beyond wasm-asm's float32 set (WebAssembly core and SIMD specs).
const f64load = [0x2b, 3, 0];
const f64zero = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const f64eq = [0x61];
const f64x2Splat = [0xfd, 0x14];
const f64x2Add = [0xfd, 0xf0, 0x01];
const f64x2Mul = [0xfd, 0xf2, 0x01];
const promoteLow = [0xfd, 0x5f]; // f64x2.promote_low_f32x4
const demoteZero = [0xfd, 0x5e]; // f32x4.demote_f64x2_zero
const load64Zero = (offset: number) => [0xfd, 0x5d, 3, offset]; // v128.load64_zero: two f32 into the low lanes
const store64Lane0 = (offset: number) => [0xfd, 0x5b, 3, offset, 0]; // v128.store64_lane 0: the two low f32

function gemvRowsBytes(): Uint8Array {
  // Params: w, x, g, rows, cols, skip. Locals: i32 j, i, p, xp, gp, stride; f64 xv; v128 xs, a0..a3.
  const [W, X, G, ROWS, COLS, SKIP] = [0, 1, 2, 3, 4, 5];
  const [J, I, P, XP, GP, STRIDE, XV, XS] = [6, 7, 8, 9, 10, 11, 12, 13];
  const acc = [14, 15, 16, 17];
  const row = [
    // if (skip && x == 0) continue
    ...op.block,
    ...op.get(XP),
    ...f64load,
    ...op.tee(XV),
    ...f64zero,
    ...f64eq,
    ...op.get(SKIP),
    ...op.and,
    ...op.brIf(0),
    ...op.get(XV),
    ...f64x2Splat,
    ...op.set(XS),
    ...acc.flatMap((a, q) => [
      ...op.get(a),
      ...op.get(XS),
      ...op.get(P),
      ...load64Zero(8 * q),
      ...promoteLow,
      ...f64x2Mul,
      ...f64x2Add,
      ...demoteZero, // the float32 rounding of every row's sum, as a Float32Array store does
      ...promoteLow,
      ...op.set(a),
    ]),
    ...op.end,
  ];
  // base + 4·j: column j's address in g, and in W's first row.
  const column = (base: number, to: number) => [
    ...op.get(base),
    ...op.get(J),
    ...op.i32(2),
    ...op.shl,
    ...op.add,
    ...op.set(to),
  ];
  const block = [
    ...column(G, GP),
    ...acc.flatMap((a, q) => [...op.get(GP), ...load64Zero(8 * q), ...promoteLow, ...op.set(a)]),
    ...column(W, P),
    ...op.get(X),
    ...op.set(XP),
    ...op.i32(0),
    ...op.set(I),
    ...loopWhile(I, ROWS, row, [...inc(I, op.i32(1)), ...inc(P, op.get(STRIDE)), ...inc(XP, op.i32(8))]),
    ...acc.flatMap((a, q) => [...op.get(GP), ...op.get(a), ...demoteZero, ...store64Lane0(8 * q)]),
  ];
  const fn: WasmFunction = {
    name: 'gemv_rows',
    params: 6,
    locals: [3, 6, 0x7f, 1, 0x7c, 5, 0x7b],
    body: [
      ...op.get(COLS),
      ...op.i32(2),
      ...op.shl,
      ...op.set(STRIDE),
      ...op.i32(0),
      ...op.set(J),
      ...loopWhile(J, COLS, block, inc(J, op.i32(8))),
    ],
  };
  return wasmModule(false, [fn]);
}
