import type { Episode } from '../data/episode.ts';
import type { Features } from '../models/family.ts';
import { getEnvSpec } from '../envs/registry.ts';
import type { EnvSpec, StateRegion } from '../envs/types.ts';

/**
 * What the state probe (state-probe.ts) reads its targets from: an episode's vector state, turned into the variables
 * a frame can show (angles as cos and sin, start-set variables also as their change since t = 0), and the part of
 * the state space an env says its frames show plainly.
 */

/** The vector state [T, d] of an episode, or null when it has none. */
export function episodeState(ep: Episode): Features | null {
  const s = ep.extra?.state;
  const T = ep.imageShape[0];
  if (!s || s.shape.length !== 2 || s.shape[0] !== T || !(s.data instanceof Float32Array)) return null;
  return { dim: s.shape[1], data: s.data };
}

/** The env's state names, its angles and the variables scored from the start, where the data names a built-in env. */
export function envStateSpec(
  env: string | null,
): Pick<EnvSpec, 'stateNames' | 'stateAngles' | 'stateFromStart' | 'stateRegion'> {
  if (!env) return {};
  try {
    const spec = getEnvSpec(env);
    return {
      stateNames: spec.stateNames,
      stateAngles: spec.stateAngles,
      stateFromStart: spec.stateFromStart,
      ...(spec.stateRegion ? { stateRegion: spec.stateRegion } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * The names of a state with `dim` columns: the env's, or `state[i]` when it names fewer (episodes recorded before
 * the env appended variables, car-racing's track pose, keep the first names' meaning: a longer name list is cut).
 */
export function stateColumnNames(names: string[] | undefined, dim: number): string[] {
  return names && names.length >= dim ? names.slice(0, dim) : Array.from({ length: dim }, (_, i) => `state[${i}]`);
}

/**
 * Which state variables the probe expands: `angles` (indices) are read as their cos and sin; `fromStart`
 * (indices) are also scored relative to the episode's first frame. A variable set by where an episode starts
 * (car-racing's hull x, y and heading: where the random track begins) is not in any frame — 99 % of x's variance
 * is the start (session 9) — while its change since the start can be integrated from what the frames show.
 */
export interface ProbeLayout {
  angles: ReadonlySet<number>;
  fromStart: ReadonlySet<number>;
}

const indicesOf = (names: string[], picked: string[] | undefined) =>
  new Set(names.flatMap((n, j) => (picked?.includes(n) ? [j] : [])));

/** The layout for an env's state names, its angles and the variables it scores from the episode's start. */
export function probeLayout(stateNames: string[], stateAngles?: string[], stateFromStart?: string[]): ProbeLayout {
  return { angles: indicesOf(stateNames, stateAngles), fromStart: indicesOf(stateNames, stateFromStart) };
}

/**
 * The probe's targets: the state with each angle replaced by its cos and sin (a linear read-out cannot fit an
 * angle itself: it jumps by 2π where it wraps, or — Box2D's hull angle — winds past ±π without bound, while the
 * picture of the angle is periodic), then each `fromStart` variable minus its value at t = 0 (an angle: cos and
 * sin of its change).
 */
export function probeTargets(s: Features, layout: ProbeLayout): Features {
  const { angles, fromStart } = layout;
  if (!angles.size && !fromStart.size) return s;
  const T = s.data.length / s.dim;
  const rel = [...fromStart].sort((a, b) => a - b);
  const dim = s.dim + angles.size + rel.reduce((n, j) => n + (angles.has(j) ? 2 : 1), 0);
  const data = new Float32Array(T * dim);
  for (let t = 0; t < T; t++) {
    let o = t * dim;
    for (let j = 0; j < s.dim; j++) {
      const v = s.data[t * s.dim + j];
      if (angles.has(j)) {
        data[o++] = Math.cos(v);
        data[o++] = Math.sin(v);
      } else data[o++] = v;
    }
    for (const j of rel) {
      const d = s.data[t * s.dim + j] - s.data[j];
      if (angles.has(j)) {
        data[o++] = Math.cos(d);
        data[o++] = Math.sin(d);
      } else data[o++] = d;
    }
  }
  return { dim, data };
}

/** The probe's target names, in probeTargets' order: `cos NAME`, `sin NAME` for an angle; `NAME from start`. */
export function probeTargetNames(names: string[], layout: ProbeLayout): string[] {
  const { angles, fromStart } = layout;
  const own = (n: string, j: number) => (angles.has(j) ? [`cos ${n}`, `sin ${n}`] : [n]);
  const rel = [...fromStart].sort((a, b) => a - b);
  return [...names.flatMap(own), ...rel.flatMap((j) => own(`${names[j]} from start`, j))];
}

/** An episode's probe targets [T, d'] (its state after probeTargets). */
export type Target = (ep: Episode) => Features;

/** Per-variable variance of the probe's targets over every row of `eps`. */
export function targetVariances(eps: Episode[], target: Target): number[] {
  let n = 0;
  let sum: Float64Array | null = null;
  let sq: Float64Array | null = null;
  for (const ep of eps) {
    const { dim, data } = target(ep);
    sum ??= new Float64Array(dim);
    sq ??= new Float64Array(dim);
    for (let i = 0; i < data.length; i++) {
      sum[i % dim] += data[i];
      sq[i % dim] += data[i] * data[i];
    }
    n += data.length / dim;
  }
  if (!sum || !sq || !n) return [];
  return Array.from(sum, (s, j) => Math.max(0, sq![j] / n - (s / n) ** 2));
}

/** Whether the state at time t of an episode lies in the region (StateRegion); one mask per episode. */
export type RegionMask = (ep: Episode) => Uint8Array;

/** The env's StateRegion as a mask per episode (|state[variable]| ≤ maxAbs at each step), null when the state lacks the variable. */
export function regionMask(region: StateRegion, stateNames: string[]): RegionMask | null {
  const j = stateNames.indexOf(region.variable);
  if (j < 0) return null;
  const masks = new Map<Episode, Uint8Array>();
  const mask: RegionMask = (ep) => {
    let m = masks.get(ep);
    if (!m) {
      const s = episodeState(ep)!;
      const T = s.data.length / s.dim;
      m = Uint8Array.from({ length: T }, (_, t) => (Math.abs(s.data[t * s.dim + j]) <= region.maxAbs ? 1 : 0));
      masks.set(ep, m);
    }
    return m;
  };
  return mask;
}
