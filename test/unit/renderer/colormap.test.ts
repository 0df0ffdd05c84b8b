import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { colormap, colormapCss, INFERNO } from '../../../renderer/src/lib/colormap.ts';

// Written by test/fixtures/colormap/make_inferno.py from Debian's matplotlib (python3-matplotlib).
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/colormap/inferno.json', import.meta.url), 'utf8')) as {
  source: string;
  hex: string;
  samples: [number, [number, number, number]][];
};

test("the error colormap is matplotlib's 256-entry inferno table", () => {
  assert.equal(INFERNO.length, 256 * 3);
  const want = Uint8Array.from({ length: 768 }, (_, i) => parseInt(fixture.hex.slice(2 * i, 2 * i + 2), 16));
  assert.deepEqual(Array.from(INFERNO), Array.from(want), fixture.source);
  // A few entries spelled out (matplotlib 3.6.3 `colormaps['inferno'](i, bytes=True)`), as a reader would check them.
  assert.deepEqual(colormap(0), [0, 0, 3]);
  assert.deepEqual(colormap(128 / 256), [187, 55, 84]);
  assert.deepEqual(colormap(1), [252, 254, 164]);
});

test('a value picks the entry matplotlib picks (⌊v·256⌋, clamped to the ends)', () => {
  for (const [v, rgb] of fixture.samples) assert.deepEqual(colormap(v), rgb, `colormap(${v})`);
  assert.deepEqual(colormap(Number.NaN), colormap(0));
});

test('the legend gradient runs through the table from its first to its last entry', () => {
  const css = colormapCss();
  assert.match(css, /^rgb\(0 0 3\) 0\.0%, /);
  assert.match(css, /, rgb\(252 254 164\) 100\.0%$/);
});
