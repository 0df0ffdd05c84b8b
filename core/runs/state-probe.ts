import type { Episode } from '../data/episode.ts';
import type { EvalMetric, Features, LoadedModel, OpenLoopFilter, OpenLoopOptions } from '../models/family.ts';
import { latentOpenLoop } from '../models/latent-openloop.ts';
import { fitRidge, predictRidge, r2Score, type RidgeProbe } from '../util/ridge.ts';
import { r2Interval, r2Sums } from '../util/r2-interval.ts';
import { metricWithBaselines } from '../models/eval-metric.ts';
import { DEFAULT_OPENLOOP_FILTER, openLoopStarts, openLoopWindow } from './openloop-measures.ts';
import {
  episodeState,
  probeLayout,
  probeTargetNames,
  probeTargets,
  regionMask,
  targetVariances,
  type RegionMask,
  type Target,
  stateColumnNames,
} from './probe-targets.ts';
import type { StateRegion } from '../envs/types.ts';
import type { ProbeCalibrationBin } from '../contract/channels.ts';
import { probeCalibration } from './probe-calibration.ts';
import { disposeMlpProbe, fitMlpProbe, predictMlpProbe, type MlpProbe } from './mlp-probe.ts';

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
 * track offset at R² 0.21 on 3,000 rows and 0.58 on 20,000, and its whole probe took 451 s and 441 s (measured in commit 7ae3312).
 */
export const MAX_FIT_ROWS = 20_000;
/**
 * Ridge penalty λ = α·N, α chosen per target variable on held-back training episodes (features are standardised):
 * one α for all would let a variable no feature predicts (car-racing's absolute x) pick a large α that shrinks the
 * read-out of every other variable.
 */
const ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1, 1];

interface Rows {
  x: number[];
  y: number[];
  n: number;
  /** Per row: its held-out episode's index and whether its state lies in the probe's region (held-out rows only). */
  episode: number[];
  inRegion: boolean[];
}

function addRows(
  rows: Rows,
  f: Features,
  s: Features,
  idx: Iterable<[number, number]>,
  episode = -1,
  region: Uint8Array | null = null,
): void {
  for (const [fi, si] of idx) {
    for (let j = 0; j < f.dim; j++) rows.x.push(f.data[fi * f.dim + j]);
    for (let j = 0; j < s.dim; j++) rows.y.push(s.data[si * s.dim + j]);
    rows.episode.push(episode);
    rows.inRegion.push(region ? region[si] === 1 : true);
    rows.n++;
  }
}

/** The rows where `keep` holds, in order. */
function subset(rows: Rows, keep: boolean[]): Rows {
  const out = empty();
  const fx = rows.n ? rows.x.length / rows.n : 0;
  const dy = rows.n ? rows.y.length / rows.n : 0;
  for (let i = 0; i < rows.n; i++) {
    if (!keep[i]) continue;
    for (let j = 0; j < fx; j++) out.x.push(rows.x[i * fx + j]);
    for (let j = 0; j < dy; j++) out.y.push(rows.y[i * dy + j]);
    out.episode.push(rows.episode[i]);
    out.inRegion.push(rows.inRegion[i]);
    out.n++;
  }
  return out;
}

/** A model's filtered features of an episode, computed once. */
type FeatureCache = (ep: Episode) => Features;

