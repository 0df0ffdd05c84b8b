import * as tf from '@tensorflow/tfjs-core';
import type { Env } from '../envs/types.ts';
import { resizeFrames } from '../media/frames.ts';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { Rng } from '../util/rng.ts';
import type { Behavior } from './behavior.ts';

/**
 * Does the world model know what an action does? From real states along one episode of uniformly random
 * actions, `horizon` steps of each constant action are rolled out twice: in the real env (replaying the same
 * reset seed and random prefix, so each rollout starts from the same state) and in the model's prior from the
 * posterior filtered along that prefix. Summed rewards of both, per start step and action. A model whose
 * imagined sums rank the actions the same way in every state while the real sums do not is one an actor
 * exploits by pushing one constant action everywhere (what eval:dreamer's failing seeds do). Box actions only;
 * a constant action sets every dimension to the value.
 */
export interface ActionProbeOptions {
  /** Env reset seed (the same for every replay). */
  seed: number;
  /** Start steps along the random episode (each < the env's episode length − horizon). */
  times: number[];
  /** Constant action values to compare. */
  actions: number[];
  horizon: number;
  /** Seed of the random prefix actions. */
  prefixSeed: number;
}

export interface ActionProbeRow {
  t: number;
  /** The behaviour's deterministic action at that state (first dimension), when a behaviour is given. */
  mode: number | null;
  /** Summed real / imagined rewards, one per constant action. */
  real: number[];
  imagined: number[];
}

export function actionProbe(
  env: Env,
  wm: LatentWorldModel,
  o: ActionProbeOptions,
  behavior?: Behavior,
): ActionProbeRow[] {
  const space = env.actionSpace;
  if (space.kind !== 'box') throw new Error(`action probe: needs a box action space, got ${space.kind}`);
  if (o.horizon < 1 || o.times.length === 0 || o.actions.length === 0)
    throw new Error('action probe: needs horizon ≥ 1, at least one start step and at least one action');
  const A = wm.actionDim;
  const rng = new Rng(o.prefixSeed);
  const last = Math.max(...o.times);
  const prefix = Array.from({ length: last }, () =>
    Float32Array.from({ length: A }, (_, i) => space.low[i] + rng.next() * (space.high[i] - space.low[i])),
  );
  const constant = (v: number) =>
    Float32Array.from({ length: A }, (_, i) => Math.min(space.high[i], Math.max(space.low[i], v)));
  const size = env.observationShape[0];
  // Real: reset, replay the prefix up to t, then `horizon` steps of the constant action.
  const realSum = (t: number, a: Float32Array): number => {
    env.reset(o.seed);
    for (let k = 0; k < t; k++) env.step(prefix[k]);
    let r = 0;
    for (let k = 0; k < o.horizon; k++) r += env.step(a).reward;
    return r;
  };
  const rows: ActionProbeRow[] = [];
  // One filtering pass along the prefix, stopping at each start step.
  let state: LatentState = wm.initialState(1);
  let obs = env.reset(o.seed);
  let prev = new Float32Array(A);
  const todo = [...new Set(o.times)].sort((a, b) => a - b);
  try {
    for (let t = 0; t <= last; t++) {
      const frame = resizeFrames(obs.image, 1, size, wm.imageSize);
      const before = state;
      state = tf.tidy(() => wm.observe(before, tf.tensor2d(prev, [1, A]), frame, null));
      wm.disposeState(before);
      if (todo.includes(t)) {
        const s = state;
        const imagined = o.actions.map((v) =>
          tf.tidy(() => {
            const a = tf.tensor2d(constant(v), [1, A]);
            const im = wm.imagine(s, () => a, o.horizon, null);
            const [, n, f] = im.features.shape;
            const feats = tf.reshape(tf.slice(im.features, [1, 0, 0], [o.horizon, n, f]), [o.horizon * n, f]);
            const sum = tf.sum(wm.reward(feats as tf.Tensor2D)).dataSync()[0];
            wm.disposeState(im.last);
            return sum;
          }),
        );
        const mode = behavior ? behavior.act(wm, s, null)[0] : null;
        rows.push({ t, mode, real: [], imagined });
      }
      if (t < last) {
        obs = env.step(prefix[t]).obs;
        prev = prefix[t];
      }
    }
  } finally {
    wm.disposeState(state);
  }
  // The real rollouts reset the env, so they run after the filtering pass.
  for (const row of rows) row.real = o.actions.map((v) => realSum(row.t, constant(v)));
  return rows;
}

/** The probe as text: one line per start step, then the means over them. */
export function formatActionProbe(rows: ActionProbeRow[], actions: number[], horizon: number): string {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1).padStart(6)).join('');
  const mean = (k: 'real' | 'imagined') => actions.map((_, i) => rows.reduce((s, r) => s + r[k][i], 0) / rows.length);
  return [
    `  ${horizon}-step reward of constant actions ${actions.join(', ')} from states of a random-action episode:`,
    `  ${'step'.padEnd(5)}${'mode'.padStart(6)} | real${' '.repeat(Math.max(0, 6 * actions.length - 4))} | imagined`,
    ...rows.map(
      (r) =>
        `  ${String(r.t).padEnd(5)}${(r.mode === null ? '' : r.mode.toFixed(2)).padStart(6)} |${f(r.real)} |${f(r.imagined)}`,
    ),
    `  ${'mean'.padEnd(11)} |${f(mean('real'))} |${f(mean('imagined'))}`,
  ].join('\n');
}
