import { Add, Elu, EluGrad, Multiply, Neg, Sigmoid, Square, Sub, Sum, Tanh, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { inc, instantiate, isShared, loopWhile, op, uleb, wasmModule, type WasmFunction } from './wasm-asm.ts';
import { heapMemory, heapOffset, wasmKernel, type HeapBackend } from './wasm-call.ts';
import { sharedPool } from './gemm-pool.ts';

/**
 * Add, Sub, Multiply (same shapes, a scalar, or a row broadcast over the last axis — a bias), Square, Neg,
 * Sigmoid, Tanh and Elu on float32, single-threaded SIMD in our own wasm module on the backend's heap.
 *
 * Why: in the threaded build, XNNPACK hands every elementwise op to its thread pool; for the [800, 200] tensors
 * of imagination the hand-off costs more than the work, and on a loaded machine the main thread waits for a pool
 * thread the scheduler has not run. Profiled main-thread CPU of one imag-h15 update on 2 threads (issue 17, load
 * ~10): Add 172 ms (58 on the single-threaded build), Square 75 (2), Neg 38 (1.3), Sigmoid 71 (8), Elu 65 (40).
 * Other shapes and dtypes use wasm's own kernels.
 */
type Vop = number[];
interface Src {
  /** Pointer local (advanced with the loop), or a register local holding a broadcast value. */
  ptr?: number;
  vreg?: number;
  freg?: number;
}

// Every function takes 5 i32 parameters (unused ones ignored), so the locals below have the same indices in all.
const I = 5; // byte offset in the inner loop
const NV = 6; // bytes covered by whole vectors
const R = 7; // row counter
const PA = 8;
const PO = 9;
const VB = 10; // v128: a broadcast scalar
const [V1, V2, V3] = [11, 12, 13]; // v128 temporaries of exp
const FB = 16; // f32: the broadcast scalar
// The constants of exp and friends, splatted once per call into v128 locals 17… (V8 does not hoist a splat
// out of the loop; in it, each costs a shuffle per vector).
const CONSTS = [
  -87.3,
  88,
  Math.LOG2E,
  0.693359375,
  -2.1219444e-4,
  1.98756915e-4,
  1.3981999507e-3,
  8.3334519073e-3,
  4.1665795894e-2,
  1.6666665459e-1,
  5.0000001201e-1,
  1,
  2,
  0,
];
const C0 = 17;
const I127 = C0 + CONSTS.length; // i32x4 splat of 127 (the float exponent bias)
const LOCALS = [4, 5, 0x7f, 6, 0x7b, 1, 0x7d, ...uleb(CONSTS.length + 1), 0x7b];
const constPrologue = [
  ...CONSTS.flatMap((c, i) => [...op.f32(c), ...op.f32x4Splat, ...op.set(C0 + i)]),
  ...op.i32(127),
  ...op.i32x4Splat,
  ...op.set(I127),
];

/** out[i] = f(a[i], b[i]) for byte offsets i in [0, n4): whole vectors, then single floats. */
function inner(a: number, b: Src | null, o: number, n4: number, vop: Vop, fop: Vop): number[] {
  const at = (p: number) => [...op.get(p), ...op.get(I), ...op.add];
  const vb = b ? (b.ptr !== undefined ? [...at(b.ptr), ...op.vload(0)] : op.get(b.vreg!)) : [];
  const fb = b ? (b.ptr !== undefined ? [...at(b.ptr), ...op.f32load] : op.get(b.freg!)) : [];
  const e: number[] = [];
  e.push(...op.get(n4), ...op.i32(-16), ...op.and, ...op.set(NV), ...op.i32(0), ...op.set(I));
  e.push(...op.block, ...op.get(I), ...op.get(NV), ...op.geu, ...op.brIf(0), ...op.loop);
  e.push(...at(o), ...at(a), ...op.vload(0), ...vb, ...vop, ...op.vstore(0));
  e.push(...op.get(I), ...op.i32(16), ...op.add, ...op.tee(I), ...op.get(NV), ...op.ltu, ...op.brIf(0));
  e.push(...op.end, ...op.end);
  e.push(...op.block, ...op.get(I), ...op.get(n4), ...op.geu, ...op.brIf(0), ...op.loop);
  e.push(...at(o), ...at(a), ...op.f32load, ...fb, ...fop, ...op.f32store);
  e.push(...op.get(I), ...op.i32(4), ...op.add, ...op.tee(I), ...op.get(n4), ...op.ltu, ...op.brIf(0));
  e.push(...op.end, ...op.end);
  return e;
}

/** n (elements, parameter p) → bytes, in place. */
const toBytes = (p: number) => [...op.get(p), ...op.i32(2), ...op.shl, ...op.set(p)];

const BIN: Record<string, [Vop, Vop]> = {
  add: [op.vadd, op.f32add],
  sub: [op.vsub, op.f32sub],
  mul: [op.vmul, op.f32mul],
};

export function functions(): WasmFunction[] {
  const fns: WasmFunction[] = [];
  for (const [name, [vop, fop]] of Object.entries(BIN)) {
    // (a, b, out, n): same shapes
    fns.push({
      name: `${name}`,
      params: 5,
      locals: LOCALS,
      body: [...toBytes(3), ...inner(0, { ptr: 1 }, 2, 3, vop, fop)],
    });
    // (a, s, out, n): b is the scalar at s
    const splat = [...op.get(1), ...op.splat, ...op.set(VB), ...op.get(1), ...op.f32load, ...op.set(FB)];
    fns.push({
      name: `${name}Scalar`,
      params: 5,
      locals: LOCALS,
      body: [...toBytes(3), ...splat, ...inner(0, { vreg: VB, freg: FB }, 2, 3, vop, fop)],
    });
    // (a, b, out, rows, cols): b is one row of `cols`, broadcast over the rows of a
    const body: number[] = [...toBytes(4), ...op.get(0), ...op.set(PA), ...op.get(2), ...op.set(PO)];
    body.push(
      ...op.i32(0),
      ...op.set(R),
      ...op.block,
      ...op.get(R),
      ...op.get(3),
      ...op.geu,
      ...op.brIf(0),
      ...op.loop,
    );
    body.push(...inner(PA, { ptr: 1 }, PO, 4, vop, fop));
    body.push(
      ...op.get(PA),
      ...op.get(4),
      ...op.add,
      ...op.set(PA),
      ...op.get(PO),
      ...op.get(4),
      ...op.add,
      ...op.set(PO),
    );
    body.push(...op.get(R), ...op.i32(1), ...op.add, ...op.tee(R), ...op.get(3), ...op.ltu, ...op.brIf(0));
    body.push(...op.end, ...op.end);
    fns.push({ name: `${name}Row`, params: 5, locals: LOCALS, body });
  }
  // (a, s, out, n): out = s − a, as −(a − s)
  const rsplat = [...op.get(1), ...op.splat, ...op.set(VB), ...op.get(1), ...op.f32load, ...op.set(FB)];
  fns.push({
    name: 'rsubScalar',
    params: 5,
    locals: LOCALS,
    body: [...toBytes(3), ...rsplat, ...inner(0, { vreg: VB, freg: FB }, 2, 3, swapSub(true), swapSub(false))],
  });
  // (x, out, n)
  fns.push({
    name: 'square',
    params: 5,
    locals: LOCALS,
    body: [...toBytes(2), ...inner(0, null, 1, 2, dup(true), dup(false))],
  });
  fns.push({
    name: 'neg',
    params: 5,
    locals: LOCALS,
    body: [...toBytes(2), ...inner(0, null, 1, 2, op.vneg, op.f32neg)],
  });
  // (x, out, rows, cols): out[c] = Σ_r x[r, c] (a bias gradient); row 0 copied, then each row added.
  const colsum: number[] = [...toBytes(3), ...op.get(0), ...op.set(PA), ...inner(PA, null, 1, 3, [], [])];
  colsum.push(
    ...op.i32(1),
    ...op.set(R),
    ...op.block,
    ...op.get(R),
    ...op.get(2),
    ...op.geu,
    ...op.brIf(0),
    ...op.loop,
  );
  colsum.push(
    ...op.get(PA),
    ...op.get(3),
    ...op.add,
    ...op.set(PA),
    ...inner(1, { ptr: PA }, 1, 3, op.vadd, op.f32add),
  );
  colsum.push(...op.get(R), ...op.i32(1), ...op.add, ...op.tee(R), ...op.get(2), ...op.ltu, ...op.brIf(0));
  colsum.push(...op.end, ...op.end);
  fns.push({ name: 'colsum', params: 5, locals: LOCALS, body: colsum });
  // (y, dy, out, n): elu's gradient from its output, dy where y ≥ 0, else dy·(y + 1)
  fns.push({
    name: 'eluGrad',
    params: 5,
    locals: LOCALS,
    body: [
      ...toBytes(3),
      ...constPrologue,
      ...inner(
        0,
        { ptr: 1 },
        2,
        3,
        [...op.set(V1), ...op.set(VB), ...veluGrad()],
        [...op.f32x4Splat, ...op.set(V1), ...op.f32x4Splat, ...op.set(VB), ...veluGrad(), ...op.extractLane0],
      ),
    ],
  });
  // (src, dst, rows, rowBytes, srcStride, dstStride): rows of rowBytes from src to dst (strides in bytes) —
  // slices, splits and concatenations of row-major tensors. Vectors, then single bytes: a memory.copy per row cost
  // ~250 ns a call here, more than the copy itself for a [800, 33] split's 120-byte rows.
  const [S, D, ROWS, BYTES, SS, DS] = [0, 1, 2, 3, 4, 5];
  const [ROW, OFF, VBYTES] = [6, 7, 8];
  const at = (p: number) => [...op.get(p), ...op.get(OFF), ...op.add];
  const copyRow = [
    ...op.i32(0),
    ...op.set(OFF),
    ...loopWhile(OFF, VBYTES, [...at(D), ...at(S), ...op.vload(0), ...op.vstore(0)], inc(OFF, op.i32(16))),
    ...loopWhile(OFF, BYTES, [...at(D), ...at(S), ...op.load8u, ...op.store8], inc(OFF, op.i32(1))),
  ];
  fns.push({
    name: 'copyRows',
    params: 6,
    locals: [1, 3, 0x7f], // row counter, byte offset in the row, bytes in whole vectors (6, 7, 8)
    body: [
      ...op.get(BYTES),
      ...op.i32(-16),
      ...op.and,
      ...op.set(VBYTES),
      ...op.i32(0),
      ...op.set(ROW),
      ...loopWhile(ROW, ROWS, copyRow, [...inc(S, op.get(SS)), ...inc(D, op.get(DS)), ...inc(ROW, op.i32(1))]),
    ],
  });
  fns.push(...gruFunctions());
  for (const [name, vf] of [
    ['sigmoid', vsigmoid()],
    ['tanh', vtanh()],
    ['elu', velu()],
  ] as const)
    fns.push({
      name,
      params: 5,
      locals: LOCALS,
      body: [...toBytes(2), ...constPrologue, ...inner(0, null, 1, 2, vf, lane0(vf))],
    });
  return fns;
}

// The GRU gates' functions take 8 i32 parameters (0–7), so their locals start at 8; v128 and the constants keep
// the indices above (10…), and 4 more v128 registers follow the constants.
const GI = 8; // byte offset in the row
const GR = 9; // row counter
const X0 = I127 + 1; // reset, candidate, update, and a fourth (X0 … X0 + 3)
const GRU_LOCALS = [5, 2, 0x7f, 6, 0x7b, 1, 0x7d, ...uleb(CONSTS.length + 1), 0x7b, 4, 0x7b];

/**
 * Dreamer's GRU cell after its fused dense (rssm.ts: parts = [r | c | u], each `d` wide, per row):
 *   reset = σ(r), cand = tanh(reset·c), update = σ(u − 1), h' = update·cand + (1 − update)·h
 * as one pass (gruGates, which also writes gates = [reset | cand | update] for the gradient) and its gradient
 * (gruGatesGrad, from the gates: no exp) as another, instead of 12 kernels forward and ~25 backward over [800, 200]
 * per imagined step. Rows of d floats, d a multiple of 4 (no scalar tail).
 * gruGates(parts, h, out, gates, rows, –, –, dBytes); gruGatesGrad(parts, gates, h, dy, dparts, dh, rows, dBytes).
 */
function gruFunctions(): WasmFunction[] {
  const D = 7; // dBytes
  const at = (p: number, part = 0) => [
    ...op.get(p),
    ...op.get(GI),
    ...op.add,
    ...(part ? [...op.get(D), ...op.i32(part), ...op.mul, ...op.add] : []),
  ];
  const load = (p: number, part = 0) => [...at(p, part), ...op.vload(0)];
  const [r, c, u, x4] = [X0, X0 + 1, X0 + 2, X0 + 3];
  const rows = (rowsParam: number, perRow: number[], advance: [number, number][]) => [
    ...constPrologue,
    ...op.i32(0),
    ...op.set(GR),
    ...loopWhile(
      GR,
      rowsParam,
      [...op.i32(0), ...op.set(GI), ...loopWhile(GI, D, perRow, inc(GI, op.i32(16)))],
      [...advance.flatMap(([p, parts]) => inc(p, [...op.get(D), ...op.i32(parts), ...op.mul])), ...inc(GR, op.i32(1))],
    ),
  ];
  const store = (p: number, part: number, reg: number) => [...at(p, part), ...op.get(reg), ...op.vstore(0)];
  // reset, cand, update from parts (parameter 0), stored to gates (parameter 3); h' = h + update·(cand − h)
  const forward = [
    ...load(0),
    ...vsigmoid(),
    ...op.set(r),
    ...load(0, 1),
    ...op.get(r),
    ...op.vmul,
    ...vtanh(),
    ...op.set(c),
    ...load(0, 2),
    ...splatF(1),
    ...op.vsub,
    ...vsigmoid(),
    ...op.set(u),
    ...store(3, 0, r),
    ...store(3, 1, c),
    ...store(3, 2, u),
    ...at(2),
    ...load(1),
    ...op.set(x4),
    ...op.get(u),
    ...op.get(c),
    ...op.get(x4),
    ...op.vsub,
    ...op.vmul,
    ...op.get(x4),
    ...op.vadd,
    ...op.vstore(0),
  ];
  // gates (parameter 1) → r, c, u; dy → VB, h → x4; dpre = dy·update·(1 − cand²) → 14
  const DPRE = 14;
  const one = splatF(1);
  const backward = [
    ...load(1),
    ...op.set(r),
    ...load(1, 1),
    ...op.set(c),
    ...load(1, 2),
    ...op.set(u),
    ...load(3),
    ...op.set(VB),
    ...load(2),
    ...op.set(x4),
    // dh = dy·(1 − update)
    ...at(5),
    ...one,
    ...op.get(u),
    ...op.vsub,
    ...op.get(VB),
    ...op.vmul,
    ...op.vstore(0),
    // du = dy·(cand − h)·update·(1 − update)
    ...at(4, 2),
    ...op.get(VB),
    ...op.get(c),
    ...op.get(x4),
    ...op.vsub,
    ...op.vmul,
    ...op.get(u),
    ...op.vmul,
    ...one,
    ...op.get(u),
    ...op.vsub,
    ...op.vmul,
    ...op.vstore(0),
    // dpre = dy·update·(1 − cand²)
    ...op.get(VB),
    ...op.get(u),
    ...op.vmul,
    ...one,
    ...op.get(c),
    ...op.get(c),
    ...op.vmul,
    ...op.vsub,
    ...op.vmul,
    ...op.set(DPRE),
    // dc = dpre·reset
    ...at(4, 1),
    ...op.get(DPRE),
    ...op.get(r),
    ...op.vmul,
    ...op.vstore(0),
    // dr = dpre·c·reset·(1 − reset), c the candidate's pre-activation from parts
    ...at(4),
    ...op.get(DPRE),
    ...load(0, 1),
    ...op.vmul,
    ...op.get(r),
    ...op.vmul,
    ...one,
    ...op.get(r),
    ...op.vsub,
    ...op.vmul,
    ...op.vstore(0),
  ];
  return [
    {
      name: 'gruGates',
      params: 8,
      locals: GRU_LOCALS,
      body: rows(4, forward, [
        [0, 3],
        [1, 1],
        [2, 1],
        [3, 3],
      ]),
    },
    {
      name: 'gruGatesGrad',
      params: 8,
      locals: GRU_LOCALS,
      body: [
        ...rows(6, backward, [
          [0, 3],
          [1, 3],
          [2, 1],
          [3, 1],
          [4, 3],
          [5, 1],
        ]),
      ],
    },
  ];
}

/** A constant of CONSTS, from its local (the function must start with constPrologue). */
const splatF = (v: number) => {
  const i = CONSTS.indexOf(v);
  if (i < 0) throw new Error(`elementwise: constant ${v} is not in CONSTS`);
  return op.get(C0 + i);
};

/**
 * With [x] (v128) on the stack: exp(x), as Cephes' expf (x = n·ln 2 + r, |r| ≤ ½ ln 2, a degree-5 polynomial,
 * then 2ⁿ through the exponent bits); relative error ~1e-7. x is clamped to [−87.3, 88] so 2ⁿ stays a normal float.
 */
function vexp(): number[] {
  const e: number[] = [];
  e.push(...splatF(-87.3), ...op.vmax, ...splatF(88), ...op.vmin, ...op.set(V1));
  e.push(...op.get(V1), ...splatF(Math.LOG2E), ...op.vmul, ...op.vnearest, ...op.set(V2));
  // r = x − n·C1 − n·C2 (C1 + C2 = ln 2, C1 exact in few bits)
  e.push(...op.get(V1), ...op.get(V2), ...splatF(0.693359375), ...op.vmul, ...op.vsub);
  e.push(...op.get(V2), ...splatF(-2.1219444e-4), ...op.vmul, ...op.vsub, ...op.set(V3));
  e.push(...splatF(1.98756915e-4));
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1])
    e.push(...op.get(V3), ...op.vmul, ...splatF(c), ...op.vadd);
  // p·r² + r + 1
  e.push(...op.get(V3), ...op.get(V3), ...op.vmul, ...op.vmul, ...op.get(V3), ...op.vadd, ...splatF(1), ...op.vadd);
  // · 2ⁿ: (n + 127) << 23 as float bits
  e.push(...op.get(V2), ...op.i32x4TruncSat, ...op.get(I127), ...op.i32x4Add, ...op.i32(23));
  e.push(...op.i32x4Shl, ...op.vmul);
  return e;
}

