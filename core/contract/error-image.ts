/**
 * Dreamer's signed error image, error = (model − truth + 1) / 2 per channel, so mid-grey means no error
 * (danijar/dreamer dreamer.py `_image_summaries`; mission-anchors §3.1). On 8-bit pixels that is
 * ⌊(model − truth + 255) / 2⌋: the float formula's result converted with numpy's `astype(np.uint8)`,
 * which truncates, so equal pixels give 127.
 * It lives in the contract because both sides draw it: the exported strip (core/media) and the Dream
 * Lab's error player (the renderer, which may import only core/contract); one function, so the saved
 * file and the screen agree to the byte.
 */
export function signedErrorImage(model: Uint8Array, truth: Uint8Array, out?: Uint8Array): Uint8Array {
  if (model.length !== truth.length)
    throw new RangeError(
      `error image: model frame has ${model.length} bytes but truth has ${truth.length}: both must be the same H×W×3`,
    );
  const res = out && out.length === model.length ? out : new Uint8Array(model.length);
  for (let i = 0; i < model.length; i++) res[i] = (model[i] - truth[i] + 255) >> 1;
  return res;
}
