import { backend_util, Conv2D } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmKernel } from './wasm-call.ts';

/**
 * Conv2D for wasm: wasm's own kernel with 'same' padding turned into explicit pads first.
 * Why: with pad 'same' wasm hands XNNPACK its TF-SAME flag, which gives wrong values when
 * TF's total padding would be negative (clamped to 0), e.g. 12×13 input, 2×2 filter, stride 3:
 * max abs error 6 against the cpu backend (found by the parity suite through the input gradient
 * of conv2dTranspose). The explicit pads from computeConv2DInfo give the same output shape.
 */
function conv2dWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const attrs = args.attrs as unknown as Conv2DAttrs;
  if (attrs.pad !== 'same') return wasmKernel('Conv2D')(args as never) as TensorInfo;
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const fmt = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    'same',
    attrs.dimRoundingMode,
    false,
    fmt,
  );
  const { top, bottom, left, right } = info.padInfo;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return wasmKernel('Conv2D')({ ...args, attrs: { ...attrs, pad } } as never) as TensorInfo;
}

export const conv2dConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2dWasm as unknown as KernelFunc,
};
