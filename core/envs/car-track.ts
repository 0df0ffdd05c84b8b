import type { Rng } from '../util/rng.ts';

/*
 * Random closed track of Gymnasium CarRacing (Farama-Foundation/Gymnasium · gymnasium/envs/box2d/
 * car_racing.py `_create_track`; identical in openai/gym car_racing.py): 12 checkpoints around a circle
 * with random angle/radius noise, a point that steers towards the next checkpoint at a bounded turn
 * rate, the second lap cut out as the closed loop, red-white kerbs on sustained hard turns.
 */
export const SCALE = 6.0; // track scale
export const TRACK_RAD = 900 / SCALE; // track is a heavily morphed circle of this radius
export const PLAYFIELD = 2000 / SCALE; // game over boundary
export const TRACK_DETAIL_STEP = 21 / SCALE;
export const TRACK_TURN_RATE = 0.31;
export const TRACK_WIDTH = 40 / SCALE;
export const BORDER = 8 / SCALE;
export const BORDER_MIN_COUNT = 4;
const CHECKPOINTS = 12;

/** One track point: angle around the centre, heading (beta), position. */
export interface TrackPoint {
  alpha: number;
  beta: number;
  x: number;
  y: number;
}

export interface Quad {
  /** 4 vertices, x then y. */
  xs: Float64Array;
  ys: Float64Array;
}

export interface Track {
  points: TrackPoint[];
  /** Road tiles, one per track point (tile i joins point i−1 and point i). */
  tiles: Quad[];
  /** Kerb quads with their colour (white on even tiles, red on odd). */
  kerbs: { quad: Quad; color: number }[];
}

function quad(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): Quad {
  return { xs: Float64Array.of(ax, bx, cx, dx), ys: Float64Array.of(ay, by, cy, dy) };
}