/** [x] → σ(x) = 1 / (1 + exp(−x)). */
function vsigmoid(): number[] {
  return [...op.vneg, ...vexp(), ...splatF(1), ...op.vadd, ...op.set(V1), ...splatF(1), ...op.get(V1), ...op.vdiv];
}

/**
 * [x] → tanh(x) = 2σ(2x) − 1. wasm's own Tanh calls libm per element (3 ms for [800, 200] against 0.18 ms for a
 * sigmoid, issue 17). The identity is exact; in float32 the absolute error stays within a few 1e-8, so relative
 * accuracy is lost only for |x| ≲ 1e-3, where tanh ≈ x. The gradient (tfjs's, from the output) is unchanged.
 */
function vtanh(): number[] {
  return [...splatF(2), ...op.vmul, ...vsigmoid(), ...splatF(2), ...op.vmul, ...splatF(1), ...op.vsub];
}

/** [x] → elu(x) = x > 0 ? x : exp(x) − 1. */
function velu(): number[] {
  // x is kept in VB (vexp overwrites V1–V3).
  return [
    ...op.tee(VB),
    ...vexp(),
    ...splatF(1),
    ...op.vsub,
    ...op.set(V1),
    ...op.get(VB),
    ...op.get(V1),
    ...op.get(VB),
    ...splatF(0),
    ...op.vgt,
    ...op.bitselect,
  ];
}

