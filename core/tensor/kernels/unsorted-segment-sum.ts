import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { withScope } from './wasm-call.ts';

/**
 * UnsortedSegmentSum for tfjs-backend-wasm (missing there; the gradient of `gather` needs it).
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...] is exactly ScatterNd with indices ids[:, None],
 * which wasm has in C++ and which sums duplicate indices — linear time, no JS loop over data.
 * ids must lie in [0, numSegments) (tfjs's gather gradient guarantees it; TF would drop others).
 */
function unsortedSegmentSumWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { inputs, backend } = args;
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = args.attrs as unknown as UnsortedSegmentSumAttrs;
  const n = util.sizeFromShape(segmentIds.shape);
  const rest = x.shape.slice(segmentIds.shape.length);
  const d = util.sizeFromShape(rest);
  return withScope(backend, (s) => {
    const ids = segmentIds.dtype === 'int32' ? segmentIds : s.run('Cast', { x: segmentIds }, { dtype: 'int32' });
    const idx = s.reshape(ids, [n, 1]);
    const upd = s.reshape(x, [n, d]);
    const out = s.run('ScatterNd', { indices: idx, updates: upd }, { shape: [numSegments, d] });
    return s.reshape(out, [numSegments, ...rest]);
  });
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumWasm as unknown as KernelFunc,
};
