import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  rgbToRgba,
  errorFrame,
  frameMse,
  rolloutErrors,
  fitScale,
  isBlank,
  frameAt,
} from '../../../renderer/src/lib/frames.ts';
import { colormap, colormapCss } from '../../../renderer/src/lib/colormap.ts';
import { errorFrame as mediaErrorFrame, openLoopGrid } from '../../../core/media/grid.ts';

test('rgbToRgba copies channels and sets opaque alpha', () => {
  const rgb = new Uint8Array([1, 2, 3, 250, 251, 252]);
  const rgba = rgbToRgba(rgb, 2, 1);
  assert.deepEqual(Array.from(rgba), [1, 2, 3, 255, 250, 251, 252, 255]);
});

test('rgbToRgba reuses a buffer of the right size and rejects a wrong frame size', () => {
  const out = new Uint8ClampedArray(8);
  assert.equal(rgbToRgba(new Uint8Array(6), 2, 1, out), out);
  assert.notEqual(rgbToRgba(new Uint8Array(6), 2, 1, new Uint8ClampedArray(4)).length, 4);
  assert.throws(() => rgbToRgba(new Uint8Array(5), 2, 1), /expected 6 for 2×1 RGB/);
});

test('heat error is black where frames agree and brightest where they are opposite', () => {
  const real = new Uint8Array([10, 20, 30, 0, 0, 0]);
  const dream = new Uint8Array([10, 20, 30, 255, 255, 255]);
  const e = errorFrame(real, dream, 'heat', 1);
  assert.deepEqual(Array.from(e.subarray(0, 3)), colormap(0));
  assert.deepEqual(Array.from(e.subarray(3, 6)), colormap(1));
  // the map goes dark → bright: max-error pixel is brighter than zero-error pixel
  assert.ok(e[3] + e[4] + e[5] > e[0] + e[1] + e[2] + 400);
});

test('heat gain amplifies small errors and saturates at 1', () => {
  const real = new Uint8Array([0, 0, 0]);
  const dream = new Uint8Array([51, 51, 51]); // error 0.2
  assert.deepEqual(Array.from(errorFrame(real, dream, 'heat', 1)), colormap(0.2));
  assert.deepEqual(Array.from(errorFrame(real, dream, 'heat', 2)), colormap(0.4));
  assert.deepEqual(Array.from(errorFrame(real, dream, 'heat', 10)), colormap(1));
});

test("signed error follows Dreamer's (model − truth + 1)/2 truncated to 8 bits: 127 when equal", () => {
  const real = new Uint8Array([100, 0, 255, 10]);
  const dream = new Uint8Array([100, 255, 0, 11]);
  assert.deepEqual(Array.from(errorFrame(real, dream, 'signed')), [127, 255, 0, 128]);
});

test('the UI signed error image equals the exported strip error row byte for byte, for every pixel pair', () => {
  // Every (truth, model) byte pair once, on all three channels of a 256×256 frame.
  const real = Uint8Array.from({ length: 256 * 256 * 3 }, (_, i) => Math.floor(i / 3) >> 8);
  const dream = Uint8Array.from({ length: 256 * 256 * 3 }, (_, i) => Math.floor(i / 3) & 255);
  const ui = errorFrame(real, dream, 'signed');
  const strip = openLoopGrid([real], [dream], 1, { height: 256, width: 256, borderWidth: 0, gap: 0 });
  const exported = mediaErrorFrame(dream, real);
  assert.deepEqual(ui, exported);
  // And the strip's third row is that image (the grid copies it unscaled at scale 1, no gap).
  assert.deepEqual(strip.data.subarray(2 * 256 * 256 * 3, 3 * 256 * 256 * 3), exported);
  for (let i = 0; i < real.length; i += 257) assert.equal(ui[i], Math.floor((dream[i] - real[i] + 255) / 2));
});

test('errorFrame rejects frames of different sizes', () => {
  assert.throws(() => errorFrame(new Uint8Array(3), new Uint8Array(6)), /same H×W×3/);
});

test('frameMse is the mean squared error with pixels in [0,1]', () => {
  assert.equal(frameMse(new Uint8Array([0, 0]), new Uint8Array([0, 0])), 0);
  assert.equal(frameMse(new Uint8Array([0, 0]), new Uint8Array([255, 0])), 0.5);
});

test('rolloutErrors: copy-last-frame baseline repeats the last context frame', () => {
  const f = (v: number) => new Uint8Array([v, v, v]);
  const real = [f(0), f(0), f(255), f(255)];
  const dream = [f(0), f(0), f(255), f(0)];
  const { model, baseline } = rolloutErrors(real, dream, 2);
  assert.deepEqual(model, [0, 0, 0, 1]);
  assert.deepEqual(baseline, [0, 0, 1, 1]);
  assert.throws(() => rolloutErrors(real, dream, 0), /context must be in 1..4/);
  assert.throws(() => rolloutErrors(real, dream.slice(1), 1), /4 real frames but 3/);
});

test('fitScale picks the largest integer scale that fits, at least 1', () => {
  assert.equal(fitScale(64, 64, 256, 300), 4);
  assert.equal(fitScale(64, 64, 255, 300), 3);
  assert.equal(fitScale(50, 50, 40, 40), 1);
  assert.equal(fitScale(64, 32, 640, 100), 3);
});

test('isBlank tells a flat fill from a real frame', () => {
  assert.equal(isBlank(new Uint8Array([5, 6, 7, 5, 6, 7])), true);
  assert.equal(isBlank(new Uint8Array([5, 6, 7, 5, 6, 8])), false);
});

test('frameAt slices frame t without copying and bounds-checks', () => {
  const buf = new Uint8Array(2 * 2 * 1 * 3).map((_, i) => i);
  const f1 = frameAt(buf, 1, 2, 1);
  assert.deepEqual(Array.from(f1), [6, 7, 8, 9, 10, 11]);
  assert.equal(f1.buffer, buf.buffer);
  assert.throws(() => frameAt(buf, 2, 2, 1), /frame 2 is out of range: the buffer holds 2 frames/);
});

test('colormap clamps, handles NaN, and is monotone in brightness', () => {
  assert.deepEqual(colormap(-1), colormap(0));
  assert.deepEqual(colormap(2), colormap(1));
  assert.deepEqual(colormap(Number.NaN), colormap(0));
  let prev = -1;
  for (let v = 0; v <= 1; v += 0.05) {
    const [r, g, b] = colormap(v);
    const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    assert.ok(lum >= prev - 1e-9, `luminance drops at ${v.toFixed(2)}`);
    prev = lum;
  }
  assert.match(colormapCss(), /^rgb\(0 0 3\) 0\.0%, .* 100\.0%$/);
});
