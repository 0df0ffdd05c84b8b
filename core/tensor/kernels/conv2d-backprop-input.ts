import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { derivedOf, withScope, type Scope } from './wasm-call.ts';

type Backend = Parameters<KernelFunc>[0]['backend'];

/**
 * The layer's sizes in the formulas' names, as every path below reads them: dx [B, H, W, C_in], filter
 * [Kh, Kw, C_in, C_out], dy [B, Ho, Wo, C_out], strides s_h, s_w, and the forward padding's top and left.
 */
interface Dims {
  B: number;
  H: number;
  W: number;
  Cin: number;
  Cout: number;
  Kh: number;
  Kw: number;
  sh: number;
  sw: number;
  Ho: number;
  Wo: number;
  top: number;
  left: number;
}

function dimsOf(info: backend_util.Conv2DInfo, dy: TensorInfo): Dims {
  return {
    B: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    Cin: info.inChannels,
    Cout: info.outChannels,
    Kh: info.filterHeight,
    Kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    Ho: dy.shape[1],
    Wo: dy.shape[2],
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * Conv2DBackpropInput (the input gradient of conv2d, and conv2dTranspose itself) for wasm as a
 * sub-pixel decomposition into stride-1 XNNPACK convolutions. wasm's own kernel is a plain C
 * loop (issue 2 measured ~2 GFLOP/s); this reaches XNNPACK's convolution speed.
 *
 * With the forward padding applied (row p of padded x = row p − padTop of x) and p = q·s + φ:
 *   dx_pad[q·s + φ] = Σ_m dy[q − m] · W[φ + s·m],   m = 0 .. M_φ − 1,  M_φ = ⌈(K − φ)/s⌉,
 * i.e. for each phase φ a stride-1 convolution of dy (padded M_φ − 1 on top) with the phase's
 * taps reversed and in/out channels swapped. The s_h·s_w phases run as one convolution whose
 * output channels are (phase, C_in); they are interleaved (reshape → transpose → reshape) and
 * the forward padding is cropped off.
 */
function conv2dBackpropInputWasm(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { inputs, backend } = args;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const fmt = backend_util.convertConv2DDataFormat(dataFormat);
  if (fmt !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropInput supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    fmt,
  );
  const dims = dimsOf(info, dy);
  const { B, H, W, Cin, Cout, Kh, Kw, sh, sw, Ho, Wo, top: padTop, left: padLeft } = dims;
  // Rows of padded dx per phase; rows of dy at or past Q never contribute.
  const Q = Math.ceil((H + padTop) / sh);
  const Qw = Math.ceil((W + padLeft) / sw);

  if (Ho === 1 && Wo === 1 && padTop < Kh && padLeft < Kw) return fromSinglePixel(backend, dy, filter, dims);
  // Col2im where the sub-pixel form would compute zero taps (a stride that does not divide the kernel); where it
  // divides (6×6 stride 2) the sub-pixel convolution measured faster at batch 1 (13×13×64 → 30×30×32: 1.4 ms
  // against 1.7).
  if (B <= SMALL_BATCH && (Kh % sh !== 0 || Kw % sw !== 0)) return byColumns(backend, dy, filter, dims);

  return withScope(backend, (s) => {
    let d: TensorInfo = dy;
    if (Q < Ho || Qw < Wo) d = s.slice(dy, [0, 0, 0, 0], [B, Math.min(Q, Ho), Math.min(Qw, Wo), Cout]);
    const dh = d.shape[1];
    const dw = d.shape[2];
    // All phases in ONE stride-1 convolution with s_h·s_w·C_in output channels: XNNPACK packs
    // a new filter on every call (~1.6 ms for 2×2×256×128 here), so one conv beats s_h·s_w
    // small ones. Phases with fewer taps than the largest (K not a multiple of s) get zero taps
    // in front, which keeps their alignment (padding is M_max − 1 for all).
    const Mh = Math.ceil(Kh / sh);
    const Mw = Math.ceil(Kw / sw);
    const P = sh * sw;
    // The rearranged filter is cached per filter (derivedOf): with fixed weights (the dream, evaluation) it
    // is built and packed once.
    const ft = derivedOf(backend, filter, `bpi ${sh} ${sw}`, (c) => {
      const rows: number[] = []; // [Mh, Mw, P] taps of [C_in, C_out]; -1 = zero tap
      for (let ih = 0; ih < Mh; ih++) {
        for (let iw = 0; iw < Mw; iw++) {
          for (let ph = 0; ph < sh; ph++) {
            for (let pw = 0; pw < sw; pw++) {
              const kh = ph + sh * (Mh - 1 - ih);
              const kw = pw + sw * (Mw - 1 - iw);
              rows.push(kh < Kh && kw < Kw ? kh * Kw + kw : -1);
            }
          }
        }
      }
      const taps = c.reshape(c.gatherRows(filter, Cin * Cout, rows), [Mh * Mw, P, Cin, Cout]);
      return c.reshape(c.transpose(taps, [0, 3, 1, 2]), [Mh, Mw, Cout, P * Cin]);
    });
    const y = s.run(
      'Conv2D',
      { x: d, filter: ft },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [Mh - 1, Q - dh],
          [Mw - 1, Qw - dw],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    ); // [B, Q, Qw, sh·sw·C_in]
    let full: TensorInfo;
    if (P === 1) {
      full = y;
    } else {
      const six = s.reshape(y, [B, Q, Qw, sh, sw, Cin]);
      const inter = s.transpose(six, [0, 1, 3, 2, 4, 5]); // [B, Q, sh, Qw, sw, C_in]
      full = s.reshape(inter, [B, Q * sh, Qw * sw, Cin]);
    }
    if (padTop === 0 && padLeft === 0 && full.shape[1] === H && full.shape[2] === W) return full;
    return s.slice(full, [0, padTop, padLeft, 0], [B, H, W, Cin]);
  });
}

/**
 * dy of 1×1 pixels (a decoder's first deconv from a dense vector): dx_pad[b, kh, kw, ci] =
 * Σ_co dy[b, co] · W[kh, kw, ci, co], one matmul. The sub-pixel form would convolve mostly
 * padding there (1.1 GFLOP/s measured on World Models' 1×1×1024 → 5×5×128 layer).
 */
function fromSinglePixel(backend: Backend, dy: TensorInfo, filter: TensorInfo, dims: Dims): TensorInfo {
  const { B, H, W, Cin, Cout, Kh, Kw, top, left } = dims;
  return withScope(backend, (s) => {
    // colsᵀ = W[KKC, C_out] · dyᵀ[C_out, B]: the big filter is the left operand, so neither it
    // is transposed nor does XNNPACK pack it as weights (it packs the right operand, here the
    // small dyᵀ). Measured on 1×1×1024 → 5×5×128 at batch 32: 35 ms with the filter as the right
    // operand (transpose + packing of 3.3 M weights), 8 ms this way.
    const kkc = Kh * Kw * Cin;
    let cols: TensorInfo;
    if (B <= SMALL_BATCH) {
      // A few rows (the dream decodes one frame at a time): dy·Fᵀ with Fᵀ cached per filter, so it is
      // transposed and packed once for all frames, not 3.3 M weights per frame.
      cols = s.reshape(timesFilterT(s, backend, dy, filter, B, kkc, Cout), [B, kkc]);
    } else {
      const dyT = s.transpose(s.reshape(dy, [B, Cout]), [1, 0]);
      const colsT = s.run(
        'BatchMatMul',
        { a: s.reshape(filter, [1, kkc, Cout]), b: s.reshape(dyT, [1, Cout, B]) },
        { transposeA: false, transposeB: false },
      );
      cols = s.transpose(s.reshape(colsT, [kkc, B]), [1, 0]);
    }
    let full = s.reshape(cols, [B, Kh, Kw, Cin]); // rows/cols of padded dx that a tap reaches
    // dx row r is padded row r + top: crop what lies in the padding, zero-fill what no tap reaches.
    const h0 = Math.min(top, Kh);
    const w0 = Math.min(left, Kw);
    const hKeep = Math.min(Kh - h0, H);
    const wKeep = Math.min(Kw - w0, W);
    if (h0 > 0 || w0 > 0 || hKeep < Kh || wKeep < Kw) full = s.slice(full, [0, h0, w0, 0], [B, hKeep, wKeep, Cin]);
    if (hKeep === H && wKeep === W) return full;
    return s.run(
      'PadV2',
      { x: full },
      {
        paddings: [
          [0, 0],
          [0, H - hKeep],
          [0, W - wKeep],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
  });
}

/**
 * A few images (the dream decodes one frame per step): col2im. cols = dy[B·Ho·Wo, C_out] · Fᵀ[C_out, Kh·Kw·C_in]
 * with Fᵀ cached per filter (rearranged and packed once for all frames), then every dy pixel's Kh×Kw×C_in patch
 * is added into dx at (i·s_h + kh − padTop, j·s_w + kw − padLeft). The sub-pixel convolution above computes
 * zero taps whenever s does not divide K (World Models' 5×5 stride-2 layer: 9 taps for 6.25 real ones) on a
 * few output pixels per phase; measured on that layer at batch 1 (5×5×128 → 13×13×64): 1.6 ms that way.
 */
function byColumns(backend: Backend, dy: TensorInfo, filter: TensorInfo, dims: Dims): TensorInfo {
  const { B, H, W, Cin, Cout, Kh, Kw, sh, sw, Ho, Wo, top, left } = dims;
  const kkc = Kh * Kw * Cin;
  return withScope(backend, (s) => {
    const cols = timesFilterT(s, backend, dy, filter, B * Ho * Wo, kkc, Cout);
    const b = backend as unknown as {
      makeOutput(shape: number[], dtype: string): TensorInfo;
      typedArrayFromHeap(t: TensorInfo): Float32Array;
    };
    const out = b.makeOutput([B, H, W, Cin], 'float32');
    // Views after makeOutput: an allocation may grow (and move) the heap.
    const src = b.typedArrayFromHeap(cols);
    const dst = b.typedArrayFromHeap(out);
    dst.fill(0);
    for (let n = 0; n < B; n++) {
      for (let i = 0; i < Ho; i++) {
        for (let kh = 0; kh < Kh; kh++) {
          const r = i * sh + kh - top;
          if (r < 0 || r >= H) continue;
          for (let j = 0; j < Wo; j++) {
            const row = ((n * Ho + i) * Wo + j) * kkc + kh * Kw * Cin;
            for (let kw = 0; kw < Kw; kw++) {
              const c = j * sw + kw - left;
              if (c < 0 || c >= W) continue;
              const from = row + kw * Cin;
              const to = ((n * H + r) * W + c) * Cin;
              for (let ci = 0; ci < Cin; ci++) dst[to + ci] += src[from + ci];
            }
          }
        }
      }
    }
    return out;
  });
}

/**
 * dy's `rows` pixels times the filter transposed, cols[1, rows, Kh·Kw·C_in] = dy[rows, C_out] · Fᵀ[C_out, Kh·Kw·C_in]
 * (both small-batch paths). Fᵀ is cached per filter (derivedOf): rearranged and packed once for all frames.
 */
function timesFilterT(
  s: Scope,
  backend: Backend,
  dy: TensorInfo,
  filter: TensorInfo,
  rows: number,
  kkc: number,
  Cout: number,
): TensorInfo {
  const fT = derivedOf(backend, filter, 'bpi T', (c) =>
    c.reshape(c.transpose(c.reshape(filter, [kkc, Cout]), [1, 0]), [1, Cout, kkc]),
  );
  return s.run('BatchMatMul', { a: s.reshape(dy, [1, rows, Cout]), b: fT }, { transposeA: false, transposeB: false });
}

/** Batches up to this size take the cached-transposed-filter paths (1×1 input, col2im). */
const SMALL_BATCH = 4;

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputWasm as unknown as KernelFunc,
};
