import { Rng } from '../util/rng.ts';
import { Raster, rgb } from './raster.ts';
import type { EnvGoal, Space } from './types.ts';
import type { Simulator } from './wrapper.ts';

/**
 * A goal-reaching benchmark in the spirit of LEXA's pose goals (orybkin/lexa-benchmark envs/dmc.py: goal images
 * rendered by setting the simulator to the goal state, success from the state, never a reward): a point in the
 * square [−1, 1]² moved by a 2-D action, p' = clip(p + STEP·a, −1, 1) (a kinematic point: velocity is the
 * action). The frame shows the arena (dark floor, four coloured corner markers so positions are readable) and
 * the point as a white disc of radius POINT_RADIUS·size. Evaluation goals: 8 positions on a ring of radius 0.6 (every 45°); success = the
 * point within SUCCESS_RADIUS of the goal. Reward: always 0 (the task has no reward of its own).
 */
export const STEP = 0.1;
export const SUCCESS_RADIUS = 0.15;
/**
 * The disc's radius as a fraction of the frame. LEXA's cosine goal reward (and anything image-similar the
 * encoder learns) can only rank states by distance as far as the images do: two frames are alike only where
 * their discs overlap. With the earlier 0.08 the discs of most state pairs do not overlap and the pixel cosine
 * of two frames correlated 0.30 with −(true distance) (random pairs at 32 px); the trained model's feature
 * cosines did no better (−0.04…0.09, scripts/lexa-goal-signal.ts). At 0.25 it is 0.99 — a large disc, as
 * LEXA's walker fills much of its frame. The success test is unchanged (the state, never seen as a reward).
 */
export const POINT_RADIUS = 0.25;
const RING = 0.6;
const NAMES = ['east', 'north-east', 'north', 'north-west', 'west', 'south-west', 'south', 'south-east'];

export const POINT_GOALS: { name: string; x: number; y: number }[] = NAMES.map((name, k) => ({
  name,
  x: RING * Math.cos((k * Math.PI) / 4),
  y: RING * Math.sin((k * Math.PI) / 4),
}));

export class PointGoals implements Simulator {
  readonly actionSpace: Space = { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] };
  readonly observationShape: [number, number, 3];
  readonly stateSize = 2;
  x = 0;
  y = 0;
  private readonly raster: Raster;

  constructor(readonly size: number) {
    this.observationShape = [size, size, 3];
    this.raster = new Raster(size, size, true);
  }

  reset(seed: number): void {
    const rng = new Rng(seed);
    this.x = rng.uniform(-0.9, 0.9);
    this.y = rng.uniform(-0.9, 0.9);
  }

  advance(action: Float64Array): { reward: number; terminated: boolean } {
    this.x = Math.min(1, Math.max(-1, this.x + STEP * action[0]));
    this.y = Math.min(1, Math.max(-1, this.y + STEP * action[1]));
    return { reward: 0, terminated: false };
  }

  /** [x, y] is the whole state of the kinematic point. */
  restore(st: Float32Array): void {
    this.x = st[0];
    this.y = st[1];
  }

  readonly restoreLeavesOut = null;

  writeState(out: Float32Array): void {
    out[0] = this.x;
    out[1] = this.y;
  }

  render(): Uint8Array {
    const R = this.raster;
    const s = this.size;
    R.clear(rgb(40, 44, 52));
    const m = s * 0.18;
    R.fillRect(0, 0, m, m, rgb(220, 60, 60));
    R.fillRect(s - m, 0, s, m, rgb(60, 200, 80));
    R.fillRect(0, s - m, m, s, rgb(70, 110, 230));
    R.fillRect(s - m, s - m, s, s, rgb(230, 200, 60));
    // y up: row 0 is y = +1. The disc stays inside the frame at the walls.
    const r = s * POINT_RADIUS;
    const px = r + ((this.x + 1) / 2) * (s - 2 * r);
    const py = r + ((1 - this.y) / 2) * (s - 2 * r);
    R.fillCircle(px, py, r, rgb(245, 245, 245));
    return R.resolve();
  }

  goalList(): EnvGoal[] {
    const saved = [this.x, this.y];
    const out = POINT_GOALS.map((g) => {
      this.x = g.x;
      this.y = g.y;
      return {
        name: g.name,
        image: this.render().slice(),
        success: (state: Float32Array) => Math.hypot(state[0] - g.x, state[1] - g.y) < SUCCESS_RADIUS,
      };
    });
    [this.x, this.y] = saved;
    return out;
  }
}
