import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  composeGrid,
  errorFrame,
  filmstrip,
  openLoopGrid,
  CONTEXT_GREEN,
  IMAGINED_RED,
} from '../../../core/media/grid.ts';
import { encodeAnimation, encodePng, formatOf } from '../../../core/media/encode.ts';

/** n frames of H×W, frame i filled with a grey level 40·i and a marker pixel (top-left) of 255 − i. */
function frames(n: number, H: number, W: number): Uint8Array {
  const f = new Uint8Array(n * H * W * 3);
  for (let i = 0; i < n; i++) {
    f.fill(40 * i, i * H * W * 3, (i + 1) * H * W * 3);
    f[i * H * W * 3] = 255 - i;
  }
  return f;
}

const px = (img: { data: Uint8Array; width: number }, x: number, y: number) => [
  ...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
];

test('filmstrip: frames side by side, wrapped into rows, pixelated upscaling by an integer factor', () => {
  const img = filmstrip(frames(5, 4, 3), 5, 4, 3, { scale: 2, columns: 3 });
  assert.equal(img.width, 3 * 3 * 2);
  assert.equal(img.height, 2 * 4 * 2);
  assert.deepEqual(px(img, 0, 0), [255, 0, 0]); // frame 0 marker, replicated 2×2
  assert.deepEqual(px(img, 1, 1), [255, 0, 0]);
  assert.deepEqual(px(img, 2, 0), [0, 0, 0]);
  assert.deepEqual(px(img, 6 + 2, 3), [40, 40, 40]); // frame 1 body
  assert.deepEqual(px(img, 6, 8), [251, 160, 160]); // frame 4 = row 1, column 1: marker
  assert.deepEqual(px(img, 12, 8), [0, 0, 0]); // missing cell padded with background
});

test('composeGrid draws column borders (context green, imagined red) inside the frames', () => {
  const f = frames(1, 6, 6);
  const img = composeGrid([[f, f, f]], {
    height: 6,
    width: 6,
    gap: 1,
    background: [9, 9, 9],
    borderWidth: 2,
    columnBorder: (c) => (c === 0 ? CONTEXT_GREEN : c === 1 ? IMAGINED_RED : null),
  });
  assert.equal(img.width, 3 * 6 + 2);
  assert.deepEqual(px(img, 0, 0), [0, 255, 0]);
  assert.deepEqual(px(img, 1, 3), [0, 255, 0]);
  assert.deepEqual(px(img, 2, 2), [0, 0, 0]); // inside the border: frame content
  assert.deepEqual(px(img, 6, 0), [9, 9, 9]); // gap
  assert.deepEqual(px(img, 7 + 5, 5), [255, 0, 0]);
  assert.deepEqual(px(img, 14, 0), [255, 0, 0]); // no border on column 2: the frame's own marker
});

test('open-loop grid: truth / model / error rows, error = (model − truth + 255) / 2', () => {
  assert.deepEqual(
    [...errorFrame(new Uint8Array([0, 255, 100, 10]), new Uint8Array([255, 0, 100, 20]))],
    [0, 255, 127, 122],
  );
  const truth = [new Uint8Array(12).fill(100), new Uint8Array(12).fill(100)];
  const model = [new Uint8Array(12).fill(100), new Uint8Array(12).fill(200)];
  const img = openLoopGrid(truth, model, 1, { height: 2, width: 2, borderWidth: 0 });
  assert.equal(img.height, 6);
  assert.deepEqual(px(img, 3, 2), [200, 200, 200]); // model row, t = 1
  assert.deepEqual(px(img, 0, 4), [127, 127, 127]); // no error
  assert.deepEqual(px(img, 3, 5), [177, 177, 177]); // (200 − 100 + 255) >> 1
});

test('PNG, animated GIF and animated WebP through sharp keep size, frame count and content', async () => {
  const n = 5;
  const f = frames(n, 8, 6);
  const png = await encodePng(filmstrip(f, n, 8, 6, { scale: 3 }));
  const pm = await sharp(png).metadata();
  assert.deepEqual([pm.format, pm.width, pm.height], ['png', 5 * 6 * 3, 8 * 3]);
  const back = await sharp(png).raw().toBuffer();
  assert.equal(back[(0 * 90 + 3 * 6 * 2 + 3) * 3], 80); // frame 2 body

  for (const format of ['gif', 'webp'] as const) {
    const bytes = await encodeAnimation(f, n, 8, 6, { format, scale: 2, delayMs: 80 });
    const m = await sharp(bytes, { animated: true }).metadata();
    assert.equal(m.format, format);
    assert.equal(m.pages, n, `${format} frames`);
    assert.equal(m.width, 12);
    assert.equal(m.pageHeight, 16);
    assert.deepEqual(m.delay, new Array(n).fill(80));
    const { data, info } = await sharp(bytes, { animated: true })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (let i = 0; i < n; i++) {
      const body = data[((i * 16 + 8) * 12 + 6) * info.channels];
      assert.ok(Math.abs(body - 40 * i) <= 2, `${format} frame ${i} body ${body} vs ${40 * i}`);
    }
  }
  assert.equal(formatOf('a/b.GIF'), 'gif');
  assert.throws(() => formatOf('x.mp4'), /unsupported extension '\.mp4', expected \.png, \.gif or \.webp/);
});

test('identical consecutive frames: GIF keeps one page per step; WebP merges them with summed delays (libwebp)', async () => {
  // Frames 1, 2, 3 identical (a blocked move, a paused pendulum): a GIF page must still be step i.
  const one = frames(3, 4, 4);
  const f = new Uint8Array(5 * 48);
  f.set(one.subarray(0, 48), 0);
  for (const i of [1, 2, 3]) f.set(one.subarray(48, 96), i * 48);
  f.set(one.subarray(96, 144), 4 * 48);
  const gif = await sharp(await encodeAnimation(f, 5, 4, 4, { format: 'gif', delayMs: 50 })).metadata();
  assert.deepEqual([gif.pages, gif.delay], [5, [50, 50, 50, 50, 50]]);
  const webp = await sharp(await encodeAnimation(f, 5, 4, 4, { format: 'webp', delayMs: 50 })).metadata();
  assert.deepEqual([webp.pages, webp.delay], [3, [50, 150, 50]]); // same timeline, fewer pages
});
