import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { actionProbe, formatActionProbe } from '../../../core/agents/action-probe.ts';
import type { Env, Observation, StepResult } from '../../../core/envs/types.ts';
import type { LatentState } from '../../../core/models/latent-world-model.ts';
import { Rng } from '../../../core/util/rng.ts';
import { PointWorld, TARGET } from './point-world.ts';

before(async () => {
  await initBackend('cpu');
});

/** Position → byte (3 units over 255 levels) and back: the env's 1×1 frame carries x in R and y in G. */
const toByte = (v: number) => Math.round(((v + 1.5) / 3) * 255);
const fromByte = (b: number) => (b / 255) * 3 - 1.5;

/** The point world as a real env: the same dynamics and reward as PointWorld, its position drawn in one pixel. */
class PointEnv implements Env {
  readonly name = 'point-env';
  readonly observationShape: [number, number, 3] = [1, 1, 3];
  readonly actionSpace = { kind: 'box' as const, shape: [2], low: [-1, -1], high: [1, 1] };
  pos = [0, 0];
  private obs(): Observation {
    return { image: Uint8Array.of(toByte(this.pos[0]), toByte(this.pos[1]), 0) };
  }
  reset(seed: number): Observation {
    const rng = new Rng(seed);
    this.pos = [rng.next() * 2 - 1, rng.next() * 2 - 1];
    return this.obs();
  }
  step(action: ArrayLike<number> | number): StepResult {
    const a = action as ArrayLike<number>;
    this.pos = this.pos.map((p, i) => Math.min(1.5, Math.max(-1.5, p + 0.25 * Math.min(1, Math.max(-1, a[i])))));
    const d2 = (this.pos[0] - TARGET[0]) ** 2 + (this.pos[1] - TARGET[1]) ** 2;
    return { obs: this.obs(), reward: Math.exp(-4 * d2), terminated: false, truncated: false, info: {} };
  }
}

/** PointWorld whose posterior reads the position off the frame (a perfect model up to the pixel's rounding). */
class SeeingPointWorld extends PointWorld {
  // PointWorld's observe takes only the state; the probe passes (state, action, frames) as LatentWorldModel does.
  override observe(_prev: LatentState, _action?: tf.Tensor2D, frames?: Uint8Array): LatentState {
    if (!frames) throw new Error('SeeingPointWorld.observe needs the frame');
    return { pos: tf.tensor2d([[fromByte(frames[0]), fromByte(frames[1])]]) };
  }
}

const opts = { seed: 3, times: [0, 4, 9], actions: [-1, 0, 1], horizon: 5, prefixSeed: 11 };

test('a model that knows the dynamics imagines what the real env pays for each constant action, from each probed state', () => {
  const env = new PointEnv();
  const wm = new SeeingPointWorld();
  const n0 = tf.memory().numTensors;
  const rows = actionProbe(env, wm, opts);
  assert.equal(tf.memory().numTensors, n0, 'no tensors left behind');
  assert.deepEqual(
    rows.map((r) => r.t),
    [0, 4, 9],
  );
  for (const r of rows) {
    assert.equal(r.real.length, 3);
    r.real.forEach((x, i) =>
      assert.ok(
        Math.abs(x - r.imagined[i]) < 0.05,
        `step ${r.t}, action ${opts.actions[i]}: real ${x} vs imagined ${r.imagined[i]}`,
      ),
    );
  }
  // Not trivially equal: the actions pay differently, and the probed states differ.
  const spread = Math.max(...rows[0].real) - Math.min(...rows[0].real);
  assert.ok(spread > 0.3, `the actions' real sums differ (${rows[0].real})`);
  assert.notDeepEqual(rows[0].real, rows[2].real);
  // Step 0 is the reset state: its real sums are exactly a fresh env's.
  const fresh = new PointEnv();
  fresh.reset(opts.seed);
  let r = 0;
  for (let k = 0; k < opts.horizon; k++) r += fresh.step([1, 1]).reward;
  assert.ok(Math.abs(rows[0].real[2] - r) < 1e-12);
  const text = formatActionProbe(rows, opts.actions, opts.horizon);
  assert.match(text, /5-step reward of constant actions -1, 0, 1/);
  assert.equal(text.split('\n').length, 2 + rows.length + 1);
});

test('a model blind to the action is caught: its imagined sums do not move with the action while the real ones do', () => {
  class Blind extends SeeingPointWorld {
    override imagine(start: LatentState, policy: (f: tf.Tensor2D, t: number) => tf.Tensor2D, horizon: number) {
      return super.imagine(start, (f, t) => tf.zerosLike(policy(f, t)), horizon);
    }
  }
  const rows = actionProbe(new PointEnv(), new Blind(), opts);
  const imagSpread = Math.max(...rows[1].imagined) - Math.min(...rows[1].imagined);
  const realSpread = Math.max(...rows[1].real) - Math.min(...rows[1].real);
  assert.ok(imagSpread < 1e-6 && realSpread > 0.3, `imagined spread ${imagSpread}, real ${realSpread}`);
});

test('bad input is refused in one line', () => {
  const wm = new SeeingPointWorld();
  const discrete = Object.assign(new PointEnv(), { actionSpace: { kind: 'discrete' as const, n: 4 } });
  assert.throws(() => actionProbe(discrete as unknown as Env, wm, opts), /needs a box action space, got discrete/);
  assert.throws(() => actionProbe(new PointEnv(), wm, { ...opts, times: [] }), /at least one start step/);
});
