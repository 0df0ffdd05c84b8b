import type { Episode } from '../../../core/data/episode.ts';
import type { TrainData } from '../../../core/models/family.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { Rng } from '../../../core/util/rng.ts';

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

/** n random-policy cartpole-swingup episodes of 20 steps at size px; episode i from env seed and policy seed from + i. */
export function cartpoleEpisodes(n: number, size: number, from = 0): Episode[] {
  const env = makeEnv('cartpole-swingup', { size, maxSteps: 20 });
  return Array.from(
    { length: n },
    (_, i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(from + i)), from + i).episode,
  );
}

/** In-memory run data on cartpoleEpisodes at 32 px: 3 training episodes (seeds 0–2), 1 held out (seed 10). */
export function cartpoleTrainData(): TrainData {
  return {
    dataset: null,
    env: 'cartpole-swingup',
    actionSpace: makeEnv('cartpole-swingup', { size: 32 }).actionSpace,
    imageSize: 32,
    train: cartpoleEpisodes(3, 32),
    heldOut: cartpoleEpisodes(1, 32, 10),
  };
}
