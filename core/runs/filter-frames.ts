import * as tf from '@tensorflow/tfjs-core';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';

/**
 * Filters real frames (uint8 [n·S·S·3] at the model's size, `actions` [n·A], row i led to frame i) into the latent
 * state, from `from` (consumed) or the initial state; `each` sees every filtered state before the next frame.
 * `sample` null filters with the posterior's mode; a number seeds sampled latents (as in training). The one filter
 * loop of the Dream Lab's panels (the actor's dream, the goal dream and its real side).
 */
export function filterFrames(
  wm: LatentWorldModel,
  frames: Uint8Array,
  actions: Float32Array,
  opts: { each?: (state: LatentState, i: number) => void; from?: LatentState; sample?: number | null } = {},
): LatentState {
  const A = wm.actionDim;
  const F = wm.imageSize * wm.imageSize * 3;
  let state: LatentState = opts.from ?? wm.initialState(1);
  for (let i = 0; i < frames.length / F; i++) {
    const prev = state;
    state = tf.tidy(() =>
      wm.observe(
        prev,
        tf.tensor2d(actions.subarray(i * A, (i + 1) * A), [1, A]),
        frames.subarray(i * F, (i + 1) * F),
        opts.sample ?? null,
      ),
    );
    wm.disposeState(prev);
    opts.each?.(state, i);
  }
  return state;
}
