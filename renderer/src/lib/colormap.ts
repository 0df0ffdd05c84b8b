/**
 * A perceptually ordered dark→bright heat map for error images (close to matplotlib's "inferno": black at 0,
 * through purple and orange, pale yellow at 1), as a 256-entry lookup table built from a few anchor colours.
 */
const ANCHORS: Array<[number, [number, number, number]]> = [
  // Anchor colours sampled from matplotlib's inferno at 0, .25, .5, .75, 1.
  [0.0, [0, 0, 4]],
  [0.25, [87, 16, 110]],
  [0.5, [188, 55, 84]],
  [0.75, [249, 142, 9]],
  [1.0, [252, 255, 164]],
];

function build(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    let k = 0;
    while (k < ANCHORS.length - 2 && x > ANCHORS[k + 1][0]) k++;
    const [x0, c0] = ANCHORS[k];
    const [x1, c1] = ANCHORS[k + 1];
    const f = (x - x0) / (x1 - x0);
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(c0[c] + (c1[c] - c0[c]) * f);
  }
  return lut;
}

const LUT = build();

/** Colour of a value in [0,1] (clamped) as [r,g,b]. */
export function colormap(v: number): [number, number, number] {
  const i = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255) * 3;
  return [LUT[i], LUT[i + 1], LUT[i + 2]];
}

/** CSS linear-gradient stops of the map, for the legend next to the error player. */
export function colormapCss(): string {
  return ANCHORS.map(([x, [r, g, b]]) => `rgb(${r} ${g} ${b}) ${Math.round(x * 100)}%`).join(', ');
}
