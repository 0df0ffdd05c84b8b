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

/**
 * The Dreamer-layout episode of a rollout: one frame, action row and reward per row (row 0: the reset
 * frame, a zero action, reward 0); the last row is last, and terminal when the env ended the task.
 * Shared by dataset collection and the online agent so both write identical episodes.
 */
export function episodeFromRollout(r: {
  frames: Uint8Array[];
  /** float32 [T, A], row-major. */
  action: Float32Array;
  actionDim: number;
  rewards: number[];
  terminated: boolean;
  height: number;
  width: number;
}): Episode {
  const T = r.frames.length;
  const px = r.height * r.width * 3;
  const image = new Uint8Array(T * px);
  r.frames.forEach((f, t) => image.set(f, t * px));
  const isFirst = new Uint8Array(T);
  const isLast = new Uint8Array(T);
  const isTerminal = new Uint8Array(T);
  if (T > 0) {
    isFirst[0] = 1;
    isLast[T - 1] = 1;
    if (r.terminated) isTerminal[T - 1] = 1;
  }
  return {
    image,
    imageShape: [T, r.height, r.width, 3],
    action: r.action,
    actionDim: r.actionDim,
    reward: Float32Array.from(r.rewards),
    isFirst,
    isLast,
    isTerminal,
    discount: Float32Array.from(isTerminal, (v) => 1 - v),
  };
}