const empty = (): Rows => ({ x: [], y: [], n: 0, episode: [], inRegion: [] });
const meanFinite = (xs: number[]) => {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

function featureCache(model: LoadedModel): FeatureCache {
  const cache = new Map<Episode, Features>();
  return (ep) => {
    let f = cache.get(ep);
    if (!f) cache.set(ep, (f = model.filterFeatures(ep)));
    return f;
  };
}

/**
 * Filtered features of every training row with a state (in the region, when a mask is given), strided to at most
 * MAX_FIT_ROWS rows in total.
 */
function trainRows(features: FeatureCache, target: Target, eps: Episode[], region: RegionMask | null): Rows {
  const masks = region ? eps.map(region) : null;
  const kept = masks
    ? masks.reduce((n, m) => n + m.reduce((k, v) => k + v, 0), 0)
    : eps.reduce((n, e) => n + e.imageShape[0], 0);
  const stride = Math.max(1, Math.ceil(kept / MAX_FIT_ROWS));
  const rows = empty();
  eps.forEach((ep, e) => {
    const s = target(ep);
    const T = ep.imageShape[0];
    const idx: [number, number][] = [];
    for (let t = 0, k = 0; t < T; t++) if ((!masks || masks[e][t]) && k++ % stride === 0) idx.push([t, t]);
    if (idx.length) addRows(rows, features(ep), s, idx);
  });
  return rows;
}

/** Training rows, and the split the probes choose on: the last fifth of the episodes held back when there are at least two. */
interface TrainSplit {
  all: Rows;
  fit: Rows;
  val: Rows | null;
}

function trainSplit(features: FeatureCache, target: Target, train: Episode[], region: RegionMask | null): TrainSplit {
  const all = trainRows(features, target, train, region);
  const nVal = train.length >= 2 ? Math.max(1, Math.floor(train.length / 5)) : 0;
  if (!nVal) return { all, fit: all, val: null };
  return {
    all,
    fit: trainRows(features, target, train.slice(0, train.length - nVal), region),
    val: trainRows(features, target, train.slice(train.length - nVal), region),
  };
}

/** Each variable's ridge penalty α, chosen on the held-back episodes (1e-2 without them). */
function chooseAlphas(split: TrainSplit): number[] {
  const { all, fit, val } = split;
  const D = all.y.length / all.n;
  const alpha = new Array<number>(D).fill(1e-2);
  if (!val) return alpha;
  const best = new Array<number>(D).fill(-Infinity);
  for (const a of ALPHAS) {
    const r2 = r2Score(val.y, predictRidge(fitRidge(fit.x, fit.y, fit.n, a * fit.n), val.x, val.n), val.n);
    r2.forEach((v, d) => {
      if (v > best[d]) [best[d], alpha[d]] = [v, a];
    });
  }
  return alpha;
}

/** The ridge on `rows` with a penalty per variable: one fit per distinct α, each variable's column from its own. */
function fitRidgeAlphas(rows: Rows, alpha: number[]): RidgeProbe {
  const D = alpha.length;
  const fits = new Map([...new Set(alpha)].map((a) => [a, fitRidge(rows.x, rows.y, rows.n, a * rows.n)]));
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

/** The linear probe on every training row, each variable's α chosen on the held-back episodes. */
function fitProbe(split: TrainSplit, alpha = chooseAlphas(split)): RidgeProbe {
  return fitRidgeAlphas(split.all, alpha);
}

/**
 * The MLP probe (mlp-probe.ts) on the fit rows, early-stopped on the held-back ones, with the ridge fitted on the same
 * fit rows with the same α as its candidate: the validation rows that choose between them were fitted by neither.
 */
function fitMlp(split: TrainSplit, alpha: number[], seed: number): MlpProbe {
  return fitMlpProbe(split.fit, split.val, seed, fitRidgeAlphas(split.fit, alpha));
}

/** Held-out rows: filtered (@0) and after PROBE_STEPS open-loop steps (@k), each tagged with its episode and region. */
interface HeldOutRows {
  filtered: Rows;
  openloop: Rows;
}

async function heldOutRows(
  model: LoadedModel,
  features: FeatureCache,
  target: Target,
  heldOut: Episode[],
  seed: number,
  filter: OpenLoopFilter,
  region: RegionMask | null,
): Promise<HeldOutRows> {
  const filt = empty();
  const ol = empty();
  // The probe reads features, not pixels: a model that decodes none dreams through its latent view.
  const latent = model.latent?.();
  const openloop = model.openloop
    ? (ep: Episode, o: OpenLoopOptions) => model.openloop!(ep, o)
    : latent
      ? async (ep: Episode, o: OpenLoopOptions) => latentOpenLoop(latent, ep, o, null)
      : null;
  for (const [e, ep] of heldOut.entries()) {
    const s = target(ep);
    const T = ep.imageShape[0];
    const mask = region?.(ep) ?? null;
    const all = Array.from({ length: T }, (_, t): [number, number] => [t, t]);
    addRows(filt, features(ep), s, all, e, mask);
    const { starts, horizon } = openLoopStarts(T, PROBE_STEPS);
    if (horizon < PROBE_STEPS || !openloop) continue;
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
      addRows(ol, r.features, s, [[PROBE_STEPS - 1, start + PROBE_STEPS]], e, mask);
    }
  }
  return { filtered: filt, openloop: ol };
}

/** R² per variable of a probe's read (`predict`) on held-out rows (only the region's, when asked), with the 95 % interval and the read by true value if asked. */
function scoreRows(
  rows: Rows,
  predict: (x: number[], n: number) => ArrayLike<number>,
  seed: number,
  interval: boolean,
  inRegion: boolean,
  calibrate = false,
): Scored | null {
  const r = inRegion ? subset(rows, rows.inRegion) : rows;
  if (r.n < 2) return null;
  const yHat = predict(r.x, r.n);
  const r2 = r2Score(r.y, yHat, r.n);
  const calibration = calibrate ? probeCalibration(r.y, yHat, r.n) : null;
  if (!interval) return { r2, ci95: null, calibration };
  // Rows per held-out episode, in order: the interval resamples episodes, not frames.
  const sizes: number[] = [];
  r.episode.forEach((e, i) => (i && e === r.episode[i - 1] ? sizes[sizes.length - 1]++ : sizes.push(1)));
  return { r2, ci95: r2Interval(r2Sums(r.y, yHat, sizes), seed), calibration };
}

/** R² per variable with its 95 % interval over held-out episodes (r2-interval.ts). */
interface Scored {
  r2: number[];
  ci95: [number, number][] | null;
  /** Per variable, the read against the true value in bins (probe-calibration.ts), where asked. */
  calibration: ProbeCalibrationBin[][] | null;
}
interface ProbeScore {
  filtered: Scored | null;
  openloop: Scored | null;
}

/** The probe fitted on every training row and scored on every held-out row, and the same within the region. */
async function probeScores(
  model: LoadedModel,
  target: Target,
  train: Episode[],
  heldOut: Episode[],
  o: { seed: number; filter: OpenLoopFilter; region: RegionMask | null; interval: boolean },
): Promise<{ all: ProbeScore; region: ProbeScore | null; mlp: ProbeScore }> {
  const features = featureCache(model);
  const rows = await heldOutRows(model, features, target, heldOut, o.seed, o.filter, o.region);
  const score = (predict: (x: number[], n: number) => ArrayLike<number>, inRegion: boolean, calibrate = false) => ({
    filtered: scoreRows(rows.filtered, predict, o.seed, o.interval, inRegion, calibrate),
    openloop: scoreRows(rows.openloop, predict, o.seed, o.interval, inRegion),
  });
  const ridge = (probe: RidgeProbe) => (x: number[], n: number) => predictRidge(probe, x, n);
  // The read by true value is reported for the trained model's every-frame @0 linear probe only: binned there alone.
  const split = trainSplit(features, target, train, null);
  const alpha = chooseAlphas(split);
  const all = score(ridge(fitProbe(split, alpha)), false, o.interval);
  const region = o.region ? score(ridge(fitProbe(trainSplit(features, target, train, o.region))), true) : null;
  const mlp = fitMlp(split, alpha, o.seed);
  try {
    // @0 only. Dream features lie off the filtered ones it was fitted on, and there an MLP extrapolates: the RSSM
    // `small` on car-racing read the offset @10 at R² −0.25 through it where the ridge read 0.08 (session 35). The
    // ridge's @10 says whether the dream keeps the state.
    const read = (x: number[], n: number) => predictMlpProbe(mlp, x, n);
    return {
      all,
      region,
      mlp: { filtered: scoreRows(rows.filtered, read, o.seed, o.interval, false), openloop: null },
    };
  } finally {
    disposeMlpProbe(mlp);
  }
}

/** A target whose held-out variance is under this fraction of its training variance gets a note. */
export const NARROW_HELD_OUT = 0.25;

export interface ProbeResult {
  metrics: Record<string, EvalMetric>;
  /** Per target name: the every-frame probe's read at @0 against the true value, in bins (empty when skipped). */
  calibration: Record<string, ProbeCalibrationBin[]>;
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
    /** Also fit and score the probe on the frames in this part of the state space (the env's, EnvSpec). */
    stateRegion?: StateRegion;
  },
): Promise<ProbeResult> {
  const filter = opts.filter ?? DEFAULT_OPENLOOP_FILTER;
  const tr = train.filter((e) => episodeState(e));
  const ho = heldOut.filter((e) => episodeState(e));
  if (!tr.length || !ho.length)
    return {
      metrics: {},
      calibration: {},
      notes: [
        `state probe: no state in these episodes (${!tr.length ? 'training' : 'held-out'} episodes carry no 'state' key), so it is skipped`,
      ],
    };
  const dim = episodeState(tr[0])!.dim;
  if ([...tr, ...ho].some((e) => episodeState(e)!.dim !== dim))
    return {
      metrics: {},
      calibration: {},
      notes: ['state probe: the episodes disagree on the state size, so it is skipped'],
    };
  const stateNames = stateColumnNames(opts.stateNames, dim);
  const layout = probeLayout(stateNames, opts.stateAngles, opts.stateFromStart);
  const names = probeTargetNames(stateNames, layout);
  const targets = new Map<Episode, Features>();
  const target: Target = (ep) => {
    let t = targets.get(ep);
    if (!t) targets.set(ep, (t = probeTargets(episodeState(ep)!, layout)));
    return t;
  };
  const notes = [
    `state probe: ridge from the model's features to the true state, fitted on ${tr.length} training episodes, R² on ${ho.length} held-out ones (@0 filtered, @${PROBE_STEPS} after ${PROBE_STEPS} open-loop steps); probe_mlp_r2 reads the same targets @0 through an MLP`,
  ];
  const region = opts.stateRegion ? regionMask(opts.stateRegion, stateNames) : null;
  if (opts.stateRegion) notes.push(regionNote(opts.stateRegion, region, ho));
  const o = { seed: opts.seed, filter, region };
  const trained = await probeScores(model, target, tr, ho, { ...o, interval: true });
  const twin = await model.reinitialized(opts.seed + 1);
  let random: Awaited<ReturnType<typeof probeScores>>;
  try {
    random = await probeScores(twin, target, tr, ho, { ...o, interval: false });
  } finally {
    twin.dispose();
  }
  const metrics: Record<string, EvalMetric> = {};
  const put = (key: string, m: Scored | null, b: Scored | null, prefix = 'probe_r2') => {
    if (!m || !b) return;
    metrics[`${prefix}${key}`] = metricWithBaselines(
      meanFinite(m.r2),
      { 'random-init model': meanFinite(b.r2) },
      false,
    );
    names.forEach((n, i) => {
      metrics[`${prefix}/${n}${key}`] = {
        ...metricWithBaselines(m.r2[i], { 'random-init model': b.r2[i] }, false),
        ...(m.ci95 ? { ci95: m.ci95[i] } : {}),
      };
    });
  };
  put('@0', trained.all.filtered, random.all.filtered);
  const calibration: Record<string, ProbeCalibrationBin[]> = {};
  trained.all.filtered?.calibration?.forEach((bins, i) => (calibration[names[i]] = bins));
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
  if (trained.region && random.region && opts.stateRegion) {
    const prefix = `probe_r2 ${opts.stateRegion.name}`;
    put('@0', trained.region.filtered, random.region.filtered, prefix);
    put(`@${PROBE_STEPS}`, trained.region.openloop, random.region.openloop, prefix);
  }
  if (trained.all.openloop && random.all.openloop) put(`@${PROBE_STEPS}`, trained.all.openloop, random.all.openloop);
  else if (!model.openloop)
    notes.push('state probe: the model has no open-loop dream, so only the filtered probe (@0)');
  else notes.push(`state probe: held-out episodes are too short for ${PROBE_STEPS} open-loop steps`);
  // The same targets read by an MLP (mlp-probe.ts): what the filtered features hold in any shape, not only linearly.
  put('@0', trained.mlp.filtered, random.mlp.filtered, 'probe_mlp_r2');
  return { metrics, calibration, notes };
}

/** What the region probe did: on what share of the held-out frames, or why it was skipped. */
function regionNote(r: StateRegion, mask: RegionMask | null, heldOut: Episode[]): string {
  if (!mask) return `state probe ${r.name}: these episodes have no '${r.variable}' column, so it is skipped`;
  const masks = heldOut.map(mask);
  const inside = masks.reduce((n, m) => n + m.reduce((k, v) => k + v, 0), 0);
  const total = masks.reduce((n, m) => n + m.length, 0);
  const pct = ((100 * inside) / Math.max(total, 1)).toFixed(0);
  return `state probe ${r.name}: also fitted and scored on the frames where |${r.variable}| ≤ ${+r.maxAbs.toPrecision(3)} alone (${pct} % of the held-out frames; probe_r2 ${r.name}/…)`;
}
