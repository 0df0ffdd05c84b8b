import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope } from './wasm-call.ts';

/**
 * Conv2DBackpropFilter for tfjs-backend-wasm, which has none.
 *
 * dW[kh,kw,ci,co] = Σ_{b,i,j} x[b, i·s + kh − padTop, j·s + kw − padLeft, ci] · dy[b,i,j,co]
 * is itself a stride-1 convolution: input x transposed to [C_in, H, W, B] (batch = C_in,
 * channels = B), filter dy transposed to [Ho, Wo, B, C_out], dilation = the forward stride,
 * output [C_in, fh, fw, C_out]. So the whole gradient runs in XNNPACK's convolution (issue 2
 * measured 16–23 GFLOP/s this way, against 0.5–0.8 for im2col + matMul).
 * Padding: top/left as in the forward pass; bottom/right chosen so the output is exactly
 * fh × fw. When the forward pass dropped trailing rows/columns ('valid' with a stride that
 * does not divide), that padding is negative, so x is cropped instead.
 */
export function conv2dBackpropFilterWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const fmt = backend_util.convertConv2DDataFormat(dataFormat);
  if (fmt !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    fmt,
  );
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  if (dy.shape[1] !== outHeight || dy.shape[2] !== outWidth || dy.shape[3] !== outChannels) {
    throw new Error(
      `Conv2DBackpropFilter: dy shape [${dy.shape}] does not match the forward output [${info.outShape}]`,
    );
  }
  // Rows/cols of (padded) x the dilated "filter" dy spans, plus one per filter tap.
  const needBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padTop;
  const needRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padLeft;

  return withScope(backend, (s) => {
    let xs: TensorInfo = x;
    if (needBottom < 0 || needRight < 0) {
      const h = inHeight + Math.min(0, needBottom);
      const w = inWidth + Math.min(0, needRight);
      xs = s.slice(x, [0, 0, 0, 0], [batchSize, h, w, inChannels]);
    }
    const xT = s.transpose(xs, [3, 1, 2, 0]); // [C_in, H, W, B]
    const dyT = s.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, B, C_out]
    const conv = s.run(
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [padTop, Math.max(0, needBottom)],
          [padLeft, Math.max(0, needRight)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    ); // [C_in, fh, fw, C_out]
    return s.transpose(conv, [1, 2, 0, 3]);
  });
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelFunc,
};
