import type { Episode } from '../../../core/data/episode.ts';

/**
 * A synthetic episode whose every value encodes where it came from: pixel = (10·id + row) mod 256,
 * reward = 100·id + row, action = [id, row]. Row 0 has a zero action and zero reward (Dreamer layout).
 */
export function codedEpisode(id: number, rows: number, size = 2, terminal = false): Episode {
  const frame = size * size * 3;
  const image = new Uint8Array(rows * frame);
  const action = new Float32Array(rows * 2);
  const reward = new Float32Array(rows);
  for (let t = 0; t < rows; t++) {
    image.fill((10 * id + t) % 256, t * frame, (t + 1) * frame);
    if (t > 0) {
      action[2 * t] = id;
      action[2 * t + 1] = t;
      reward[t] = 100 * id + t;
    }
  }
  const isFirst = new Uint8Array(rows);
  isFirst[0] = 1;
  const isLast = new Uint8Array(rows);
  isLast[rows - 1] = 1;
  const isTerminal = new Uint8Array(rows);
  if (terminal) isTerminal[rows - 1] = 1;
  const discount = Float32Array.from(isTerminal, (v) => 1 - v);
  return {
    image,
    imageShape: [rows, size, size, 3],
    action,
    actionDim: 2,
    reward,
    isFirst,
    isLast,
    isTerminal,
    discount,
  };
}
