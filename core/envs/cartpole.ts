import { Rng } from '../util/rng.ts';
import { Camera } from './camera.ts';
import { CameraScene } from './camera-scene.ts';
import type { Background, VideoFrames } from './background.ts';
import { rgb } from './raster.ts';
import { tolerance } from './rewards.ts';
import type { Simulator } from './wrapper.ts';
import type { Space } from './types.ts';

// Model constants from google-deepmind/dm_control · dm_control/suite/cartpole.xml.
const DT = 0.01; // <option timestep="0.01" integrator="RK4">
const CART_MASS = 1; // geom "cart" mass="1"
const POLE_MASS = 0.1; // pole geom mass=".1"
const POLE_LENGTH = 1; // capsule fromto="0 0 0 0 0 1": full length 1 m from the hinge
const POLE_RADIUS = 0.045; // capsule size
const POLE_COM = POLE_LENGTH / 2;
const GEAR = 10; // <motor gear="10" ctrlrange="-1 1">
const SLIDER_RANGE = 1.8; // slider range="-1.8 1.8"
const SLIDER_DAMPING = 5e-4; // slider damping="5e-4"
const HINGE_DAMPING = 2e-6; // pole joint damping="2e-6"
const GRAVITY = 9.81; // MuJoCo default
// solreflimit=".08 1" (timeconst, dampratio) with MuJoCo's default solimp dmax 0.95: the limit acts as a
// stiff spring-damper on the violation (our approximation of MuJoCo's soft constraint).
const LIMIT_K = 1 / (0.95 * 0.95 * 0.08 * 0.08);
const LIMIT_B = 2 / (0.95 * 0.08);

/**
 * Moment of inertia of the capsule pole about its centre of mass, perpendicular to its axis, as MuJoCo
 * computes it for a uniform-density capsule: cylinder part + two hemispheres.
 */
function capsuleInertia(mass: number, radius: number, length: number): number {
  const vCyl = Math.PI * radius * radius * length;
  const vSph = (4 / 3) * Math.PI * radius ** 3;
  const mCyl = (mass * vCyl) / (vCyl + vSph);
  const mSph = mass - mCyl;
  return (
    (mCyl * (3 * radius * radius + length * length)) / 12 +
    mSph * ((2 * radius * radius) / 5 + (length * length) / 4 + (3 * length * radius) / 8)
  );
}
const POLE_INERTIA = capsuleInertia(POLE_MASS, POLE_RADIUS, POLE_LENGTH);

/**
 * dm_control `Balance._get_reward` (smooth): upright · centered · small_control · small_velocity, with
 * upright = (cos θ + 1)/2, centered = (1 + tol(x, margin 2))/2, small_control = (4 + tol(u, margin 1,
 * value_at_margin 0, quadratic))/5, small_velocity = (1 + tol(θ̇, margin 5))/2.
 */