/** With y in VB and dy in V1: y ≥ 0 ? dy : dy·(y + 1), as tfjs's EluGrad. */
function veluGrad(): number[] {
  return [
    ...op.get(V1),
    ...op.get(V1),
    ...op.get(VB),
    ...splatF(1),
    ...op.vadd,
    ...op.vmul,
    ...op.get(VB),
    ...splatF(0),
    ...op.vge,
    ...op.bitselect,
  ];
}

/** The scalar tail of a vector function: one float through lane 0. */
const lane0 = (vf: number[]) => [...op.f32x4Splat, ...vf, ...op.extractLane0];

/** With [a, s] on the stack: s − a computed as −(a − s). */
function swapSub(vec: boolean): number[] {
  return vec ? [...op.vsub, ...op.vneg] : [...op.f32sub, ...op.f32neg];
}

/** With [x] on the stack: x·x, through a local (wasm has no dup). */
function dup(vec: boolean): number[] {
  return vec ? [...op.tee(VB), ...op.get(VB), ...op.vmul] : [...op.tee(FB), ...op.get(FB), ...op.f32mul];
}

/** The module's function names, in export order (the pool's worker calls them by index). */
export function elementwiseFunctionNames(): string[] {
  return functions().map((f) => f.name);
}

/** The module's bytes (exported for the test that it validates). */
export function elementwiseModuleBytes(shared: boolean): Uint8Array {
  return wasmModule(shared, functions());
}

