/**
 * A minimal WebAssembly assembler for our kernels (gemm.ts, elementwise.ts): LEB128, the instructions they use
 * (binary encodings of the WebAssembly core and SIMD specs) and a module of i32-parameter functions on one
 * imported memory `env.mem`. Kernels are generated as bytes at run time, so no wasm toolchain is needed.
 */
/** Unsigned / signed LEB128. */
export function uleb(n: number): number[] {
  const o: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    o.push(b);
  } while (n);
  return o;
}
export function sleb(n: number): number[] {
  const o: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      o.push(b);
      return o;
    }
    o.push(b | 0x80);
  }
}

// The few wasm instructions the kernel uses (binary encodings of the WebAssembly core and SIMD specs).
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a],
  mul: [0x6c],
  shl: [0x74],
  ltu: [0x49],
  geu: [0x4f],
  block: [0x02, 0x40],
  ifVoid: [0x04, 0x40],
  ifF32: [0x04, 0x7d],
  else: [0x05],
  loop: [0x03, 0x40],
  brIf: (depth: number) => [0x0d, depth],
  end: [0x0b],
  f32load: [0x2a, 2, 0],
  f32store: [0x38, 2, 0],
  f32add: [0x92],
  f32mul: [0x94],
  f32zero: [0x43, 0, 0, 0, 0],
  f32: (v: number) => [0x43, ...new Uint8Array(new Float32Array([v]).buffer)],
  vload: (offset: number) => [0xfd, 0x00, 4, ...uleb(offset)],
  vstore: (offset: number) => [0xfd, 0x0b, 4, ...uleb(offset)],
  splat: [0xfd, 0x09, 2, 0],
  vadd: [0xfd, 0xe4, 0x01],
  vsub: [0xfd, 0xe5, 0x01],
  vdiv: [0xfd, 0xe7, 0x01],
  vmin: [0xfd, 0xea, 0x01], // f32x4.pmin: one minps (f32x4.min adds NaN handling)
  vmax: [0xfd, 0xeb, 0x01], // f32x4.pmax
  vnearest: [0xfd, 0x6a],
  vgt: [0xfd, 0x44],
  vge: [0xfd, 0x46],
  bitselect: [0xfd, 0x52],
  i32x4TruncSat: [0xfd, 0xf8, 0x01],
  i32x4Add: [0xfd, 0xae, 0x01],
  i32x4Shl: [0xfd, 0xab, 0x01],
  f32x4Splat: [0xfd, 0x13],
  extractLane0: [0xfd, 0x1f, 0],
  i32x4Splat: [0xfd, 0x11],
  vneg: [0xfd, 0xe1, 0x01],
  f32sub: [0x93],
  f32neg: [0x8c],
  and: [0x71],
  eqz: [0x45],
  vmul: [0xfd, 0xe6, 0x01],
  madd: [0xfd, 0x85, 0x02],
  vzero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  load8u: [0x2d, 0, 0],
  store8: [0x3a, 0, 0],
};

/** while (ctr < bound) { body; step } (ctr, bound: i32 locals). */
export function loopWhile(ctr: number, bound: number, body: number[], step: number[]): number[] {
  return [
    ...op.block,
    ...op.get(ctr),
    ...op.get(bound),
    ...op.geu,
    ...op.brIf(0),
    ...op.loop,
    ...body,
    ...step,
    ...op.get(ctr),
    ...op.get(bound),
    ...op.ltu,
    ...op.brIf(0),
    ...op.end,
    ...op.end,
  ];
}

/** local += by (an i32 local; `by` pushes the increment). */
export const inc = (l: number, by: number[]) => [...op.get(l), ...by, ...op.add, ...op.set(l)];

export interface WasmFunction {
  name: string;
  /** Number of i32 parameters. */
  params: number;
  /** The encoded local declarations (count of groups, then count and type per group). */
  locals: number[];
  /** The instructions, without the final `end`. */
  body: number[];
}

/** A module exporting `fns` (each (i32 …) → ()), importing the memory env.mem (shared: up to 4 GiB). */
export function wasmModule(shared: boolean, fns: WasmFunction[]): Uint8Array {
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const arities = [...new Set(fns.map((f) => f.params))];
  const types = arities.flatMap((n) => [0x60, n, ...new Array<number>(n).fill(0x7f), 0]);
  const mem = shared ? [3, 0, ...uleb(65536)] : [0, 0];
  const code = fns.flatMap((f) => {
    const fn = [...f.locals, ...f.body, ...op.end];
    return [...uleb(fn.length), ...fn];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [...uleb(arities.length), ...types]),
    ...section(2, [1, ...name('env'), ...name('mem'), 2, ...mem]),
    ...section(3, [...uleb(fns.length), ...fns.map((f) => arities.indexOf(f.params))]),
    ...section(7, [...uleb(fns.length), ...fns.flatMap((f, i) => [...name(f.name), 0, i])]),
    ...section(10, [...uleb(fns.length), ...code]),
  ]);
}

/** The slice of the WebAssembly JS API used here (the project's TypeScript libs carry no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Whether the memory is shared (the threaded build's heap). */
export function isShared(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/** The module's exports instantiated on `memory`, or null when the bytes do not validate on this runtime. */
export function instantiate(bytes: Uint8Array, memory: WasmMemory): Record<string, unknown> | null {
  if (!wasmApi.validate(bytes)) return null;
  return new wasmApi.Instance(new wasmApi.Module(bytes), { env: { mem: memory } }).exports;
}
