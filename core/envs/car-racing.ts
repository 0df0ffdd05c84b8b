import { Polygon, Vec2, World, type Contact } from 'planck';
import { Rng } from '../util/rng.ts';
import { Car, CAR_SIZE, CAR_WHEEL_R, CAR_WHEEL_W, HULL_POLYS, WHEEL_POLY } from './car-dynamics.ts';
import {
  createTrack,
  PLAYFIELD,
  SCALE,
  TRACK_DETAIL_STEP,
  TRACK_WIDTH,
  type Track,
  type TrackPoint,
} from './car-track.ts';
import { Raster, rgb } from './raster.ts';
import type { Simulator } from './wrapper.ts';
import type { Space } from './types.ts';

// Farama-Foundation/Gymnasium · gymnasium/envs/box2d/car_racing.py
const FPS = 50;
const ZOOM = 2.7; // camera zoom
const WINDOW_W = 1000; // the anchor renders a 1000×800 window, then scales it to the 96×96 state
const WINDOW_H = 800;
/** Rows of the 96×96 state above the indicator bar (World Models crops [0:84] before resizing to 64×64). */
const VISIBLE_H = (WINDOW_H * 84) / 96;
const GRASS_DIM = PLAYFIELD / 20.0;
const ROAD = rgb(102, 102, 102);
const BG = rgb(102, 204, 102);
const GRASS = rgb(102, 230, 102);
const HULL_COLOR = rgb(204, 0, 0); // (0.8, 0, 0)
const WHEEL_COLOR = 0x000000;
const WHEEL_WHITE = rgb(77, 77, 77); // (0.3, 0.3, 0.3)

type UserData = { kind: 'tile'; index: number } | { kind: 'wheel'; index: number } | { kind: 'hull' };

/**
 * The pose relative to the track at the nearest track point: the signed lateral offset from the centre line along
 * the point's normal (cos β, sin β) — the anchor lays a tile's edges at ±TRACK_WIDTH along it, and a hull at angle β
 * faces (−sin β, cos β), along the track — and the heading minus the track's β (unwrapped; read as cos/sin). The view follows and turns with the car, so this
 * — not the absolute pose — is what a frame shows of where the car is.
 */