type Fn = (...args: number[]) => void;
const modules = new WeakMap<object, Record<string, Fn> | null>();
/** Our module's functions on the backend's heap (null where the backend has no heap we can reach). */
export function kernelsFor(backend: HeapBackend): Record<string, Fn> | null {
  let k = modules.get(backend);
  if (k === undefined) {
    const memory = heapMemory(backend);
    k = memory ? (instantiate(elementwiseModuleBytes(isShared(memory)), memory) as Record<string, Fn> | null) : null;
    // wasm SIMD is there (the backend's own build needs it): a module that does not validate is our bug.
    if (memory && !k) throw new Error('our elementwise wasm kernels do not validate');
    modules.set(backend, k);
  }
  return k;
}

const ptr = heapOffset;

/**
 * On the threaded build (shared heap), an op over at least this many elements is split with the GEMM's worker
 * thread (gemm-pool.ts): the main thread does the first half, the worker the second. Waking the worker costs
 * ~10–50 µs, so cheap ops split only at [12 800, 200]-like sizes (the critic over all imagined states), exp-based
 * ones already at [800, 200] (~150 µs there on one thread; issue 17).
 */
const SPLIT_CHEAP = 2 ** 20;
const SPLIT_EXP = 2 ** 17;

/**
 * k[name](...args(0, n)) over n units (elements, or rows for row broadcasts), split over 2 threads from `at` units
 * up; args(lo, count) are the arguments for units [lo, lo + count).
 */
