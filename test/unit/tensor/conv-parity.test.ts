import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { checkParity, randInt } from './parity.ts';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** Random small conv geometries: odd sizes, strides 1–3, 'same'/'valid'/explicit, batch 1 and > 1. */
function geometries(
  n: number,
): { b: number; h: number; w: number; c: number; k: number; o: number; s: number; pad: Pad }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const s = (i % 3) + 1;
    const k = randInt(1, 5);
    const pads: Pad[] = [
      'same',
      'valid',
      [
        [0, 0],
        [randInt(0, 2), randInt(0, 2)],
        [randInt(0, 2), randInt(0, 2)],
        [0, 0],
      ],
    ];
    const pad = pads[Math.floor(i / 3) % 3];
    out.push({
      b: i % 2 === 0 ? 1 : randInt(2, 3),
      h: randInt(k + 2, 13),
      w: randInt(k + 2, 13),
      c: randInt(1, 4),
      k,
      o: randInt(1, 5),
      s,
      pad,
    });
  }
  return out;
}

test('conv2d: wasm value, input and filter gradients match cpu', async () => {
  for (const g of geometries(18)) {
    await checkParity(
      `conv2d ${JSON.stringify(g)}`,
      (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, g.s, g.pad),
      [{ shape: [g.b, g.h, g.w, g.c] }, { shape: [g.k, g.k, g.c, g.o] }],
    );
  }
});

test('conv2d with non-square kernels and unequal strides matches cpu', async () => {
  const cases = [
    { x: [2, 11, 9, 3], f: [3, 2, 3, 4], s: [2, 1] as [number, number], pad: 'same' as const },
    { x: [1, 10, 13, 2], f: [2, 5, 2, 3], s: [1, 3] as [number, number], pad: 'valid' as const },
    { x: [3, 9, 9, 1], f: [4, 4, 1, 2], s: [3, 2] as [number, number], pad: 'same' as const },
    // 'same' where TF's total padding clamps at 0 (kernel < stride): wasm's own Conv2D got this wrong.
    { x: [3, 12, 13, 2], f: [2, 2, 2, 3], s: [3, 3] as [number, number], pad: 'same' as const },
  ];
  for (const c of cases) {
    await checkParity(
      `conv2d ${JSON.stringify(c)}`,
      (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad),
      [{ shape: c.x }, { shape: c.f }],
    );
  }
});

test('conv2dTranspose: wasm value, input and filter gradients match cpu', async () => {
  for (const g of geometries(15)) {
    if (Array.isArray(g.pad)) continue; // conv2dTranspose takes 'same' | 'valid' | number only
    const info = tf.backend_util.computeConv2DInfo([g.b, g.h, g.w, g.c], [g.k, g.k, g.c, g.o], g.s, 1, g.pad);
    const outShape: [number, number, number, number] = [g.b, g.h, g.w, g.c];
    await checkParity(
      `conv2dTranspose ${JSON.stringify(g)}`,
      (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, outShape, g.s, g.pad as 'same'),
      [{ shape: [g.b, info.outHeight, info.outWidth, g.o] }, { shape: [g.k, g.k, g.c, g.o] }],
    );
  }
});

test('the World Models VAE layer shapes (batch 2) match cpu', async () => {
  // encoder conv 4×4 s2 valid on 64×64×3, decoder deconv 6×6 s2 (World Models ConvVAE).
  await checkParity('vae enc1', (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid'), [
    { shape: [2, 64, 64, 3] },
    { shape: [4, 4, 3, 8] },
  ]);
  await checkParity(
    'vae dec4',
    (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, 64, 64, 3], 2, 'valid'),
    [{ shape: [2, 30, 30, 8] }, { shape: [6, 6, 3, 8] }],
  );
  // dec1 at batch 1 and 2 (the dream's one frame per step): 5×5 → 13×13 with a 5×5 kernel at stride 2, the
  // col2im path (the stride does not divide the kernel), and a 3×3 stride-2 'same' layer that crops padding.
  await checkParity(
    'vae dec1 batch 1',
    (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [1, 13, 13, 8], 2, 'valid'),
    [{ shape: [1, 5, 5, 16] }, { shape: [5, 5, 8, 16] }],
  );
  await checkParity(
    'col2im batch 2, same',
    (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, 9, 10, 3], 2, 'same'),
    [{ shape: [2, 5, 5, 4] }, { shape: [3, 3, 3, 4] }],
  );
  // dec0: 1×1 → 5×5 (the single-pixel path of Conv2DBackpropInput), and conv2d down to 1×1.
  await checkParity(
    'vae dec0',
    (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [3, 5, 5, 4], 2, 'valid'),
    [{ shape: [3, 1, 1, 16] }, { shape: [5, 5, 4, 16] }],
  );
  await checkParity('conv to 1×1 same', (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 3, 'same'), [
    { shape: [2, 3, 2, 3] },
    { shape: [4, 3, 3, 5] },
  ]);
  await checkParity('conv to 1×1 valid', (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid'), [
    { shape: [2, 5, 6, 3] },
    { shape: [4, 5, 3, 2] },
  ]);
  assert.equal(tf.getBackend(), 'wasm');
});

test('the wasm training kernels free their intermediates (backend data ids stay flat)', async () => {
  const { initBackend } = await import('../../../core/tensor/backend.ts');
  await initBackend('wasm');
  const be = tf.engine().backend as unknown as { dataIdMap: { numDataIds(): number } };
  const x = tf.randomUniform([2, 9, 9, 3]) as tf.Tensor4D;
  const f = tf.randomUniform([3, 3, 3, 4]) as tf.Tensor4D;
  const y1 = tf.randomUniform([2, 1, 1, 8]) as tf.Tensor4D;
  const f1 = tf.randomUniform([5, 5, 4, 8]) as tf.Tensor4D;
  const a = tf.randomUniform([5, 7]);
  const b = tf.randomUniform([6, 5]);
  const run = () =>
    tf.tidy(() => {
      tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same')))([
        x,
        f,
      ]);
      tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.conv2dTranspose(p as tf.Tensor4D, q as tf.Tensor4D, [2, 5, 5, 4], 2, 'valid')),
      )([y1, f1]);
      tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q, true, true)))([a, b]);
      tf.grad((p: tf.Tensor) => tf.sum(tf.gather(p, tf.tensor1d([0, 2, 2], 'int32'))))(a);
    });
  run();
  const ids = be.dataIdMap.numDataIds();
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) run();
  assert.equal(be.dataIdMap.numDataIds(), ids);
  assert.equal(tf.memory().numTensors, tensors);
  tf.dispose([x, f, y1, f1, a, b]);
});
