import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raster } from '../../../core/envs/raster.ts';

function px(R: Raster, x: number, y: number): [number, number, number] {
  const o = (y * R.width + x) * 3;
  return [R.out[o], R.out[o + 1], R.out[o + 2]];
}
function count(R: Raster, color: [number, number, number]): number {
  let n = 0;
  for (let i = 0; i < R.out.length; i += 3)
    if (R.out[i] === color[0] && R.out[i + 1] === color[1] && R.out[i + 2] === color[2]) n++;
  return n;
}

test('clear fills every pixel with the colour', () => {
  const R = new Raster(7, 5);
  R.clear(0x102030);
  assert.equal(count(R, [0x10, 0x20, 0x30]), 35);
});

test('fillRect covers exactly the pixels whose centres are inside, clipped to the frame', () => {
  const R = new Raster(10, 10);
  R.clear(0);
  R.fillRect(2, 3, 5, 4, 0xff0000);
  assert.equal(count(R, [255, 0, 0]), 3);
  assert.deepEqual(px(R, 2, 3), [255, 0, 0]);
  assert.deepEqual(px(R, 5, 3), [0, 0, 0]);
  R.fillRect(-5, -5, 100, 1, 0x00ff00);
  assert.equal(count(R, [0, 255, 0]), 10);
});

test('fillCircle matches the strict-inside disc (skimage.draw.circle(5, 5, 5) in a 10×10 cell)', () => {
  const R = new Raster(10, 10);
  R.clear(0);
  R.fillCircle(5.5, 5.5, 5, 0xffffff);
  let expected = 0;
  for (let y = 0; y < 10; y++) {
    for (let x = 0; x < 10; x++) {
      const inside = (x - 5) ** 2 + (y - 5) ** 2 < 25;
      if (inside) expected++;
      assert.equal(px(R, x, y)[0], inside ? 255 : 0, `pixel ${x},${y}`);
    }
  }
  assert.equal(count(R, [255, 255, 255]), expected);
});

test('fillConvex: a triangle covers about its area; adjacent polygons do not overlap or leave seams', () => {
  const R = new Raster(40, 40);
  R.clear(0);
  R.fillConvex([0, 40, 0], [0, 0, 40], 3, 0xff0000);
  R.fillConvex([40, 40, 0], [0, 40, 40], 3, 0x0000ff); // shares the diagonal
  const red = count(R, [255, 0, 0]),
    blue = count(R, [0, 0, 255]);
  assert.equal(red + blue, 1600, 'no seam pixels left black');
  assert.ok(Math.abs(red - 800) <= 40 && Math.abs(blue - 800) <= 40, `${red} ${blue}`);
  // Winding does not matter.
  const R2 = new Raster(40, 40);
  R2.clear(0);
  R2.fillConvex([0, 0, 40], [0, 40, 0], 3, 0xff0000);
  assert.equal(count(R2, [255, 0, 0]), red);
});

test('line draws a band of the given thickness', () => {
  const R = new Raster(20, 20);
  R.clear(0);
  R.line(2, 10, 18, 10, 2, 0xffffff);
  assert.equal(count(R, [255, 255, 255]), 32);
  assert.deepEqual(px(R, 10, 9), [255, 255, 255]);
  assert.deepEqual(px(R, 10, 11), [0, 0, 0]);
});

test('2×2 supersampling averages half-covered pixels', () => {
  const R = new Raster(4, 4, true);
  R.clear(0);
  R.fillRect(0, 0, 1.5, 4, 0xc8c8c8); // column 0 full, column 1 half
  const out = R.resolve();
  assert.equal(out.length, 4 * 4 * 3);
  assert.equal(px(R, 0, 0)[0], 200);
  assert.equal(px(R, 1, 2)[0], 100);
  assert.equal(px(R, 2, 2)[0], 0);
});