function call(
  backend: HeapBackend,
  k: Record<string, Fn>,
  name: string,
  n: number,
  at: number,
  args: (lo: number, count: number) => number[],
): void {
  const memory = n >= at ? heapMemory(backend) : undefined;
  if (!memory || !isShared(memory)) {
    k[name](...args(0, n));
    return;
  }
  const h = (n >> 3) << 2; // about half, a multiple of 4
  sharedPool(memory).split(name, k[name], args(0, h), args(h, n - h));
}
const size = (t: TensorInfo) => util.sizeFromShape(t.shape);

/** b broadcasts along a's last axis only: b's size is that axis and b's other axes are 1 (a bias). */
function isRowOf(b: TensorInfo, a: TensorInfo): boolean {
  const c = a.shape[a.shape.length - 1];
  return (
    a.shape.length >= 1 &&
    b.shape.length >= 1 &&
    b.shape.length <= a.shape.length &&
    b.shape[b.shape.length - 1] === c &&
    size(b) === c
  );
}

function binaryKernel(name: 'add' | 'sub' | 'mul', kernelName: string): KernelConfig {
  const commutes = name !== 'sub';
  const kernelFunc = (args: Parameters<KernelFunc>[0]) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const backend = args.backend as unknown as HeapBackend;
    const k = a.dtype === 'float32' && b.dtype === 'float32' ? kernelsFor(backend) : null;
    const same = util.arraysEqual(a.shape, b.shape);
    if (k) {
      const o = (out: TensorInfo) => ptr(backend, out);
      if (same) {
        const out = backend.makeOutput(a.shape, 'float32');
        const [pa, pb, po] = [ptr(backend, a), ptr(backend, b), o(out)];
        call(backend, k, name, size(a), SPLIT_CHEAP, (lo, n) => [pa + 4 * lo, pb + 4 * lo, po + 4 * lo, n]);
        return out;
      }
      if (size(b) === 1 && b.shape.length <= a.shape.length) {
        const out = backend.makeOutput(a.shape, 'float32');
        const [pa, pb, po] = [ptr(backend, a), ptr(backend, b), o(out)];
        call(backend, k, `${name}Scalar`, size(a), SPLIT_CHEAP, (lo, n) => [pa + 4 * lo, pb, po + 4 * lo, n]);
        return out;
      }
      if (size(a) === 1 && a.shape.length <= b.shape.length) {
        const out = backend.makeOutput(b.shape, 'float32');
        const [pb, pa, po] = [ptr(backend, b), ptr(backend, a), o(out)];
        const f = commutes ? `${name}Scalar` : 'rsubScalar';
        call(backend, k, f, size(b), SPLIT_CHEAP, (lo, n) => [pb + 4 * lo, pa, po + 4 * lo, n]);
        return out;
      }
      const c = a.shape[a.shape.length - 1];
      if (isRowOf(b, a) && size(a) > 0) {
        const out = backend.makeOutput(a.shape, 'float32');
        const [pa, pb, po] = [ptr(backend, a), ptr(backend, b), o(out)];
        const rows = size(a) / c;
        call(backend, k, `${name}Row`, rows, SPLIT_CHEAP / c, (lo, n) => [pa + 4 * lo * c, pb, po + 4 * lo * c, n, c]);
        return out;
      }
      if (commutes && isRowOf(a, b) && size(b) > 0) {
        const cb = b.shape[b.shape.length - 1];
        const out = backend.makeOutput(b.shape, 'float32');
        const [pb, pa, po] = [ptr(backend, b), ptr(backend, a), o(out)];
        const rows = size(b) / cb;
        call(backend, k, `${name}Row`, rows, SPLIT_CHEAP / cb, (lo, n) => [
          pb + 4 * lo * cb,
          pa,
          po + 4 * lo * cb,
          n,
          cb,
        ]);
        return out;
      }
    }
    return wasmKernel(kernelName)(args as never) as TensorInfo;
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

function unaryKernel(name: 'square' | 'neg' | 'sigmoid' | 'tanh' | 'elu', kernelName: string): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    const backend = args.backend as unknown as HeapBackend;
    const k = x.dtype === 'float32' ? kernelsFor(backend) : null;
    if (!k) return wasmKernel(kernelName)(args as never) as TensorInfo;
    const out = backend.makeOutput(x.shape, 'float32');
    const [px, po] = [ptr(backend, x), ptr(backend, out)];
    const at = name === 'square' || name === 'neg' ? SPLIT_CHEAP : SPLIT_EXP;
    call(backend, k, name, size(x), at, (lo, n) => [px + 4 * lo, po + 4 * lo, n]);
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

/**
 * Sum over every axis but the last (a bias gradient, Σ over rows): wasm's Sum transposes first, 10 ms for
 * [12 800, 200] (issue 17, measured here), against ~1 ms adding rows as vectors. Other reductions: wasm's own.
 */
export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: ((args: Parameters<KernelFunc>[0]) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    const backend = args.backend as unknown as HeapBackend;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const r = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = r >= 2 && axes.length === r - 1 && axes.every((ax, i) => ax === i);
    const k = x.dtype === 'float32' && leading && size(x) > 0 ? kernelsFor(backend) : null;
    if (!k) return wasmKernel(Sum)(args as never) as TensorInfo;
    const cols = x.shape[r - 1];
    const out = backend.makeOutput(keepDims ? [...new Array<number>(r - 1).fill(1), cols] : [cols], 'float32');
    k.colsum(ptr(backend, x), ptr(backend, out), size(x) / cols, cols);
    return out;
  }) as unknown as KernelFunc,
};

