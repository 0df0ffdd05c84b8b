/**
 * Loading every frame of an episode through `episodeFrames`, which returns at most 1000 per call:
 * the chunk plan is pure (tested); the loader stitches the chunks into one [T,H,W,3] buffer.
 */
export const MAX_FRAMES_PER_CALL = 1000;

export function chunkPlan(length: number, max = MAX_FRAMES_PER_CALL): Array<{ start: number; count: number }> {
  const out: Array<{ start: number; count: number }> = [];
  for (let s = 0; s < length; s += max) out.push({ start: s, count: Math.min(max, length - s) });
  return out;
}

export async function loadAllFrames(
  length: number,
  frameBytes: number,
  fetchChunk: (start: number, count: number) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const all = new Uint8Array(length * frameBytes);
  for (const { start, count } of chunkPlan(length)) {
    const data = await fetchChunk(start, count);
    if (data.length !== count * frameBytes) {
      throw new Error(
        `frames ${start}..${start + count - 1}: got ${data.length} bytes, expected ${count * frameBytes}`,
      );
    }
    all.set(data, start * frameBytes);
  }
  return all;
}