export function cartpoleReward(cartPos: number, poleCos: number, poleAngVel: number, control: number): number {
  const upright = (poleCos + 1) / 2;
  const centered = (1 + tolerance(cartPos, { margin: 2 })) / 2;
  const smallControl = (4 + tolerance(control, { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' })) / 5;
  const smallVelocity = (1 + tolerance(poleAngVel, { margin: 5 })) / 2;
  return upright * smallControl * smallVelocity * centered;
}

export interface CartpoleState {
  /** Cart position (m), slider joint qpos. */
  x: number;
  /** Pole angle (rad) about the hinge; 0 = upright, π = hanging down. */
  theta: number;
  xDot: number;
  thetaDot: number;
}

/**
 * Cart-pole swing-up after dm_control `cartpole.swingup`: the cart-pole equations of motion from the
 * Lagrangian of the xml's bodies, integrated with RK4 at dt 0.01 (MuJoCo's integrator setting for this
 * model), the control held over the step.
 */
export class CartpoleSwingup implements Simulator {
  readonly actionSpace: Space = { kind: 'box', shape: [1], low: [-1], high: [1] };
  readonly observationShape: [number, number, 3];
  /** position (x, cos θ, sin θ) + velocity (ẋ, θ̇), as dm_control's observation dict flattened. */
  readonly stateSize = 5;
  private s = new Float64Array(4);
  private k = [new Float64Array(4), new Float64Array(4), new Float64Array(4), new Float64Array(4)];
  private tmp = new Float64Array(4);
  private control = 0;
  private readonly scene: CameraScene;

  constructor(
    readonly size: number,
    background: Background = 'plain',
    clip: VideoFrames | null = null,
  ) {
    this.observationShape = [size, size, 3];
    // cartpole.xml camera "fixed": pos="0 -4 1" zaxis="0 -1 0" → x right, y up, looking along +y.
    const cam = new Camera(size, size, [0, -4, 1], [1, 0, 0], [0, 0, 1]);
    this.scene = new CameraScene(cam, size, -0.05, 4, background, clip);
    this.restoreLeavesOut = this.scene.restoreLeavesOut;
  }

  readonly restoreLeavesOut: string | null;

  reset(seed: number): void {
    const rng = new Rng(seed);
    this.scene.reset(seed);
    // Balance.initialize_episode with swing_up=True.
    this.s[0] = 0.01 * rng.normal();
    this.s[1] = Math.PI + 0.01 * rng.normal();
    this.s[2] = 0.01 * rng.normal();
    this.s[3] = 0.01 * rng.normal();
    this.control = 0;
  }

  /** Test/debug hook: sets the physical state (and the control the reward's small_control term sees). */
  setState(st: CartpoleState, control = 0): void {
    this.s[0] = st.x;
    this.s[1] = st.theta;
    this.s[2] = st.xDot;
    this.s[3] = st.thetaDot;
    this.control = control;
  }

  /** From (x, cos θ, sin θ, ẋ, θ̇): the whole physical state; the last control restarts at 0 as after a reset. */
  restore(st: Float32Array): void {
    this.setState({ x: st[0], theta: Math.atan2(st[2], st[1]), xDot: st[3], thetaDot: st[4] });
  }

  getState(): CartpoleState {
    return { x: this.s[0], theta: this.s[1], xDot: this.s[2], thetaDot: this.s[3] };
  }

  /** The smooth reward at the current state and last control. */
  reward(): number {
    return cartpoleReward(this.s[0], Math.cos(this.s[1]), this.s[3], this.control);
  }

  private deriv(s: Float64Array, force: number, out: Float64Array): void {
    const x = s[0],
      th = s[1],
      xd = s[2],
      thd = s[3];
    const sin = Math.sin(th),
      cos = Math.cos(th);
    const ml = POLE_MASS * POLE_COM;
    let f = force - SLIDER_DAMPING * xd;
    // Unilateral joint limit: pushes back only, only while violated.
    if (x > SLIDER_RANGE) f += Math.min(0, -(CART_MASS + POLE_MASS) * (LIMIT_K * (x - SLIDER_RANGE) + LIMIT_B * xd));
    else if (x < -SLIDER_RANGE)
      f += Math.max(0, -(CART_MASS + POLE_MASS) * (LIMIT_K * (x + SLIDER_RANGE) + LIMIT_B * xd));
    const a11 = CART_MASS + POLE_MASS,
      a12 = ml * cos,
      a22 = POLE_INERTIA + ml * POLE_COM;
    const b1 = f + ml * sin * thd * thd;
    const b2 = ml * GRAVITY * sin - HINGE_DAMPING * thd;
    const det = a11 * a22 - a12 * a12;
    out[0] = xd;
    out[1] = thd;
    out[2] = (b1 * a22 - a12 * b2) / det;
    out[3] = (a11 * b2 - a12 * b1) / det;
  }

  advance(action: Float64Array): { reward: number; terminated: boolean } {
    const u = action[0];
    this.control = u;
    const force = GEAR * u;
    const s = this.s,
      t = this.tmp,
      [k1, k2, k3, k4] = this.k;
    this.deriv(s, force, k1);
    for (let i = 0; i < 4; i++) t[i] = s[i] + 0.5 * DT * k1[i];
    this.deriv(t, force, k2);
    for (let i = 0; i < 4; i++) t[i] = s[i] + 0.5 * DT * k2[i];
    this.deriv(t, force, k3);
    for (let i = 0; i < 4; i++) t[i] = s[i] + DT * k3[i];
    this.deriv(t, force, k4);
    for (let i = 0; i < 4; i++) s[i] += (DT / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    this.scene.t++;
    return { reward: this.reward(), terminated: false };
  }

  writeState(out: Float32Array): void {
    out[0] = this.s[0];
    out[1] = Math.cos(this.s[1]);
    out[2] = Math.sin(this.s[1]);
    out[3] = this.s[2];
    out[4] = this.s[3];
  }

  info(): Record<string, unknown> {
    return { cartPosition: this.s[0], poleCos: Math.cos(this.s[1]) };
  }

  render(): Uint8Array {
    const { cam, p, q } = this.scene;
    const R = this.scene.begin();
    const x = this.s[0],
      sin = Math.sin(this.s[1]),
      cos = Math.cos(this.s[1]);
    const decoration = rgb(77, 128, 178); // materials.xml "decoration" .3 .5 .7
    const self = rgb(178, 128, 77); // materials.xml "self" .7 .5 .3
    // Far rail (y = +.07), then the pole (y = 0), then the near rail (y = −.07), then the cart box front.
    this.rail(0.07, decoration);
    cam.project(x, 0, 1, p);
    cam.project(x + POLE_LENGTH * sin, 0, 1 + POLE_LENGTH * cos, q);
    R.capsule(p[0], p[1], q[0], q[1], Math.max(1, (2 * POLE_RADIUS * cam.f) / p[2]), self);
    this.rail(-0.07, decoration);
    cam.project(x - 0.2, -0.15, 1.1, p);
    cam.project(x + 0.2, -0.15, 0.9, q);
    R.fillRect(p[0], p[1], q[0], q[1], rgb(160, 115, 70));
    return R.resolve();
  }

  private rail(y: number, color: number): void {
    const { cam, p, q, raster } = this.scene;
    cam.project(-2, y, 1, p);
    cam.project(2, y, 1, q);
    raster.line(p[0], p[1], q[0], q[1], Math.max(0.5, (0.04 * cam.f) / p[2]), color);
  }
}