export const addConfig = binaryKernel('add', Add);
export const subConfig = binaryKernel('sub', Sub);
export const multiplyConfig = binaryKernel('mul', Multiply);
export const squareConfig = unaryKernel('square', Square);
export const negConfig = unaryKernel('neg', Neg);
export const sigmoidConfig = unaryKernel('sigmoid', Sigmoid);
export const tanhConfig = unaryKernel('tanh', Tanh);
export const eluConfig = unaryKernel('elu', Elu);

/**
 * EluGrad (y, dy of the same shape, float32): wasm's is a scalar C++ loop, 330 µs for [800, 200] and 3.3 ms for
 * [12 800, 200] (issue 17, one imagination update: 51 ms of CPU in 83 calls). Other cases: wasm's own.
 */
export const eluGradConfig: KernelConfig = {
  kernelName: EluGrad,
  backendName: 'wasm',
  kernelFunc: ((args: Parameters<KernelFunc>[0]) => {
    const { dy, y } = args.inputs as { dy: TensorInfo; y: TensorInfo };
    const backend = args.backend as unknown as HeapBackend;
    const k =
      y.dtype === 'float32' && dy.dtype === 'float32' && util.arraysEqual(y.shape, dy.shape)
        ? kernelsFor(backend)
        : null;
    if (!k) return wasmKernel(EluGrad)(args as never) as TensorInfo;
    const out = backend.makeOutput(y.shape, 'float32');
    const [py, pd, po] = [ptr(backend, y), ptr(backend, dy), ptr(backend, out)];
    call(backend, k, 'eluGrad', size(y), SPLIT_CHEAP / 2, (lo, n) => [py + 4 * lo, pd + 4 * lo, po + 4 * lo, n]);
    return out;
  }) as unknown as KernelFunc,
};

