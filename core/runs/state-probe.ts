import type { Episode } from '../data/episode.ts';
import type { EvalMetric, Features, LoadedModel, OpenLoopFilter, OpenLoopOptions } from '../models/family.ts';
import { latentOpenLoop } from '../models/latent-openloop.ts';
import { fitRidge, predictRidge, r2Score, type RidgeProbe } from '../util/ridge.ts';
import { r2Interval, r2Sums } from '../util/r2-interval.ts';
import { metricWithBaselines } from '../models/eval-metric.ts';
import { DEFAULT_OPENLOOP_FILTER, openLoopStarts, openLoopWindow } from './openloop-measures.ts';

/**
 * The state probe (issue 11): does the model's state linearly encode the env's true low-dimensional state? A
 * ridge probe is fitted on the training episodes from the model's filtered features to the true state
 * (`state` key of collected episodes), then scored as R² per state variable on held-out episodes: on the
 * filtered features (@0) and on the features after PROBE_STEPS open-loop steps (@k, same probe, target the true
 * state k steps after the last observed frame). Baseline: the same procedure on a freshly initialised model of
 * the same config (random features of the same size also carry some of the state).
 */
export const PROBE_STEPS = 10; // the open-loop horizon issue 11 sets its targets at
/**
 * Rows used to fit (strided over the training episodes when there are more; the fit costs rows × features²). 3,000
 * (before session 12) under-fitted: a World Models checkpoint on 272 car-racing episodes (160 features) read the
 * track offset at R² 0.21 on 3,000 rows and 0.58 on 20,000, and its whole probe took 451 s and 441 s (README).
 */
export const MAX_FIT_ROWS = 20_000;
/**
 * Ridge penalty λ = α·N, α chosen per target variable on held-back training episodes (features are standardised):
 * one α for all would let a variable no feature predicts (car-racing's absolute x) pick a large α that shrinks the
 * read-out of every other variable.
 */
const ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1, 1];

