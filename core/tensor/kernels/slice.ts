import { backend_util, Concat, Slice, slice_util, SplitV, Unpack, util } from '@tensorflow/tfjs-core';
import type {
  ConcatAttrs,
  KernelConfig,
  KernelFunc,
  SliceAttrs,
  SplitVAttrs,
  TensorInfo,
  UnpackAttrs,
} from '@tensorflow/tfjs-core';
import { heapOffset, wasmKernel, type HeapBackend as Heap } from './wasm-call.ts';
import { kernelsFor } from './elementwise.ts';

/**
 * Slice, SplitV and Unpack for wasm that read their input in place. wasm's own Slice starts with
 * `readSync(x)`, which copies the WHOLE input out of the heap (HEAPU8.slice) before copying the slice,
 * and SplitV / Unpack call that Slice once per output: `tf.unstack` of a [B, T, 4H] sequence over T
 * copied the sequence T times (issue 17: 144 ms for 16 × 50 × 1024; tf.split of a [16, 1024] gate
 * tensor in 4 cost as much as the recurrent matmul). Here the copy is one memory.copy per contiguous run of the
 * slice, the runs of one axis in one call into our wasm module (copyRows in elementwise.ts); a TypedArray.set per
 * run, as before, where the module is not there. Concat is the same copy the other way (wasm's own also sets one
 * subarray per run: 2400 of them for three [800, 200] tensors, 400 µs; issue 17).
 */
interface HeapBackend extends Heap {
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Copies x[begin : begin + size] into a new output; begin/size already parsed (no -1). */
function sliceInPlace(backend: HeapBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const n = util.sizeFromShape(size);
  if (n === 0) return out;
  // Views only after makeOutput: an allocation may grow (and move) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  if (rank === 0) {
    dst.set(src.subarray(0, 1));
    return out;
  }
  // The trailing axes the slice takes whole, plus the last partial one, form one contiguous run.
  let k = rank - 1;
  while (k > 0 && size[k] === shape[k] && begin[k] === 0) k--;
  const inner = util.sizeFromShape(shape.slice(k + 1));
  const run = size[k] * inner;
  const strides = util.computeStrides(shape);
  const stride = (i: number) => (i < rank - 1 ? strides[i] : 1);
  const base = begin.reduce((acc, b, i) => acc + b * stride(i), 0);
  const kernels = k > 0 ? kernelsFor(backend) : null;
  if (kernels) {
    // Axes 0..k-2 as an odometer; the size[k-1] runs along axis k-1 in one copyRows call.
    const es = src.BYTES_PER_ELEMENT;
    const [ps, pd] = [heapOffset(backend, x), heapOffset(backend, out)];
    const rows = size[k - 1];
    const idx = new Array<number>(k - 1).fill(0);
    let o = 0;
    for (;;) {
      let off = base;
      for (let i = 0; i < k - 1; i++) off += idx[i] * stride(i);
      kernels.copyRows(ps + es * off, pd + es * o, rows, es * run, es * stride(k - 1), es * run);
      o += rows * run;
      let i = k - 2;
      while (i >= 0 && ++idx[i] === size[i]) idx[i--] = 0;
      if (i < 0) break;
    }
    return out;
  }
  // Walk the leading axes 0..k-1 of the slice as an odometer.
  const idx = new Array<number>(k).fill(0);
  let o = 0;
  for (;;) {
    let off = base;
    for (let i = 0; i < k; i++) off += idx[i] * stride(i);
    dst.set(src.subarray(off, off + run), o);
    o += run;
    let i = k - 1;
    while (i >= 0 && ++idx[i] === size[i]) idx[i--] = 0;
    if (i < 0) break;
  }
  return out;
}

function sliceWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const x = (args.inputs as { x: TensorInfo }).x;
  if (x.dtype === 'string') return wasmKernel('Slice')(args as never) as TensorInfo;
  const { begin, size } = args.attrs as unknown as SliceAttrs;
  const [b, s] = slice_util.parseSliceParams(x, begin, size);
  slice_util.assertParamsValid(x, b, s);
  return sliceInPlace(args.backend as unknown as HeapBackend, x, b, s);
}

function splitVWasm(args: Parameters<KernelFunc>[0]): TensorInfo[] {
  const x = (args.inputs as { x: TensorInfo }).x;
  if (x.dtype === 'string') return wasmKernel('SplitV')(args as never) as TensorInfo[];
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
  const ax = util.parseAxisParam(axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as never, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((n) => {
    const size = [...x.shape];
    size[ax] = n;
    const out = sliceInPlace(args.backend as unknown as HeapBackend, x, [...begin], size);
    begin[ax] += n;
    return out;
  });
}

function unpackWasm(args: Parameters<KernelFunc>[0]): TensorInfo[] {
  const x = (args.inputs as { value: TensorInfo }).value;
  if (x.dtype === 'string') return wasmKernel('Unpack')(args as never) as TensorInfo[];
  let { axis } = args.attrs as unknown as UnpackAttrs;
  if (axis < 0) axis += x.shape.length;
  const outShape = x.shape.filter((_, i) => i !== axis);
  const size = [...x.shape];
  size[axis] = 1;
  return Array.from({ length: x.shape[axis] }, (_, i) => {
    const begin = new Array<number>(x.shape.length).fill(0);
    begin[axis] = i;
    const out = sliceInPlace(args.backend as unknown as HeapBackend, x, begin, size);
    return { ...out, shape: outShape };
  });
}

/** Concat of same-dtype numeric tensors: each input's rows copied into its columns of the output. */
function concatWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const inputs = args.inputs as unknown as TensorInfo[];
  const backend = args.backend as unknown as HeapBackend;
  const dtype = inputs[0].dtype;
  const live = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
  const kernels = kernelsFor(backend);
  if (
    !kernels ||
    live.length < 2 ||
    dtype === 'string' ||
    dtype === 'complex64' ||
    inputs.some((t) => t.dtype !== dtype)
  )
    return wasmKernel('Concat')(args as never) as TensorInfo;
  const ax = util.parseAxisParam((args.attrs as unknown as ConcatAttrs).axis, inputs[0].shape)[0];
  backend_util.assertParamsConsistent(
    inputs.map((t) => t.shape),
    ax,
  );
  const out = backend.makeOutput(
    backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      ax,
    ),
    dtype,
  );
  const es = backend.typedArrayFromHeap(out).BYTES_PER_ELEMENT;
  const rows = util.sizeFromShape(live[0].shape.slice(0, ax));
  const widths = live.map((t) => util.sizeFromShape(t.shape.slice(ax)));
  const total = widths.reduce((a, w) => a + w, 0);
  const po = heapOffset(backend, out);
  let col = 0;
  live.forEach((t, i) => {
    kernels.copyRows(heapOffset(backend, t), po + es * col, rows, es * widths[i], es * widths[i], es * total);
    col += widths[i];
  });
  return out;
}

export const concatConfig: KernelConfig = {
  kernelName: Concat,
  backendName: 'wasm',
  kernelFunc: concatWasm as unknown as KernelFunc,
};

export const sliceConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'wasm',
  kernelFunc: sliceWasm as unknown as KernelFunc,
};

export const splitVConfig: KernelConfig = {
  kernelName: SplitV,
  backendName: 'wasm',
  kernelFunc: splitVWasm as unknown as KernelFunc,
};

export const unpackConfig: KernelConfig = {
  kernelName: Unpack,
  backendName: 'wasm',
  kernelFunc: unpackWasm as unknown as KernelFunc,
};