/** Kernel names of the fused GRU gates (core/tensor/gru-gates.ts): custom kernels, registered for wasm only. */
export const GRU_GATES = 'OneiroGruGates';
export const GRU_GATES_GRAD = 'OneiroGruGatesGrad';

/**
 * parts [N, 3d], h [N, d] (float32, d a multiple of 4) → [h' [N, d], gates [N, 3d]] (the gates feed the gradient);
 * split by rows with the worker.
 */
export const gruGatesConfig: KernelConfig = {
  kernelName: GRU_GATES,
  backendName: 'wasm',
  kernelFunc: ((args: Parameters<KernelFunc>[0]) => {
    const { parts, h } = args.inputs as { parts: TensorInfo; h: TensorInfo };
    const backend = args.backend as unknown as HeapBackend;
    const [n, d] = gruShapes(parts, h);
    const k = gruKernels(backend);
    const out = backend.makeOutput([n, d], 'float32');
    const gates = backend.makeOutput([n, 3 * d], 'float32');
    const [pp, ph, po, pg] = [ptr(backend, parts), ptr(backend, h), ptr(backend, out), ptr(backend, gates)];
    call(backend, k, 'gruGates', n, SPLIT_EXP / d, (lo, c) => [
      pp + 12 * lo * d,
      ph + 4 * lo * d,
      po + 4 * lo * d,
      pg + 12 * lo * d,
      c,
      0,
      0,
      4 * d,
    ]);
    return [out, gates];
  }) as unknown as KernelFunc,
};

