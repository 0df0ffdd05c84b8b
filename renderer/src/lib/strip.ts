/**
 * Layout of a filmstrip: how many thumbnails of a w×h frame, at a given height, fit a box, and the frame
 * stride between them so the strip spans the whole episode.
 */
export function stripLayout(
  count: number,
  frameW: number,
  frameH: number,
  boxWidth: number,
  thumbHeight: number,
): { thumbs: number; thumbW: number; stride: number } {
  const thumbW = Math.max(1, (thumbHeight * frameW) / Math.max(1, frameH));
  const fit = Math.max(1, Math.floor(boxWidth / thumbW));
  if (count <= 0) return { thumbs: fit, thumbW, stride: 1 };
  const stride = Math.max(1, Math.ceil(count / fit));
  const thumbs = Math.max(1, Math.ceil(count / stride));
  return { thumbs, thumbW, stride };
}
