import { Polygon, RevoluteJoint, Vec2, type Body, type World } from 'planck';

/*
 * Top-down car after Gymnasium / gym `car_dynamics.py` (Oleg Klimov): a hull body with four polygon
 * fixtures and four wheel bodies on revolute joints (front wheels steered by the joint motor), rear-wheel
 * drive, each wheel's omega integrated from engine power and brake, and tyre forces from the difference
 * between the wheel's rolling speed and its ground velocity, capped by a friction limit that is lower on
 * grass. Units and constants as the anchor (SIZE = 0.02 scales the drawing coordinates to metres).
 */
const SIZE = 0.02;
const ENGINE_POWER = 100000000 * SIZE * SIZE;
const WHEEL_MOMENT_OF_INERTIA = 4000 * SIZE * SIZE;
const FRICTION_LIMIT = 1000000 * SIZE * SIZE; // friction ~= mass ~= size^2
const WHEEL_R = 27;
const WHEEL_W = 14;
const WHEELPOS: [number, number][] = [
  [-55, 80],
  [55, 80],
  [-55, -82],
  [55, -82],
];
export const HULL_POLYS: [number, number][][] = [
  [
    [-60, 130],
    [60, 130],
    [60, 110],
    [-60, 110],
  ],
  [
    [-15, 120],
    [15, 120],
    [20, 20],
    [-20, 20],
  ],
  [
    [25, 20],
    [50, -10],
    [50, -40],
    [20, -90],
    [-20, -90],
    [-50, -40],
    [-50, -10],
    [-25, 20],
  ],
  [
    [-50, -120],
    [50, -120],
    [50, -90],
    [-50, -90],
  ],
];
export const WHEEL_POLY: [number, number][] = [
  [-WHEEL_W, WHEEL_R],
  [WHEEL_W, WHEEL_R],
  [WHEEL_W, -WHEEL_R],
  [-WHEEL_W, -WHEEL_R],
];
export const CAR_SIZE = SIZE;
export const CAR_WHEEL_R = WHEEL_R;
export const CAR_WHEEL_W = WHEEL_W;

export interface Wheel {
  body: Body;
  joint: RevoluteJoint;
  gas: number;
  brake: number;
  steer: number;
  /** Wheel rotation angle (for the drawn tread). */
  phase: number;
  /** Angular velocity. */
  omega: number;
  /** Road tiles currently touched (contact begin/end), by tile index. */
  tiles: Set<number>;
}

export class Car {
  readonly hull: Body;
  readonly wheels: Wheel[] = [];

  constructor(
    readonly world: World,
    angle: number,
    x: number,
    y: number,
  ) {
    this.hull = world.createBody({ type: 'dynamic', position: new Vec2(x, y), angle });
    for (const poly of HULL_POLYS) {
      this.hull.createFixture({
        shape: new Polygon(poly.map(([px, py]) => new Vec2(px * SIZE, py * SIZE))),
        density: 1.0,
      });
    }
    this.hull.setUserData({ kind: 'hull' });
    WHEELPOS.forEach(([wx, wy], index) => {
      const body = world.createBody({ type: 'dynamic', position: new Vec2(x + wx * SIZE, y + wy * SIZE), angle });
      body.createFixture({
        shape: new Polygon(WHEEL_POLY.map(([px, py]) => new Vec2(px * SIZE, py * SIZE))),
        density: 0.1,
        filterCategoryBits: 0x0020,
        filterMaskBits: 0x001,
        restitution: 0.0,
      });
      const joint = world.createJoint(
        new RevoluteJoint({
          bodyA: this.hull,
          bodyB: body,
          localAnchorA: new Vec2(wx * SIZE, wy * SIZE),
          localAnchorB: new Vec2(0, 0),
          enableMotor: true,
          enableLimit: true,
          maxMotorTorque: 180 * 900 * SIZE * SIZE,
          motorSpeed: 0,
          lowerAngle: -0.4,
          upperAngle: 0.4,
        }),
      )!;
      const wheel: Wheel = { body, joint, gas: 0, brake: 0, steer: 0, phase: 0, omega: 0, tiles: new Set() };
      body.setUserData({ kind: 'wheel', index });
      this.wheels.push(wheel);
    });
  }

