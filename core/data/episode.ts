/**
 * An episode in the Dreamer v1/v2 layout (row t: observation t, the action that led to it, the reward
 * received on arriving at it; row 0 has a zero action and zero reward). T = number of rows.
 */
export interface Episode {
  /** uint8 [T, H, W, 3] */
  image: Uint8Array;
  imageShape: [number, number, number, number];
  /** float32 [T, A] */
  action: Float32Array;
  actionDim: number;
  /** float32 [T] */
  reward: Float32Array;
  isFirst: Uint8Array;
  isLast: Uint8Array;
  isTerminal: Uint8Array;
  /** float32 [T]; 1 − is_terminal where not given. */
  discount: Float32Array;
  /** Extra arrays (e.g. vector `state`) kept as read, by key. */
  extra?: Record<string, { dtype: string; shape: number[]; data: ArrayBufferView }>;
}

export function episodeLength(ep: Episode): number {
  return ep.imageShape[0];
}