/** One attempt; null when the loop does not close (the caller retries with the same generator). */
function tryTrack(rng: Rng): Track | null {
  const checkpoints: [number, number, number][] = [];
  let startAlpha = 0;
  for (let c = 0; c < CHECKPOINTS; c++) {
    const noise = rng.uniform(0, (2 * Math.PI) / CHECKPOINTS);
    let alpha = (2 * Math.PI * c) / CHECKPOINTS + noise;
    let rad = rng.uniform(TRACK_RAD / 3, TRACK_RAD);
    if (c === 0) {
      alpha = 0;
      rad = 1.5 * TRACK_RAD;
    }
    if (c === CHECKPOINTS - 1) {
      alpha = (2 * Math.PI * c) / CHECKPOINTS;
      startAlpha = (2 * Math.PI * -0.5) / CHECKPOINTS;
      rad = 1.5 * TRACK_RAD;
    }
    checkpoints.push([alpha, rad * Math.cos(alpha), rad * Math.sin(alpha)]);
  }

  // Drive from checkpoint to checkpoint for several laps.
  let x = 1.5 * TRACK_RAD,
    y = 0,
    beta = 0;
  let destI = 0,
    laps = 0,
    noFreeze = 2500;
  let visitedOtherSide = false;
  const track: TrackPoint[] = [];
  for (;;) {
    let alpha = Math.atan2(y, x);
    if (visitedOtherSide && alpha > 0) {
      laps++;
      visitedOtherSide = false;
    }
    if (alpha < 0) {
      visitedOtherSide = true;
      alpha += 2 * Math.PI;
    }
    let destX = 0,
      destY = 0;
    for (;;) {
      let failed = true;
      for (;;) {
        const [dA, dX, dY] = checkpoints[destI % CHECKPOINTS];
        destX = dX;
        destY = dY;
        if (alpha <= dA) {
          failed = false;
          break;
        }
        destI++;
        if (destI % CHECKPOINTS === 0) break;
      }
      if (!failed) break;
      alpha -= 2 * Math.PI;
    }
    const r1x = Math.cos(beta),
      r1y = Math.sin(beta);
    const p1x = -r1y,
      p1y = r1x;
    // Destination vector projected on the heading's radial direction.
    let proj = r1x * (destX - x) + r1y * (destY - y);
    while (beta - alpha > 1.5 * Math.PI) beta -= 2 * Math.PI;
    while (beta - alpha < -1.5 * Math.PI) beta += 2 * Math.PI;
    const prevBeta = beta;
    proj *= SCALE;
    if (proj > 0.3) beta -= Math.min(TRACK_TURN_RATE, Math.abs(0.001 * proj));
    if (proj < -0.3) beta += Math.min(TRACK_TURN_RATE, Math.abs(0.001 * proj));
    x += p1x * TRACK_DETAIL_STEP;
    y += p1y * TRACK_DETAIL_STEP;
    track.push({ alpha, beta: prevBeta * 0.5 + beta * 0.5, x, y });
    if (laps > 4) break;
    if (--noFreeze === 0) break;
  }

  // Closed loop i1..i2: the last two passes through the start angle (first lap ignored).
  let i1 = -1,
    i2 = -1;
  let i = track.length;
  for (;;) {
    i--;
    if (i === 0) return null;
    const pass = track[i].alpha > startAlpha && track[i - 1].alpha <= startAlpha;
    if (pass && i2 === -1) i2 = i;
    else if (pass && i1 === -1) {
      i1 = i;
      break;
    }
  }
  const pts = track.slice(i1, i2 - 1);
  if (pts.length < BORDER_MIN_COUNT + 2) return null;
  const first = pts[0],
    last = pts[pts.length - 1];
  // Perpendicular jump needed to glue head and tail together.
  const glue = Math.sqrt(
    (Math.cos(first.beta) * (first.x - last.x)) ** 2 + (Math.sin(first.beta) * (first.y - last.y)) ** 2,
  );
  if (glue > TRACK_DETAIL_STEP) return null;

  const n = pts.length;
  const at = (k: number) => pts[((k % n) + n) % n];
  // Kerbs where the heading turned the same way by more than 0.2·turn rate for BORDER_MIN_COUNT steps.
  const border = new Array<boolean>(n).fill(false);
  for (let k = 0; k < n; k++) {
    let good = true,
      oneSide = 0;
    for (let neg = 0; neg < BORDER_MIN_COUNT; neg++) {
      const d = at(k - neg).beta - at(k - neg - 1).beta;
      good &&= Math.abs(d) > TRACK_TURN_RATE * 0.2;
      oneSide += Math.sign(d);
    }
    border[k] = good && Math.abs(oneSide) === BORDER_MIN_COUNT;
  }
  // Widen each kerb backwards, in place as the anchor does (so wrap-around at index 0 propagates again).
  const marked = border;
  for (let k = 0; k < n; k++) {
    if (!marked[k]) continue;
    for (let neg = 0; neg < BORDER_MIN_COUNT; neg++) marked[(((k - neg) % n) + n) % n] = true;
  }

  const tiles: Quad[] = [];
  const kerbs: { quad: Quad; color: number }[] = [];
  const W = TRACK_WIDTH;
  for (let k = 0; k < n; k++) {
    const p1 = pts[k],
      p2 = at(k - 1);
    const c1 = Math.cos(p1.beta),
      s1 = Math.sin(p1.beta),
      c2 = Math.cos(p2.beta),
      s2 = Math.sin(p2.beta);
    tiles.push(
      quad(
        p1.x - W * c1,
        p1.y - W * s1,
        p1.x + W * c1,
        p1.y + W * s1,
        p2.x + W * c2,
        p2.y + W * s2,
        p2.x - W * c2,
        p2.y - W * s2,
      ),
    );
    if (marked[k]) {
      const side = Math.sign(p2.beta - p1.beta);
      const a = side * W,
        b = side * (W + BORDER);
      kerbs.push({
        quad: quad(
          p1.x + a * c1,
          p1.y + a * s1,
          p1.x + b * c1,
          p1.y + b * s1,
          p2.x + b * c2,
          p2.y + b * s2,
          p2.x + a * c2,
          p2.y + a * s2,
        ),
        color: k % 2 === 0 ? 0xffffff : 0xff0000,
      });
    }
  }
  return { points: pts, tiles, kerbs };
}

/** Generates a track, retrying (with the same generator, as the anchor) until one closes. */
export function createTrack(rng: Rng): Track {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const t = tryTrack(rng);
    if (t) return t;
  }
  throw new Error('car-racing: could not generate a closed track in 1000 attempts');
}