  /** Rear-wheel drive; the pedal rises by at most 0.1 per step but is released immediately. */
  gas(g: number): void {
    g = Math.min(1, Math.max(0, g));
    for (const w of this.wheels.slice(2, 4)) {
      let diff = g - w.gas;
      if (diff > 0.1) diff = 0.1;
      w.gas += diff;
    }
  }

  /** 0..1; 0.9 and above block the wheels. */
  brake(b: number): void {
    for (const w of this.wheels) w.brake = b;
  }

  /** Target steering position of the front wheels (the joint motor turns them at a bounded rate). */
  steer(s: number): void {
    this.wheels[0].steer = s;
    this.wheels[1].steer = s;
  }

  /** Applies motor speeds and tyre forces for one step; `onRoad(tile)` gives a tile's friction factor. */
  step(dt: number, roadFriction: (tile: number) => number): void {
    for (const w of this.wheels) {
      const angle = w.joint.getJointAngle();
      const dir = Math.sign(w.steer - angle);
      const val = Math.abs(w.steer - angle);
      w.joint.setMotorSpeed(dir * Math.min(50.0 * val, 3.0));

      let frictionLimit = FRICTION_LIMIT * 0.6; // grass friction if no tile
      for (const t of w.tiles) frictionLimit = Math.max(frictionLimit, FRICTION_LIMIT * roadFriction(t));

      const forw = w.body.getWorldVector(new Vec2(0, 1));
      const side = w.body.getWorldVector(new Vec2(1, 0));
      const v = w.body.getLinearVelocity();
      const vf = forw.x * v.x + forw.y * v.y; // forward speed
      const vs = side.x * v.x + side.y * v.y; // side speed

      // Power W = I·ω·dω/dt → dω = dt·W/I/ω (+5 so we never divide by zero).
      w.omega += (dt * ENGINE_POWER * w.gas) / WHEEL_MOMENT_OF_INERTIA / (Math.abs(w.omega) + 5.0);
      if (w.brake >= 0.9) {
        w.omega = 0;
      } else if (w.brake > 0) {
        const BRAKE_FORCE = 15; // radians per second
        const bdir = -Math.sign(w.omega);
        let bval = BRAKE_FORCE * w.brake;
        if (Math.abs(bval) > Math.abs(w.omega)) bval = Math.abs(w.omega); // low speed → stop
        w.omega += bdir * bval;
      }
      w.phase += w.omega * dt;

      const vr = w.omega * WHEEL_R * SIZE; // rolling speed of the wheel
      // Force along the speed difference; the anchor's damping coefficient cuts oscillations.
      let fForce = (-vf + vr) * 205000 * SIZE * SIZE;
      let pForce = -vs * 205000 * SIZE * SIZE;
      const force = Math.sqrt(fForce * fForce + pForce * pForce);
      if (force > frictionLimit) {
        fForce = (fForce / force) * frictionLimit;
        pForce = (pForce / force) * frictionLimit;
      }
      w.omega -= (dt * fForce * WHEEL_R * SIZE) / WHEEL_MOMENT_OF_INERTIA;
      w.body.applyForceToCenter(new Vec2(pForce * side.x + fForce * forw.x, pForce * side.y + fForce * forw.y), true);
    }
  }

  /** Test/debug hook: places the car at rest at (x, y) heading `angle`, wheels straight. */
  teleport(x: number, y: number, angle: number): void {
    const c = Math.cos(angle),
      s = Math.sin(angle);
    this.hull.setTransform(new Vec2(x, y), angle);
    this.hull.setLinearVelocity(new Vec2(0, 0));
    this.hull.setAngularVelocity(0);
    this.wheels.forEach((w, i) => {
      const [wx, wy] = WHEELPOS[i];
      w.body.setTransform(new Vec2(x + (c * wx - s * wy) * SIZE, y + (s * wx + c * wy) * SIZE), angle);
      w.body.setLinearVelocity(new Vec2(0, 0));
      w.body.setAngularVelocity(0);
      w.omega = 0;
      w.gas = 0;
    });
  }
}
