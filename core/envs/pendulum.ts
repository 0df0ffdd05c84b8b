import { Rng } from '../util/rng.ts';
import { Camera } from './camera.ts';
import { CameraScene } from './camera-scene.ts';
import type { Background, VideoFrames } from './background.ts';
import { rgb } from './raster.ts';
import { tolerance } from './rewards.ts';
import type { Simulator } from './wrapper.ts';
import type { Space } from './types.ts';

// Model constants from google-deepmind/dm_control · dm_control/suite/pendulum.xml.
const DT = 0.02; // <option timestep="0.02"> (MuJoCo's default Euler integrator there; we use RK4)
const MASS = 1; // geom "mass" sphere mass="1"; pole and base geoms have mass="0"
const ARM = 0.5; // sphere at pos="0 0 0.5"
const BALL_RADIUS = 0.05; // sphere size
const INERTIA = MASS * ARM * ARM + (2 / 5) * MASS * BALL_RADIUS * BALL_RADIUS; // about the hinge
const DAMPING = 0.1; // hinge damping="0.1"
const GEAR = 1; // <motor gear="1" ctrlrange="-1 1">
const GRAVITY = 9.81;
const PIVOT_Z = 0.6; // body "pole" pos="0 0 .6"
// dm_control/suite/pendulum.py: _ANGLE_BOUND = 8 degrees, _COSINE_BOUND = cos(8°).
export const PENDULUM_COSINE_BOUND = Math.cos((8 * Math.PI) / 180);

/** dm_control pendulum `SwingUp.get_reward`: tolerance(cos θ, bounds=(cos 8°, 1)), margin 0 → 1 or 0. */
export function pendulumReward(poleCos: number): number {
  return tolerance(poleCos, { bounds: [PENDULUM_COSINE_BOUND, 1] });
}

export interface PendulumState {
  /** Hinge angle (rad); 0 = upright. */
  theta: number;
  thetaDot: number;
}

/** Pendulum swing-up after dm_control `pendulum.swingup`, RK4 at dt 0.02. */
export class PendulumSwingup implements Simulator {
  readonly actionSpace: Space = { kind: 'box', shape: [1], low: [-1], high: [1] };
  readonly observationShape: [number, number, 3];
  /** orientation (cos θ, sin θ) + angular velocity, as dm_control's observation dict flattened. */
  readonly stateSize = 3;
  private th = 0;
  private thd = 0;
  private readonly scene: CameraScene;

  constructor(
    readonly size: number,
    background: Background = 'plain',
    clip: VideoFrames | null = null,
  ) {
    this.observationShape = [size, size, 3];
    // pendulum.xml camera "fixed": pos="0 -1.5 2" xyaxes="1 0 0 0 1 1" (looks forward and 45° down).
    const h = Math.SQRT1_2;
    const cam = new Camera(size, size, [0, -1.5, 2], [1, 0, 0], [0, h, h]);
    this.scene = new CameraScene(cam, size, 0, 2.5, background, clip);
    this.restoreLeavesOut = this.scene.restoreLeavesOut;
  }

  readonly restoreLeavesOut: string | null;

  reset(seed: number): void {
    const rng = new Rng(seed);
    this.scene.reset(seed);
    // SwingUp.initialize_episode: hinge angle uniform in [−π, π); velocity stays 0.
    this.th = rng.uniform(-Math.PI, Math.PI);
    this.thd = 0;
  }

  /** Test/debug hook: sets the hinge angle and angular velocity. */
  setState(st: PendulumState): void {
    this.th = st.theta;
    this.thd = st.thetaDot;
  }

  /** From (cos θ, sin θ, θ̇): the whole physical state. */
  restore(st: Float32Array): void {
    this.setState({ theta: Math.atan2(st[1], st[0]), thetaDot: st[2] });
  }

  getState(): PendulumState {
    return { theta: this.th, thetaDot: this.thd };
  }

  private acc(th: number, thd: number, torque: number): number {
    return (MASS * GRAVITY * ARM * Math.sin(th) - DAMPING * thd + torque) / INERTIA;
  }

  advance(action: Float64Array): { reward: number; terminated: boolean } {
    const u = GEAR * action[0];
    const th = this.th,
      w = this.thd;
    const a1 = this.acc(th, w, u);
    const w2 = w + 0.5 * DT * a1,
      a2 = this.acc(th + 0.5 * DT * w, w2, u);
    const w3 = w + 0.5 * DT * a2,
      a3 = this.acc(th + 0.5 * DT * w2, w3, u);
    const w4 = w + DT * a3,
      a4 = this.acc(th + DT * w3, w4, u);
    this.th = th + (DT / 6) * (w + 2 * w2 + 2 * w3 + w4);
    this.thd = w + (DT / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
    this.scene.t++;
    return { reward: pendulumReward(Math.cos(this.th)), terminated: false };
  }

  writeState(out: Float32Array): void {
    out[0] = Math.cos(this.th);
    out[1] = Math.sin(this.th);
    out[2] = this.thd;
  }

  render(): Uint8Array {
    const { cam, p, q } = this.scene;
    const R = this.scene.begin();
    const sin = Math.sin(this.th),
      cos = Math.cos(this.th);
    cam.project(0, 0, PIVOT_Z, p);
    cam.project(ARM * sin, 0, PIVOT_Z + ARM * cos, q);
    R.fillCircle(p[0], p[1], (0.021 * cam.f) / p[2] + 0.5, rgb(77, 128, 178)); // base, "decoration"
    R.capsule(p[0], p[1], q[0], q[1], Math.max(1, (0.04 * cam.f) / p[2]), rgb(178, 128, 77)); // "self"
    R.fillCircle(q[0], q[1], (BALL_RADIUS * cam.f) / q[2], rgb(178, 102, 51)); // "effector" .7 .4 .2
    return R.resolve();
  }
}