/** The vector state [T, d] of an episode, or null when it has none. */
export function episodeState(ep: Episode): Features | null {
  const s = ep.extra?.state;
  const T = ep.imageShape[0];
  if (!s || s.shape.length !== 2 || s.shape[0] !== T || !(s.data instanceof Float32Array)) return null;
  return { dim: s.shape[1], data: s.data };
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

interface Rows {
  x: number[];
  y: number[];
  n: number;
}

function addRows(rows: Rows, f: Features, s: Features, idx: Iterable<[number, number]>): void {
  for (const [fi, si] of idx) {
    for (let j = 0; j < f.dim; j++) rows.x.push(f.data[fi * f.dim + j]);
    for (let j = 0; j < s.dim; j++) rows.y.push(s.data[si * s.dim + j]);
    rows.n++;
  }
}

/** An episode's probe targets [T, d'] (its state after probeTargets). */
type Target = (ep: Episode) => Features;

const empty = (): Rows => ({ x: [], y: [], n: 0 });
const meanFinite = (xs: number[]) => {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

/** Filtered features of every training row with a state, strided to at most MAX_FIT_ROWS rows in total. */
function trainRows(features: (ep: Episode) => Features, target: Target, eps: Episode[]): Rows {
  const total = eps.reduce((n, e) => n + e.imageShape[0], 0);
  const stride = Math.max(1, Math.ceil(total / MAX_FIT_ROWS));
  const rows = empty();
  for (const ep of eps) {
    const s = target(ep);
    const T = ep.imageShape[0];
    const idx: [number, number][] = [];
    for (let t = 0; t < T; t += stride) idx.push([t, t]);
    addRows(rows, features(ep), s, idx);
  }
  return rows;
}

/** Fits the probe, choosing each variable's α on the last fifth of the training episodes when there are at least two. */
function fitProbe(model: LoadedModel, target: Target, train: Episode[]): RidgeProbe {
  const cache = new Map<Episode, Features>();
  const features = (ep: Episode) => {
    let f = cache.get(ep);
    if (!f) cache.set(ep, (f = model.filterFeatures(ep)));
    return f;
  };
  const all = trainRows(features, target, train);
  const D = all.y.length / all.n;
  const nVal = train.length >= 2 ? Math.max(1, Math.floor(train.length / 5)) : 0;
  const alpha = new Array<number>(D).fill(1e-2);
  if (nVal) {
    const fit = trainRows(features, target, train.slice(0, train.length - nVal));
    const val = trainRows(features, target, train.slice(train.length - nVal));
    const best = new Array<number>(D).fill(-Infinity);
    for (const a of ALPHAS) {
      const r2 = r2Score(val.y, predictRidge(fitRidge(fit.x, fit.y, fit.n, a * fit.n), val.x, val.n), val.n);
      r2.forEach((v, d) => {
        if (v > best[d]) [best[d], alpha[d]] = [v, a];
      });
    }
  }
  // One fit per distinct α; a variable takes its column from its own α's fit (the standardisation is the same).
  const fits = new Map([...new Set(alpha)].map((a) => [a, fitRidge(all.x, all.y, all.n, a * all.n)]));
  const probe = fits.get(alpha[0])!;
  const F = probe.features;
  for (let d = 1; d < D; d++) {
    const p = fits.get(alpha[d])!;
    if (p === probe) continue;
    probe.bias[d] = p.bias[d];
    for (let f = 0; f < F; f++) probe.weights[f * D + d] = p.weights[f * D + d];
  }
  return probe;
}

/** R² per variable on held-out rows: filtered (@0) and after PROBE_STEPS open-loop steps (@k). */
async function scoreProbe(
  model: LoadedModel,
  probe: RidgeProbe,
  target: Target,
  heldOut: Episode[],
  seed: number,
  filter: OpenLoopFilter,
  /** Also the 95 % interval (the trained model's; the twin's would be thrown away). */
  interval: boolean,
): Promise<ProbeScore> {
  const filt = empty();
  const ol = empty();
  // Rows per held-out episode, in order: the interval resamples episodes, not frames.
  const filtSizes: number[] = [];
  const olSizes: number[] = [];
  // The probe reads features, not pixels: a model that decodes none dreams through its latent view.
  const latent = model.latent?.();
  const openloop = model.openloop
    ? (ep: Episode, o: OpenLoopOptions) => model.openloop!(ep, o)
    : latent
      ? async (ep: Episode, o: OpenLoopOptions) => latentOpenLoop(latent, ep, o, null)
      : null;
  for (const ep of heldOut) {
    const s = target(ep);
    const T = ep.imageShape[0];
    addRows(
      filt,
      model.filterFeatures(ep),
      s,
      Array.from({ length: T }, (_, t): [number, number] => [t, t]),
    );
    filtSizes.push(T);
    const { starts, horizon } = openLoopStarts(T, PROBE_STEPS);
    if (horizon < PROBE_STEPS || !openloop) continue;
    const olBefore = ol.n;
    for (const start of starts) {
      const r = await openloop(ep, {
        start,
        horizon: PROBE_STEPS,
        ...openLoopWindow(filter, start),
        temperature: 0,
        seed,
        features: true,
      });
      if (!r.features) throw new Error('the model returned no dream features for the state probe');
      addRows(ol, r.features, s, [[PROBE_STEPS - 1, start + PROBE_STEPS]]);
    }
    olSizes.push(ol.n - olBefore);
  }
  const scored = (rows: Rows, sizes: number[]) => {
    const yHat = predictRidge(probe, rows.x, rows.n);
    const r2 = r2Score(rows.y, yHat, rows.n);
    return { r2, ci95: interval ? r2Interval(r2Sums(rows.y, yHat, sizes), seed) : null };
  };
  return { filtered: scored(filt, filtSizes), openloop: ol.n >= 2 ? scored(ol, olSizes) : null };
}

/** R² per variable with its 95 % interval over held-out episodes (r2-interval.ts). */
interface Scored {
  r2: number[];
  ci95: [number, number][] | null;
}
interface ProbeScore {
  filtered: Scored;
  openloop: Scored | null;
}

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

/** A target whose held-out variance is under this fraction of its training variance gets a note. */
export const NARROW_HELD_OUT = 0.25;

export interface ProbeResult {
  metrics: Record<string, EvalMetric>;
  notes: string[];
}

/**
 * The probe for `model` and for a freshly initialised twin. Episodes without a state are skipped; with none
 * on either side the result is a note, not an error.
 */
export async function measureStateProbe(
  model: LoadedModel,
  train: Episode[],
  heldOut: Episode[],
  opts: {
    seed: number;
    stateNames?: string[];
    stateAngles?: string[];
    stateFromStart?: string[];
    /** Where the @k probe's open loop starts filtering (openloop-measures.ts; default the episode's first frame). */
    filter?: OpenLoopFilter;
  },
): Promise<ProbeResult> {
  const filter = opts.filter ?? DEFAULT_OPENLOOP_FILTER;
  const tr = train.filter((e) => episodeState(e));
  const ho = heldOut.filter((e) => episodeState(e));
  if (!tr.length || !ho.length)
    return {
      metrics: {},
      notes: [
        `state probe: no state in these episodes (${!tr.length ? 'training' : 'held-out'} episodes carry no 'state' key), so it is skipped`,
      ],
    };
  const dim = episodeState(tr[0])!.dim;
  if ([...tr, ...ho].some((e) => episodeState(e)!.dim !== dim))
    return { metrics: {}, notes: ['state probe: the episodes disagree on the state size, so it is skipped'] };
  // Fewer columns than names: episodes recorded before the env appended variables (car-racing's track pose), which
  // keep the first names' meaning.
  const stateNames =
    opts.stateNames && opts.stateNames.length >= dim
      ? opts.stateNames.slice(0, dim)
      : Array.from({ length: dim }, (_, i) => `state[${i}]`);
  const layout = probeLayout(stateNames, opts.stateAngles, opts.stateFromStart);
  const names = probeTargetNames(stateNames, layout);
  const targets = new Map<Episode, Features>();
  const target: Target = (ep) => {
    let t = targets.get(ep);
    if (!t) targets.set(ep, (t = probeTargets(episodeState(ep)!, layout)));
    return t;
  };
  const trained = await scoreProbe(model, fitProbe(model, target, tr), target, ho, opts.seed, filter, true);
  const twin = await model.reinitialized(opts.seed + 1);
  let random: ProbeScore;
  try {
    random = await scoreProbe(twin, fitProbe(twin, target, tr), target, ho, opts.seed, filter, false);
  } finally {
    twin.dispose();
  }
  const metrics: Record<string, EvalMetric> = {};
  const put = (key: string, m: Scored, b: Scored) => {
    metrics[`probe_r2${key}`] = metricWithBaselines(meanFinite(m.r2), { 'random-init model': meanFinite(b.r2) }, false);
    names.forEach((n, i) => {
      metrics[`probe_r2/${n}${key}`] = {
        ...metricWithBaselines(m.r2[i], { 'random-init model': b.r2[i] }, false),
        ...(m.ci95 ? { ci95: m.ci95[i] } : {}),
      };
    });
  };
  put('@0', trained.filtered, random.filtered);
  const notes = [
    `state probe: ridge from the model's features to the true state, fitted on ${tr.length} training episodes, R² on ${ho.length} held-out ones (@0 filtered, @${PROBE_STEPS} after ${PROBE_STEPS} open-loop steps)`,
  ];
  // R² divides by the held-out episodes' own variance: where they hardly vary (car-racing's cos heading to the track
  // when no held-out car turns away from it), small errors make a large negative R² that says little about the model.
  const vTrain = targetVariances(tr, target);
  const vHeld = targetVariances(ho, target);
  names.forEach((n, i) => {
    if (vHeld[i] < NARROW_HELD_OUT * vTrain[i])
      notes.push(
        `state probe: '${n}' varies ${(vTrain[i] / Math.max(vHeld[i], 1e-12)).toFixed(1)}× less on the held-out episodes than on the training ones (variance ${vHeld[i].toPrecision(2)} vs ${vTrain[i].toPrecision(2)}): its R² is dominated by small errors; more held-out episodes make it meaningful`,
      );
  });
  if (trained.openloop && random.openloop) put(`@${PROBE_STEPS}`, trained.openloop, random.openloop);
  else if (!model.openloop)
    notes.push('state probe: the model has no open-loop dream, so only the filtered probe (@0)');
  else notes.push(`state probe: held-out episodes are too short for ${PROBE_STEPS} open-loop steps`);
  return { metrics, notes };
}
