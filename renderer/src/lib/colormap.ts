/**
 * matplotlib's "inferno" colormap for error images (dark → purple → orange → pale yellow, perceptually
 * uniform), as the 256 8-bit RGB entries matplotlib itself renders: `matplotlib.colormaps['inferno'](i,
 * bytes=True)` from `_cm_listed._inferno_data` (Smith & van der Walt, matplotlib 3.6.3). Regenerate with
 * test/fixtures/colormap/make_inferno.py, which also writes the fixture the unit test compares against.
 */
const INFERNO_HEX =
  '00000300000400000601000701010901010b02010e02021003021204031404031605041806041b07051d08061f090621' +
  '0a07230b07260d08280e082a0f092d10092f120a32130a34140b36160b39170b3b190b3e1a0b401c0c431d0c451f0c47' +
  '200c4a220b4c240b4e260b50270b52290b542b0a562d0a582e0a5a300a5c32095d34095f3509603709613909623b0964' +
  '3c09653e0966400966410967430a68450a69460a69480b6a4a0b6a4b0c6b4d0c6b4f0d6c500d6c520e6c530e6d550f6d' +
  '570f6d58106d5a116d5b116e5d126e5f126e60136e62146e63146e65156e66156e68166e6a176e6b176e6d186e6e186e' +
  '70196e72196d731a6d751b6d761b6d781c6d7a1c6d7b1d6c7d1d6c7e1e6c801f6b811f6b83206b85206a86216a88216a' +
  '8922698b22698d23698e24689024689125679325679526669626669827659928649b28649c29639e2963a02a62a12b61' +
  'a32b61a42c60a62c5fa72d5fa92e5eab2e5dac2f5cae305baf315bb1315ab23259b43358b53357b73456b83556ba3655' +
  'bb3754bd3753be3852bf3951c13a50c23b4fc43c4ec53d4dc73e4cc83e4bc93f4acb4049cc4148cd4247cf4446d04544' +
  'd14643d24742d44841d54940d64a3fd74b3ed94d3dda4e3bdb4f3adc5039dd5238de5337df5436e05634e25733e35832' +
  'e45a31e55b30e65c2ee65e2de75f2ce8612be9622aea6428eb6527ec6726ed6825ed6a23ee6c22ef6d21f06f1ff0701e' +
  'f1721df2741cf2751af37719f37918f47a16f57c15f57e14f68012f68111f78310f7850ef8870df8880cf88a0bf98c09' +
  'f98e08f99008fa9107fa9306fa9506fa9706fb9906fb9b06fb9d06fb9e07fba007fba208fba40afba60bfba80dfbaa0e' +
  'fbac10fbae12fbb014fbb116fbb318fbb51afbb71cfbb91efabb21fabd23fabf25fac128f9c32af9c52cf9c72ff8c931' +
  'f8cb34f8cd37f7cf3af7d13cf6d33ff6d542f5d745f5d948f4db4bf4dc4ff3de52f3e056f3e259f2e45df2e660f1e864' +
  'f1e968f1eb6cf1ed70f1ee74f1f079f1f27df2f381f2f485f3f689f4f78df5f891f6fa95f7fb99f9fc9dfafda0fcfea4';

const LUT = Uint8Array.from({ length: 256 * 3 }, (_, i) => parseInt(INFERNO_HEX.slice(2 * i, 2 * i + 2), 16));

/** The 256 entries as r, g, b bytes. */
export const INFERNO: Readonly<Uint8Array> = LUT;

/**
 * Colour of a value in [0,1] as [r,g,b], chosen as matplotlib's lookup does: entry ⌊v·256⌋, values outside
 * [0, 1] clamped to the end entries (matplotlib's default under/over colours), non-finite values to 0.
 */
export function colormap(v: number): [number, number, number] {
  const x = Number.isFinite(v) ? v : 0;
  const i = Math.min(255, Math.max(0, Math.floor(x * 256))) * 3;
  return [LUT[i], LUT[i + 1], LUT[i + 2]];
}

/** CSS linear-gradient stops of the map (every 16th entry and the last), for the legend next to the error player. */
export function colormapCss(): string {
  const stops: string[] = [];
  for (let k = 0; k <= 256; k += 16) {
    const i = Math.min(255, k);
    stops.push(`rgb(${LUT[3 * i]} ${LUT[3 * i + 1]} ${LUT[3 * i + 2]}) ${((i / 255) * 100).toFixed(1)}%`);
  }
  return stops.join(', ');
}