export function trackPose(
  points: readonly TrackPoint[],
  x: number,
  y: number,
  angle: number,
): { offset: number; heading: number } {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < points.length; i++) {
    const d = (points[i].x - x) ** 2 + (points[i].y - y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  const q = points[best];
  return { offset: (x - q.x) * Math.cos(q.beta) + (y - q.y) * Math.sin(q.beta), heading: angle - q.beta };
}

/**
 * CarRacing after Gymnasium (v0 reward semantics, as World Models used): reward −0.1 per frame and
 * +1000/N for each newly visited of the N tiles; −100 and terminated when the hull leaves the playfield;
 * terminated when every tile was visited. The time limit (1000) is the wrapper's.
 */
export class CarRacing implements Simulator {
  readonly actionSpace: Space = { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] };
  readonly observationShape: [number, number, 3];
  /**
   * Hull x, y, angle, velocity x, y, angular velocity, 4 wheel omegas, front steering angle; then the hull's pose
   * relative to the nearest track point: signed lateral offset from the centre line and heading minus the track's.
   */
  readonly stateSize = 13;
  track!: Track;
  car!: Car;
  private world!: World;
  /** Per tile: visited, and its current colour (a touched tile turns plain road grey, as the anchor). */
  private visited!: Uint8Array;
  private tileColor!: Int32Array;
  private tileCx!: Float64Array;
  private tileCy!: Float64Array;
  visitedCount = 0;
  private total = 0; // the anchor's `self.reward` accumulator
  private prevTotal = 0;
  private t = 0;
  private readonly raster: Raster;
  private readonly xs = new Float64Array(8);
  private readonly ys = new Float64Array(8);

  constructor(readonly size: number) {
    this.observationShape = [size, size, 3];
    this.raster = new Raster(size, size, true);
  }

  reset(seed: number): void {
    const rng = new Rng(seed);
    this.track = createTrack(rng);
    const n = this.track.tiles.length;
    this.world = new World({ gravity: new Vec2(0, 0) });
    this.world.on('begin-contact', (c: Contact) => this.contact(c, true));
    this.world.on('end-contact', (c: Contact) => this.contact(c, false));
    this.visited = new Uint8Array(n);
    this.tileColor = new Int32Array(n);
    this.tileCx = new Float64Array(n);
    this.tileCy = new Float64Array(n);
    this.track.tiles.forEach((q, i) => {
      const body = this.world.createBody({ type: 'static' });
      body.createFixture({ shape: new Polygon([0, 1, 2, 3].map((k) => new Vec2(q.xs[k], q.ys[k]))), isSensor: true });
      body.setUserData({ kind: 'tile', index: i } satisfies UserData);
      const c = Math.trunc(0.01 * (i % 3) * 255);
      this.tileColor[i] = rgb(102 + c, 102 + c, 102 + c);
      this.tileCx[i] = (q.xs[0] + q.xs[1] + q.xs[2] + q.xs[3]) / 4;
      this.tileCy[i] = (q.ys[0] + q.ys[1] + q.ys[2] + q.ys[3]) / 4;
    });
    const start = this.track.points[0];
    this.car = new Car(this.world, start.beta, start.x, start.y);
    this.visitedCount = 0;
    this.total = 0;
    this.prevTotal = 0;
    this.t = 0;
    // The anchor's reset() ends with step(None): one physics frame without action and without reward.
    this.physics();
  }

  private contact(c: Contact, begin: boolean): void {
    const a = c.getFixtureA().getBody().getUserData() as UserData | null;
    const b = c.getFixtureB().getBody().getUserData() as UserData | null;
    let tile: number | null = null;
    let other: UserData | null = null;
    if (a?.kind === 'tile') {
      tile = a.index;
      other = b;
    }
    if (b?.kind === 'tile') {
      tile = b.index;
      other = a;
    }
    if (tile === null) return;
    this.tileColor[tile] = ROAD;
    if (other?.kind !== 'wheel') return;
    const wheel = this.car.wheels[other.index];
    if (begin) {
      wheel.tiles.add(tile);
      if (!this.visited[tile]) {
        this.visited[tile] = 1;
        this.total += 1000.0 / this.track.tiles.length;
        this.visitedCount++;
      }
    } else {
      wheel.tiles.delete(tile);
    }
  }

  private physics(): void {
    this.car.step(1.0 / FPS, () => 1.0);
    this.world.step(1.0 / FPS, 6 * 30, 2 * 30);
    this.t += 1.0 / FPS;
  }

  advance(action: Float64Array): { reward: number; terminated: boolean } {
    this.car.steer(-action[0]);
    this.car.gas(action[1]);
    this.car.brake(action[2]);
    this.physics();
    this.total -= 0.1;
    let reward = this.total - this.prevTotal;
    this.prevTotal = this.total;
    let terminated = this.visitedCount === this.track.tiles.length;
    const p = this.car.hull.getPosition();
    if (Math.abs(p.x) > PLAYFIELD || Math.abs(p.y) > PLAYFIELD) {
      terminated = true;
      reward = -100;
    }
    return { reward, terminated };
  }

  /**
   * Test/debug hook: places the car at rest at (x, y) with heading `angle`. Box2D finds the new tile overlaps
   * at the end of the next step and reports them the step after (the same one-frame delay as when driving).
   */
  teleport(x: number, y: number, angle: number): void {
    this.car.teleport(x, y, angle);
  }

  writeState(out: Float32Array): void {
    const h = this.car.hull,
      p = h.getPosition(),
      v = h.getLinearVelocity();
    out[0] = p.x;
    out[1] = p.y;
    out[2] = h.getAngle();
    out[3] = v.x;
    out[4] = v.y;
    out[5] = h.getAngularVelocity();
    for (let i = 0; i < 4; i++) out[6 + i] = this.car.wheels[i].omega;
    out[10] = this.car.wheels[0].joint.getJointAngle();
    const rel = trackPose(this.track.points, p.x, p.y, out[2]);
    out[11] = rel.offset;
    out[12] = rel.heading;
  }

  info(): Record<string, unknown> {
    return { tilesVisited: this.visitedCount, tiles: this.track.tiles.length };
  }

  render(): Uint8Array {
    const R = this.raster,
      S = this.size,
      xs = this.xs,
      ys = this.ys;
    const zoom = 0.1 * SCALE * Math.max(1 - this.t, 0) + ZOOM * SCALE * Math.min(this.t, 1);
    const pos = this.car.hull.getPosition();
    const cx = pos.x,
      cy = pos.y;
    // View rotates with the car: world → screen rotation by −hull angle, car at the window's (W/2, H/4).
    const ang = -this.car.hull.getAngle();
    const ca = Math.cos(ang),
      sa = Math.sin(ang);
    const kx = (zoom * S) / WINDOW_W,
      ky = (zoom * S) / VISIBLE_H;
    const ox = S / 2,
      oy = (S * (WINDOW_H - WINDOW_H / 4)) / VISIBLE_H;
    // World radius that can be visible (farthest window corner from the car), for culling.
    const reach = Math.hypot(WINDOW_W / 2, (3 * WINDOW_H) / 4) / zoom;
    const toScreen = (n: number, wx: ArrayLike<number>, wy: ArrayLike<number>) => {
      for (let k = 0; k < n; k++) {
        const dx = wx[k] - cx,
          dy = wy[k] - cy;
        xs[k] = ox + kx * (ca * dx - sa * dy);
        ys[k] = oy - ky * (sa * dx + ca * dy);
      }
    };
    R.clear(0);
    // Playfield background.
    const P = PLAYFIELD;
    toScreen(4, [P, P, -P, -P], [P, -P, -P, P]);
    R.fillConvex(xs, ys, 4, BG);
    // Grass checks.
    const gx = this.gx,
      gy = this.gy;
    for (let ix = -20; ix < 20; ix += 2) {
      const x0 = GRASS_DIM * ix;
      if (Math.abs(x0 + GRASS_DIM / 2 - cx) > reach + GRASS_DIM) continue;
      for (let iy = -20; iy < 20; iy += 2) {
        const y0 = GRASS_DIM * iy;
        if (Math.abs(y0 + GRASS_DIM / 2 - cy) > reach + GRASS_DIM) continue;
        gx[0] = x0 + GRASS_DIM;
        gy[0] = y0;
        gx[1] = x0;
        gy[1] = y0;
        gx[2] = x0;
        gy[2] = y0 + GRASS_DIM;
        gx[3] = x0 + GRASS_DIM;
        gy[3] = y0 + GRASS_DIM;
        toScreen(4, gx, gy);
        R.fillConvex(xs, ys, 4, GRASS);
      }
    }
    // Road tiles, then kerbs (the anchor's road_poly order: each tile followed by its kerb).
    const tiles = this.track.tiles,
      margin = reach + TRACK_WIDTH + TRACK_DETAIL_STEP;
    for (let i = 0; i < tiles.length; i++) {
      if (Math.abs(this.tileCx[i] - cx) > margin || Math.abs(this.tileCy[i] - cy) > margin) continue;
      toScreen(4, tiles[i].xs, tiles[i].ys);
      R.fillConvex(xs, ys, 4, this.tileColor[i]);
    }
    for (const k of this.track.kerbs) {
      const q = k.quad;
      if (Math.abs(q.xs[0] - cx) > margin || Math.abs(q.ys[0] - cy) > margin) continue;
      toScreen(4, q.xs, q.ys);
      R.fillConvex(xs, ys, 4, k.color);
    }
    this.drawCar(toScreen);
    return R.resolve();
  }
  private gx = new Float64Array(4);
  private gy = new Float64Array(4);
  private lx = new Float64Array(8);
  private ly = new Float64Array(8);

  /** Wheels (with the tread stripe from their phase) then the hull, as the anchor's drawlist. */
  private drawCar(toScreen: (n: number, wx: ArrayLike<number>, wy: ArrayLike<number>) => void): void {
    const R = this.raster,
      lx = this.lx,
      ly = this.ly;
    const place = (bx: number, by: number, c: number, s: number, poly: [number, number][]) => {
      for (let k = 0; k < poly.length; k++) {
        const px = poly[k][0] * CAR_SIZE,
          py = poly[k][1] * CAR_SIZE;
        lx[k] = bx + c * px - s * py;
        ly[k] = by + s * px + c * py;
      }
      toScreen(poly.length, lx, ly);
    };
    for (const w of this.car.wheels) {
      const p = w.body.getPosition(),
        a = w.body.getAngle(),
        c = Math.cos(a),
        s = Math.sin(a);
      place(p.x, p.y, c, s, WHEEL_POLY);
      R.fillConvex(this.xs, this.ys, 4, WHEEL_COLOR);
      const a1 = w.phase,
        a2 = w.phase + 1.2;
      const s1 = Math.sin(a1),
        s2 = Math.sin(a2);
      let c1 = Math.cos(a1),
        c2 = Math.cos(a2);
      if (s1 > 0 && s2 > 0) continue;
      if (s1 > 0) c1 = Math.sign(c1);
      if (s2 > 0) c2 = Math.sign(c2);
      const stripe: [number, number][] = [
        [-CAR_WHEEL_W, CAR_WHEEL_R * c1],
        [CAR_WHEEL_W, CAR_WHEEL_R * c1],
        [CAR_WHEEL_W, CAR_WHEEL_R * c2],
        [-CAR_WHEEL_W, CAR_WHEEL_R * c2],
      ];
      place(p.x, p.y, c, s, stripe);
      R.fillConvex(this.xs, this.ys, 4, WHEEL_WHITE);
    }
    const h = this.car.hull,
      p = h.getPosition(),
      a = h.getAngle(),
      c = Math.cos(a),
      s = Math.sin(a);
    for (const poly of HULL_POLYS) {
      place(p.x, p.y, c, s, poly);
      R.fillConvex(this.xs, this.ys, poly.length, HULL_COLOR);
    }
  }
}
