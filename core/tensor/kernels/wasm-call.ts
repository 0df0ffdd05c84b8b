import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmMemory } from './wasm-asm.ts';

/**
 * Calling wasm's own kernels from inside our kernels. The kernel functions are captured once,
 * before we override any of them, so an override (e.g. BatchMatMul) can still reach the original.
 * Intermediates are TensorInfos owned by the backend: `Scope` frees them (refcounted, so a
 * Reshape sharing its input's data only drops one reference).
 */
export interface WasmBackendLike extends KernelBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

type KernelFunc = (args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}) => TensorInfo | TensorInfo[];

const originals = new Map<string, KernelFunc>();

/** Captures wasm's kernel `name` (call before registering an override of it). */
export function captureWasmKernel(name: string): void {
  if (originals.has(name)) return;
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`tfjs-backend-wasm has no '${name}' kernel to build on`);
  originals.set(name, k.kernelFunc as unknown as KernelFunc);
}

export function wasmKernel(name: string): KernelFunc {
  let f = originals.get(name);
  if (!f) {
    captureWasmKernel(name);
    f = originals.get(name)!;
  }
  return f;
}

/** The shape each data id was first given to wasm's BatchMatMul as its right operand (see Scope.rightOperand). */
const rightShapes = new WeakMap<object, string>();

/** Runs wasm kernels and remembers their outputs so `free()` can release the intermediates. */
export class Scope {
  private readonly owned: TensorInfo[] = [];
  constructor(readonly backend: WasmBackendLike) {}

  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    if (name === 'BatchMatMul') inputs = { ...inputs, b: this.rightOperand(inputs.b) };
    const out = wasmKernel(name)({ inputs, backend: this.backend, attrs }) as TensorInfo;
    this.owned.push(out);
    return out;
  }

  /**
   * wasm's BatchMatMul caches its XNNPACK operator (with the packed right operand) under the right operand's
   * tensor id alone, not its shape: the same data seen again at another shape — a Reshape shares the id — runs
   * the operator built for the first shape (an abort, or writes out of bounds that corrupt the heap). Data
   * already used as a right operand at another shape goes in as a copy, with an id of its own.
   */
  rightOperand(b: TensorInfo): TensorInfo {
    const key = b.shape.join(',');
    const seen = rightShapes.get(b.dataId);
    if (seen === undefined) rightShapes.set(b.dataId, key);
    else if (seen !== key) return this.run('Identity', { x: b });
    return b;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /**
   * Rows of a float32 x viewed as [n, rowSize], picked by `rows` (-1: a row of zeros): one memcpy per row
   * (TypedArray.set). wasm's GatherV2/StridedSlice/Reverse walk elements one by one
   * (~20 ms for a 4×4×128×256 filter); this takes well under a millisecond.
   */
  gatherRows(x: TensorInfo, rowSize: number, rows: number[]): TensorInfo {
    const b = this.backend as unknown as {
      makeOutput(s: number[], d: string): TensorInfo;
      typedArrayFromHeap(t: TensorInfo): Float32Array;
    };
    const out = b.makeOutput([rows.length, rowSize], 'float32');
    this.owned.push(out);
    // Views after makeOutput: an allocation may grow (and move) the wasm heap.
    const src = b.typedArrayFromHeap(x);
    const dst = b.typedArrayFromHeap(out);
    rows.forEach((r, i) => {
      if (r < 0) dst.fill(0, i * rowSize, (i + 1) * rowSize);
      else dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    });
    return out;
  }

  /** A float32 scalar (freed with the scope), for elementwise ops with a constant. */
  scalar(v: number): TensorInfo {
    const b = this.backend as unknown as {
      makeOutput(s: number[], d: string): TensorInfo;
      typedArrayFromHeap(t: TensorInfo): Float32Array;
    };
    const out = b.makeOutput([], 'float32');
    this.owned.push(out);
    b.typedArrayFromHeap(out)[0] = v;
    return out;
  }

  /** Takes `t` (made outside `run`, e.g. by makeOutput) into the scope: freed with it unless kept. */
  own(t: TensorInfo): TensorInfo {
    this.owned.push(t);
    return t;
  }

  /** Marks `t` as the kernel's result: it is not freed. */
  keep(t: TensorInfo): TensorInfo {
    const i = this.owned.indexOf(t);
    if (i >= 0) this.owned.splice(i, 1);
    return t;
  }

  free(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }
}

/** Runs `body` in a Scope; everything but the returned TensorInfo is freed, also on error. */
export function withScope(backend: unknown, body: (s: Scope) => TensorInfo): TensorInfo {
  const s = new Scope(backend as WasmBackendLike); // KernelFunc types its backend as {}
  try {
    return s.keep(body(s));
  } finally {
    s.free();
  }
}

/**
 * Tensors derived from a weight (a filter rearranged for a kernel, a transposed dense weight), kept across calls
 * while the weight's data lives: XNNPACK keeps its packed copy of a weight per tensor, so handing it the same
 * derived tensor every call skips both the rearrangement and the re-packing (the dream decodes one frame at a
 * time with fixed weights; imagination runs the same weights' input gradients at each of its 15 steps). Keyed
 * by the source's data id, which no kernel writes into (Variable.assign swaps data ids): an entry is dropped
 * as soon as its source is freed, and the oldest beyond MAX_DERIVED entries or MAX_DERIVED_BYTES are dropped.
 */
const MAX_DERIVED = 64;
const MAX_DERIVED_BYTES = 64 * 2 ** 20;
const derivedCache: { src: object; key: string; out: TensorInfo; bytes: number }[] = [];
let derivedBytes = 0;

function dropDerived(b: WasmBackendLike, i: number): void {
  const [e] = derivedCache.splice(i, 1);
  derivedBytes -= e.bytes;
  b.disposeData(e.out.dataId);
}

export function derivedOf(backend: unknown, src: TensorInfo, key: string, make: (s: Scope) => TensorInfo): TensorInfo {
  const b = backend as WasmBackendLike & { dataIdMap: { has(id: object): boolean } };
  for (let i = derivedCache.length - 1; i >= 0; i--) {
    if (!b.dataIdMap.has(derivedCache[i].src)) dropDerived(b, i);
  }
  const hit = derivedCache.find((e) => e.src === src.dataId && e.key === key);
  if (hit) return hit.out;
  const out = withScope(backend, make);
  const bytes = 4 * out.shape.reduce((a, d) => a * d, 1);
  derivedCache.push({ src: src.dataId, key, out, bytes });
  derivedBytes += bytes;
  while (derivedCache.length > 1 && (derivedCache.length > MAX_DERIVED || derivedBytes > MAX_DERIVED_BYTES))
    dropDerived(b, 0);
  return out;
}

/** Number of cached derived tensors (tests). */
export function derivedCount(): number {
  return derivedCache.length;
}

/** The wasm backend as our own wasm kernels see it: its heap and where each tensor's data lives in it. */
export interface HeapBackend {
  wasm: { wasmMemory?: WasmMemory; asm?: { memory?: WasmMemory } };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): TensorInfo;
}

/** The backend's WebAssembly.Memory (the threaded build exports it as wasmMemory, the plain one as asm.memory). */
export function heapMemory(backend: HeapBackend): WasmMemory | undefined {
  return backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
}

/** Byte offset of a tensor's data in the heap (stable while it lives; views of the heap are not). */
export function heapOffset(backend: HeapBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