/** parts, gates (gruGates' second output), h, dy → [dparts, dh] (the gradient of gruGates). */
export const gruGatesGradConfig: KernelConfig = {
  kernelName: GRU_GATES_GRAD,
  backendName: 'wasm',
  kernelFunc: ((args: Parameters<KernelFunc>[0]) => {
    const { parts, gates, h, dy } = args.inputs as {
      parts: TensorInfo;
      gates: TensorInfo;
      h: TensorInfo;
      dy: TensorInfo;
    };
    const backend = args.backend as unknown as HeapBackend;
    const [n, d] = gruShapes(parts, h);
    for (const [name, t, shape] of [
      ['dy', dy, h.shape],
      ['gates', gates, parts.shape],
    ] as const)
      if (t.dtype !== 'float32' || !util.arraysEqual(t.shape, shape))
        throw new Error(`GRU gates' gradient: ${name} must be float32 [${shape}], got ${t.dtype} [${t.shape}]`);
    const k = gruKernels(backend);
    const dparts = backend.makeOutput([n, 3 * d], 'float32');
    const dh = backend.makeOutput([n, d], 'float32');
    const [pp, pg, ph, pd] = [ptr(backend, parts), ptr(backend, gates), ptr(backend, h), ptr(backend, dy)];
    const [pdp, pdh] = [ptr(backend, dparts), ptr(backend, dh)];
    // No exp left: split only from the cheap ops' size.
    call(backend, k, 'gruGatesGrad', n, SPLIT_CHEAP / (4 * d), (lo, c) => [
      pp + 12 * lo * d,
      pg + 12 * lo * d,
      ph + 4 * lo * d,
      pd + 4 * lo * d,
      pdp + 12 * lo * d,
      pdh + 4 * lo * d,
      c,
      4 * d,
    ]);
    return [dparts, dh];
  }) as unknown as KernelFunc,
};

/** [rows, d] of a GRU gates call, or a one-line error (the caller, gru-gates.ts, only sends what fits). */
function gruShapes(parts: TensorInfo, h: TensorInfo): [number, number] {
  const [n, d] = h.shape;
  if (
    parts.dtype !== 'float32' ||
    h.dtype !== 'float32' ||
    h.shape.length !== 2 ||
    parts.shape.length !== 2 ||
    parts.shape[0] !== n ||
    parts.shape[1] !== 3 * d ||
    d % 4 !== 0
  )
    throw new Error(
      `GRU gates: expected float32 parts [N, 3d] and h [N, d] with d a multiple of 4, got ${parts.dtype} [${parts.shape}] and ${h.dtype} [${h.shape}]`,
    );
  return [n, d];
}

function gruKernels(backend: HeapBackend): Record<string, Fn> {
  const k = kernelsFor(backend);
  if (!k) throw new Error('GRU gates: this wasm backend has no heap our kernels can reach');
  return k;
}
