import * as tf from '@tensorflow/tfjs-core';
import { median, type BenchContext, type BenchRow } from '../types.ts';

/**
 * The VAE's convolution kernels alone, at the shapes of one batch-32 training step: for each
 * layer the forward kernel, the input gradient and the filter gradient (ms, median). Encoder
 * layers are conv2d (forward Conv2D, input gradient Conv2DBackpropInput); decoder layers are
 * conv2dTranspose (forward Conv2DBackpropInput, input gradient Conv2D). The note gives GFLOP/s
 * (2·MACs of the layer).
 */
interface Layer {
  name: string;
  x: [number, number, number, number];
  k: number;
  cout: number;
  transpose: boolean;
}

function layers(batch: number): Layer[] {
  return [
    { name: 'enc0', x: [batch, 64, 64, 3], k: 4, cout: 32, transpose: false },
    { name: 'enc1', x: [batch, 31, 31, 32], k: 4, cout: 64, transpose: false },
    { name: 'enc2', x: [batch, 14, 14, 64], k: 4, cout: 128, transpose: false },
    { name: 'enc3', x: [batch, 6, 6, 128], k: 4, cout: 256, transpose: false },
    { name: 'dec0', x: [batch, 1, 1, 1024], k: 5, cout: 128, transpose: true },
    { name: 'dec1', x: [batch, 5, 5, 128], k: 5, cout: 64, transpose: true },
    { name: 'dec2', x: [batch, 13, 13, 64], k: 6, cout: 32, transpose: true },
    { name: 'dec3', x: [batch, 30, 30, 32], k: 6, cout: 3, transpose: true },
  ];
}

function time(steps: number, f: () => tf.Tensor): number {
  for (let i = 0; i < 2; i++) f().dispose();
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const y = f();
    y.dataSync();
    ts.push(performance.now() - t0);
    y.dispose();
  }
  return median(ts);
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const batch = ctx.quick ? 4 : 32;
  for (const backend of ctx.backends) {
    if (backend === 'cpu' && !ctx.quick) {
      ctx.log('kernels: skipping cpu at batch 32 (its filter gradient runs at ~0.01 GFLOP/s)');
      continue;
    }
    await ctx.useBackend(backend);
    for (const l of layers(batch)) {
      // The "small" side (conv input / deconv output) and the "large" side in conv terms.
      const [b, h, w, c] = l.x;
      const big = l.transpose
        ? ([b, (h - 1) * 2 + l.k, (w - 1) * 2 + l.k, l.cout] as [number, number, number, number])
        : l.x;
      const cin = l.transpose ? l.cout : c;
      const cout = l.transpose ? c : l.cout;
      const small = tf.backend_util.computeConv2DInfo(big, [l.k, l.k, cin, cout], 2, 1, 'valid').outShape;
      const xBig = tf.randomUniform(big) as tf.Tensor4D;
      const ySmall = tf.randomUniform(small) as tf.Tensor4D;
      const f = tf.randomUniform([l.k, l.k, cin, cout]) as tf.Tensor4D;
      const gflop = (2 * small[0] * small[1] * small[2] * small[3] * l.k * l.k * cin) / 1e9;
      const conv = () => tf.conv2d(xBig, f, 2, 'valid');
      const convT = () => tf.conv2dTranspose(ySmall, f, big, 2, 'valid');
      const filterOnly = () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: xBig, dy: ySmall },
            { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: [l.k, l.k, cin, cout] },
          ) as tf.Tensor;
      const steps = Math.max(ctx.steps, 10);
      const parts: [string, () => tf.Tensor][] = l.transpose
        ? [
            ['forward', convT],
            ['backprop-input', conv],
            ['backprop-filter', filterOnly],
          ]
        : [
            ['forward', conv],
            ['backprop-input', convT],
            ['backprop-filter', filterOnly],
          ];
      for (const [part, fn] of parts) {
        const ms = time(steps, fn);
        rows.push({
          name: `conv-${l.name}-${part}`,
          backend,
          median: ms,
          unit: 'ms',
          note: `${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s, batch ${batch}`,
        });
      }
      tf.dispose([xBig, ySmall, f]);
    }
  }
  return rows;
}
