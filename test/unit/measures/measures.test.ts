/**
 * The measures every family reports (core/runs/openloop-measures.ts, state-probe.ts), driven through fake
 * LoadedModels whose behaviour is known: a model that paints only the training mean frame, an oracle that
 * returns the truth, reward heads that do or do not use their actions, features that are or are not the state.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import type { Episode } from '../../../core/data/episode.ts';
import type {
  EvalMetric,
  Features,
  LoadedModel,
  OpenLoopOptions,
  OpenLoopResult,
} from '../../../core/models/family.ts';
import { resizeFrames } from '../../../core/media/frames.ts';
import { measureOpenLoop, trainingMeanFrame, trainingMeanReward } from '../../../core/runs/openloop-measures.ts';
import { MAX_FIT_ROWS, measureStateProbe, PROBE_STEPS } from '../../../core/runs/state-probe.ts';
import { episodeState, probeLayout, probeTargetNames, probeTargets } from '../../../core/runs/probe-targets.ts';
import { evaluateModel } from '../../../core/runs/evaluate.ts';
import { parseSamples } from '../../../core/runs/predictive-mean.ts';
import { Rng } from '../../../core/util/rng.ts';
import { initBackend } from '../../../core/tensor/backend.ts';

// The MLP state probe (mlp-probe.ts) fits on the tensor backend.
before(async () => {
  await initBackend();
});

const S = 32;
const px = S * S * 3;

function episodes(n: number, seed0: number): Episode[] {
  const env = makeEnv('cartpole-swingup', { size: S, maxSteps: 40 });
  return Array.from(
    { length: n },
    (_, i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(seed0 + i)), seed0 + i).episode,
  );
}
const TRAIN = episodes(4, 10);
const HELD = episodes(2, 100);

interface Behaviour {
  /** The frame the model predicts for true frame t of `ep` (uint8 S·S·3). */
  frame?(ep: Episode, t: number): Uint8Array;
  /** The dreamed frame of a sampled dream (temperature > 0, its seed in `o`; default: `frame`'s). */
  sampled?(ep: Episode, t: number, o: OpenLoopOptions): Uint8Array;
  /** The dreamed frame when the dream is given other actions than the episode's (default: `frame`'s). */
  frameUnderOtherActions?(ep: Episode, t: number): Uint8Array;
  /** Predicted reward on arriving at row `row` after `action`. */
  reward?(action: Float32Array, row: number, ep: Episode): number;
  /** Features of the state at row t (filtered or dreamed). */
  features?(ep: Episode, t: number): Float32Array;
  twin?: Behaviour;
}

function fakeModel(b: Behaviour): LoadedModel {
  const frameOf = (ep: Episode, t: number) =>
    b.frame
      ? b.frame(ep, t)
      : resizeFrames(ep.image, ep.imageShape[0], ep.imageShape[1], S).slice(t * px, (t + 1) * px);
  const stack = (ep: Episode, ts: number[], of = frameOf) => {
    const out = new Uint8Array(ts.length * px);
    ts.forEach((t, i) => out.set(of(ep, t), i * px));
    return out;
  };
  const real = (ep: Episode, ts: number[]) => {
    const f = resizeFrames(ep.image, ep.imageShape[0], ep.imageShape[1], S);
    const out = new Uint8Array(ts.length * px);
    ts.forEach((t, i) => out.set(f.subarray(t * px, (t + 1) * px), i * px));
    return out;
  };
  const feats = (ep: Episode, ts: number[]): Features => {
    const rows = ts.map((t) => b.features!(ep, t));
    const dim = rows[0].length;
    const data = new Float32Array(ts.length * dim);
    rows.forEach((r, i) => data.set(r, i * dim));
    return { dim, data };
  };
  return {
    imageSize: S,
    pixels: 'decoder',
    evaluate: async () => ({}),
    async openloop(ep: Episode, o: OpenLoopOptions): Promise<OpenLoopResult> {
      const T = ep.imageShape[0];
      const ctx = Array.from({ length: o.context }, (_, i) => o.start - o.context + 1 + i);
      const dream = Array.from({ length: o.horizon }, (_, k) => o.start + 1 + k);
      const truthIdx = dream.filter((t) => t < T);
      const A = ep.actionDim;
      return {
        size: S,
        contextIndices: ctx,
        dreamIndices: dream,
        context: real(ep, ctx),
        truth: real(ep, truthIdx),
        contextRecon: stack(ep, ctx),
        dream:
          o.temperature > 0 && b.sampled
            ? stack(ep, truthIdx, (e, t) => b.sampled!(e, t, o))
            : o.actions && b.frameUnderOtherActions
              ? stack(ep, truthIdx, b.frameUnderOtherActions)
              : stack(ep, truthIdx),
        mse: dream.map(() => NaN),
        ...(b.reward
          ? {
              reward: dream.map((t, k) =>
                b.reward!(
                  o.actions ? o.actions.subarray(k * A, (k + 1) * A) : ep.action.subarray(t * A, (t + 1) * A),
                  t,
                  ep,
                ),
              ),
            }
          : {}),
        ...(o.features && b.features ? { features: feats(ep, dream) } : {}),
      };
    },
    dreamSession: () => {
      throw new Error('not used');
    },
    filterFeatures: (ep) =>
      feats(
        ep,
        Array.from({ length: ep.imageShape[0] }, (_, t) => t),
      ),
    reinitialized: async () => fakeModel(b.twin ?? b),
    dispose: () => {},
  };
}

const MEAN = trainingMeanFrame(TRAIN, S)!;
const MEAN8 = Uint8Array.from(MEAN, (v) => Math.round(v));
const opts = { seed: 0, meanReward: trainingMeanReward(TRAIN) };

test('a model that paints only the training mean frame scores at the mean-frame baseline on the foreground error', async () => {
  const painter = await measureOpenLoop(fakeModel({ frame: () => MEAN8 }), HELD, MEAN, opts);
  const oracle = await measureOpenLoop(fakeModel({}), HELD, MEAN, opts);
  assert.ok(painter.foregroundFraction > 0 && painter.foregroundFraction < 0.2, `${painter.foregroundFraction}`);
  for (const h of [1, 5, 10, 20]) {
    const p = painter.metrics[`openloop_fg_mse@${h}`];
    const o = oracle.metrics[`openloop_fg_mse@${h}`];
    const meanBase = p.baselines!['mean-frame'];
    // Rounding the mean frame to uint8 moves each value by ≤ 0.5/255: the painter sits on the baseline.
    assert.ok(Math.abs(p.model - meanBase) <= 0.02 * meanBase, `@${h}: painter ${p.model} vs mean frame ${meanBase}`);
    assert.ok(meanBase > 0.01, `@${h}: the mean frame misses the cart and pole (${meanBase})`);
    assert.equal(o.model, 0, 'the oracle has no foreground error');
    assert.ok(o.model < o.baseline && !(p.model < 0.9 * p.baseline), 'the measure tells the two apart');
    assert.deepEqual(Object.keys(p.baselines!).sort(), ['copy-last-frame', 'mean-frame']);
    assert.equal(p.baseline, Math.min(...Object.values(p.baselines!)), 'baseline is the strongest one');
    assert.equal(p.baselines![p.baseline_name], p.baseline);
  }
  // On the full frame the painter looks far better than on the foreground (the background dominates).
  const full = painter.metrics['openloop_mse@10'];
  const fg = painter.metrics['openloop_fg_mse@10'];
  assert.ok(full.model < 0.2 * fg.model, `full-frame ${full.model} vs foreground ${fg.model}`);
  assert.ok(painter.metrics.recon_fg_mse.model > 0.9 * painter.metrics.recon_fg_mse.baseline);
  assert.equal(oracle.metrics.recon_fg_mse.model, 0);
  assert.ok(painter.notes.some((n) => /foreground/.test(n)));
});

test('the dream against itself under shuffled actions: a dream that ignores its actions ties it, and the report says so', async () => {
  const blind = await measureOpenLoop(fakeModel({ frame: () => MEAN8 }), HELD, MEAN, opts);
  const driven = await measureOpenLoop(fakeModel({ frameUnderOtherActions: () => MEAN8 }), HELD, MEAN, opts);
  for (const r of [blind, driven]) {
    assert.ok(!r.metrics['openloop_fg_mse_vs_shuffled@1'], 'one shuffled action hardly moves a frame: not reported');
    for (const h of [5, 10, 20])
      assert.deepEqual(Object.keys(r.metrics[`openloop_fg_mse_vs_shuffled@${h}`].baselines!), ['shuffled actions']);
    // Not a baseline of the pixel errors (a model may tie it without being wrong).
    assert.deepEqual(Object.keys(r.metrics['openloop_fg_mse@10'].baselines!).sort(), ['copy-last-frame', 'mean-frame']);
  }
  const [b10, d10] = [
    blind.metrics['openloop_fg_mse_vs_shuffled@10'],
    driven.metrics['openloop_fg_mse_vs_shuffled@10'],
  ];
  assert.ok(b10.model > 0.01, `the painter misses the objects: ${b10.model}`);
  assert.equal(b10.baseline, b10.model, 'the same dream with or without the actions');
  assert.equal(d10.model, 0);
  assert.ok(d10.baseline > 0.01, `other actions, another dream: ${d10.baseline}`);
  assert.ok(blind.notes.some((n) => /as good with its actions shuffled in time .*: it hardly uses them/.test(n)));
  assert.ok(!driven.notes.some((n) => /hardly uses them/.test(n)));
});

test('a uniform grey dream wins on the foreground alone; the report says the full frame disagrees', async () => {
  const grey = new Uint8Array(px).fill(128);
  const r = await measureOpenLoop(fakeModel({ frame: () => grey }), HELD, MEAN, opts);
  const fg = r.metrics['openloop_fg_mse@10'];
  const full = r.metrics['openloop_mse@10'];
  assert.ok(fg.model < fg.baselines!['mean-frame'], 'grey is closer to the objects than the background is');
  assert.ok(full.model > full.baselines!['mean-frame'], 'but far from the scene');
  assert.ok(r.notes.some((n) => /not the background, but not the scene either/.test(n)));
  const painter = await measureOpenLoop(fakeModel({ frame: () => MEAN8 }), HELD, MEAN, opts);
  assert.ok(!painter.notes.some((n) => /not the scene either/.test(n)));
});

test('every pixel metric carries its ratio to the mean frame with a 95 % interval over held-out episodes (paired bootstrap, the episode the unit)', async () => {
  // A grey dream: wrong by different amounts on different episodes and frames.
  const grey = new Uint8Array(px).fill(128);
  const model = fakeModel({ frame: () => grey });
  const both = await measureOpenLoop(model, HELD, MEAN, opts);
  const [a, b] = await Promise.all(HELD.map((ep) => measureOpenLoop(model, [ep], MEAN, opts)));
  const copies = await measureOpenLoop(model, [HELD[0], HELD[0], HELD[0]], MEAN, opts);
  const ratio = (m: EvalMetric) => m.model / m.baselines![m.ratio_baseline!];
  const pixel = Object.keys(both.metrics).filter((k) => /^(openloop_(fg_)?mse|recon)/.test(k));
  assert.ok(pixel.includes('openloop_fg_mse@10') && pixel.includes('recon_mse') && pixel.length >= 13, `${pixel}`);
  for (const k of pixel) {
    const m = both.metrics[k];
    assert.equal(m.ratio_baseline, k.includes('vs_shuffled') ? 'shuffled actions' : 'mean-frame', k);
    const [lo, hi] = m.ratio_ci95!;
    const r = ratio(m);
    assert.ok(lo <= r + 1e-12 && r <= hi + 1e-12, `${k}: ${r} in [${lo}, ${hi}]`);
    // Two episodes: each resample is A twice, B twice or one of each (the pooled ratio, between the two), so the
    // 2.5 % and 97.5 % points are the two episodes' own ratios — which a pooling per frame or per dream would not give.
    const [rA, rB] = [ratio(a.metrics[k]), ratio(b.metrics[k])];
    const near = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
    assert.ok(near(lo, Math.min(rA, rB)) && near(hi, Math.max(rA, rB)), `${k}: [${lo}, ${hi}] vs ${rA}, ${rB}`);
    assert.ok(k.includes('vs_shuffled') || hi - lo > 1e-6, `${k}: the two episodes differ`);
    // One episode: no interval; copies of one episode: every resample reads its ratio.
    assert.deepEqual(a.metrics[k].ratio_ci95, [NaN, NaN], k);
    const [cLo, cHi] = copies.metrics[k].ratio_ci95!;
    assert.ok(near(cLo, rA) && near(cHi, rA), `${k} on copies: [${cLo}, ${cHi}] vs ${rA}`);
  }
  // Reproducible: the same evaluation gives the same intervals.
  assert.deepEqual((await measureOpenLoop(model, HELD, MEAN, opts)).metrics, both.metrics);
});

/** True frame t of `ep` with every channel moved by `by` (clamped to 0–255). */
const shifted = (ep: Episode, t: number, by: number) =>
  Uint8Array.from(resizeFrames(ep.image, ep.imageShape[0], ep.imageShape[1], S).subarray(t * px, (t + 1) * px), (v) =>
    Math.max(0, Math.min(255, v + by)),
  );

test('predictive mean: dreams sampled on either side of the truth average to far less error than the mode that commits to one side', async () => {
  const seeds: number[] = [];
  const model = fakeModel({
    frame: (ep, t) => shifted(ep, t, 60),
    // One coin per sampled dream, from its seed: a model that samples one of two futures, the mode always the first.
    sampled: (ep, t, o) => {
      if (t === o.start + 1) seeds.push(o.seed);
      assert.equal(o.temperature, 1);
      return shifted(ep, t, new Rng(o.seed).next() < 0.5 ? 60 : -60);
    },
  });
  const r = await measureOpenLoop(model, HELD, MEAN, { ...opts, samples: 32 });
  for (const h of [1, 10]) {
    const mode = r.metrics[`openloop_fg_mse@${h}`];
    const mean = r.metrics[`openloop_predmean_fg_mse@${h}`];
    assert.ok(mean.model < 0.25 * mode.model, `@${h}: predictive mean ${mean.model} vs mode ${mode.model}`);
    assert.ok(r.metrics[`openloop_predmean_mse@${h}`].model < 0.25 * r.metrics[`openloop_mse@${h}`].model);
    // Its baselines are the mode's, on the same frames.
    assert.deepEqual(mean.baselines, mode.baselines);
  }
  assert.equal(new Set(seeds).size, seeds.length, 'every sampled dream has a seed of its own');
  assert.ok(r.notes.some((n) => n.startsWith('openloop_predmean_*: the pixel-wise mean of 32 dreams')));
});

test('predictive mean: a model whose samples are its mode scores exactly as the mode (K dreams averaged, not summed)', async () => {
  const model = fakeModel({ frame: (ep, t) => shifted(ep, t, 30) });
  const r = await measureOpenLoop(model, HELD, MEAN, { ...opts, samples: 3 });
  for (const h of [1, 5, 10]) {
    for (const k of ['mse', 'fg_mse']) {
      const mode = r.metrics[`openloop_${k}@${h}`];
      const mean = r.metrics[`openloop_predmean_${k}@${h}`];
      assert.ok(Math.abs(mean.model - mode.model) <= 1e-9 * mode.model, `${k}@${h}: ${mean.model} vs ${mode.model}`);
      assert.deepEqual(mean.ratio_ci95, mode.ratio_ci95);
    }
  }
});

test('predictive mean: off unless asked; --samples takes a whole number from 1 to 256 and says so in one line', async () => {
  const r = await measureOpenLoop(fakeModel({}), HELD, MEAN, opts);
  assert.deepEqual(
    Object.keys(r.metrics).filter((k) => k.includes('predmean')),
    [],
  );
  assert.equal(parseSamples('8'), 8);
  for (const bad of ['0', '257', '1.5', 'many', '', '-2'])
    assert.throws(
      () => parseSamples(bad),
      new RegExp(`^UserError: --samples must be a whole number of sampled dreams from 1 to 256, got '${bad}'$`),
    );
});

test('reward over the dream: a head that uses its actions beats shuffled actions; one that ignores them ties', async () => {
  // Rewards made a function of the action that led to them, so a head can be exact.
  const eps = HELD.map((ep) => ({
    ...ep,
    reward: Float32Array.from(ep.reward, (_, t) => (t === 0 ? 0 : ep.action[t * ep.actionDim])),
  }));
  const uses = await measureOpenLoop(fakeModel({ reward: (a) => a[0] }), eps, MEAN, opts);
  const m = uses.metrics.openloop_reward_mse;
  assert.ok(m.model < 1e-12, `exact head: ${m.model}`);
  assert.ok(m.baselines!['shuffled actions'] > 0.05, `shuffled: ${m.baselines!['shuffled actions']}`);
  const ignores = await measureOpenLoop(
    fakeModel({ reward: (_a, row, ep) => ep.reward[row] * 0 + 0.1 }),
    eps,
    MEAN,
    opts,
  );
  const n = ignores.metrics.openloop_reward_mse;
  assert.equal(n.model, n.baselines!['shuffled actions'], 'no action dependence: shuffling changes nothing');
  const none = await measureOpenLoop(fakeModel({}), eps, MEAN, opts);
  assert.equal(none.metrics.openloop_reward_mse, undefined);
  assert.ok(none.notes.some((x) => /no reward head/.test(x)));
});

const stateOf = (ep: Episode, t: number) => {
  const s = ep.extra!.state;
  const d = s.shape[1];
  return (s.data as Float32Array).subarray(t * d, (t + 1) * d);
};

test('state probe: features that are the state score R² ≈ 1 at @0 and @k; a random twin scores far lower', async () => {
  const rng = new Rng(5);
  const noise = new Map<string, Float32Array>();
  const randomFeatures = (ep: Episode, t: number) => {
    const key = `${ep.reward.length}:${ep.action[1]}:${t}`;
    if (!noise.has(key))
      noise.set(
        key,
        Float32Array.from({ length: 8 }, () => rng.normal()),
      );
    return noise.get(key)!;
  };
  const model = fakeModel({
    features: (ep, t) => Float32Array.from([...stateOf(ep, t), ...randomFeatures(ep, t).subarray(0, 3)]),
    twin: { features: randomFeatures },
  });
  const r = await measureStateProbe(model, TRAIN, HELD, {
    seed: 0,
    stateNames: ['cart position', 'cos pole angle', 'sin pole angle', 'cart velocity', 'pole angular velocity'],
  });
  for (const key of ['@0', `@${PROBE_STEPS}`]) {
    const m = r.metrics[`probe_r2/cart position${key}`];
    assert.ok(m, `probe_r2/cart position${key} reported: ${Object.keys(r.metrics)}`);
    assert.equal(m.lower_is_better, false);
    assert.ok(m.model > 0.99, `${key}: R² ${m.model}`);
    assert.ok(m.baselines!['random-init model'] < 0.5, `${key}: random twin ${m.baselines!['random-init model']}`);
    assert.ok(r.metrics[`probe_r2${key}`].model > 0.95);
  }
  assert.ok(r.metrics['probe_r2/pole angular velocity@0']);
});

test("state probe: each variable's R² carries its 95 % interval over held-out episodes; one episode the features miss widens it", async () => {
  const held = episodes(8, 300);
  const probe = async (missed: Episode | null) => {
    const rng = new Rng(9);
    // Features: the cart position, exact on every episode but `missed`, where it is off by unit noise.
    const model = fakeModel({
      features: (ep, t) => Float32Array.from([stateOf(ep, t)[0] + (ep === missed ? rng.normal() : 0), 1]),
    });
    const stateNames = ['cart position', 'cos pole angle', 'sin pole angle', 'cart velocity', 'pole angular velocity'];
    return (await measureStateProbe(model, TRAIN, held, { seed: 0, stateNames })).metrics;
  };
  const clean = (await probe(null))['probe_r2/cart position@0'];
  const [cLo, cHi] = clean.ci95!;
  assert.ok(clean.model > 0.99 && cLo > 0.99 && cHi <= 1, `exact features: ${clean.model} [${cLo}, ${cHi}]`);
  const m = (await probe(held[3]))['probe_r2/cart position@0'];
  const [lo, hi] = m.ci95!;
  assert.ok(lo <= m.model && m.model <= hi, `${m.model} in [${lo}, ${hi}]`);
  assert.ok(hi - lo > 0.1, `one missed episode of 8: [${lo}, ${hi}]`);
  assert.ok(hi > 0.99, 'resamples without the missed episode read ≈ 1');
});

test('state probe: episodes without a state give a note, not an error', async () => {
  const strip = (e: Episode): Episode => ({ ...e, extra: undefined });
  const model = fakeModel({ features: () => Float32Array.of(1, 2) });
  const r = await measureStateProbe(model, TRAIN.map(strip), HELD, { seed: 0 });
  assert.deepEqual(r.metrics, {});
  assert.match(r.notes.join(' '), /no state in these episodes/);
});

test('state probe: an angle named in stateAngles is probed as its cos and sin; left raw, a winding angle is unfair', async () => {
  // A heading that winds past ±π (as Box2D's hull angle): the picture — here the features — sees only cos and sin.
  const withHeading = (ep: Episode, i: number): Episode => {
    const T = ep.imageShape[0];
    const data = new Float32Array(T * 2);
    for (let t = 0; t < T; t++) {
      data[t * 2] = stateOf(ep, t)[0];
      data[t * 2 + 1] = (i % 3) * 2 * Math.PI + 0.4 * t;
    }
    return { ...ep, extra: { state: { dtype: 'float32', shape: [T, 2], data } } };
  };
  const train = TRAIN.map(withHeading);
  const held = HELD.map((e, i) => withHeading(e, i + 1));
  const model = fakeModel({
    features: (ep, t) => {
      const [x, a] = stateOf(ep, t);
      return Float32Array.of(x, Math.cos(a), Math.sin(a));
    },
  });
  const stateNames = ['x', 'heading'];
  const r = await measureStateProbe(model, train, held, { seed: 0, stateNames, stateAngles: ['heading'] });
  assert.equal(r.metrics['probe_r2/heading@0'], undefined);
  for (const k of ['x', 'cos heading', 'sin heading'])
    assert.ok(r.metrics[`probe_r2/${k}@0`].model > 0.99, `${k}: R² ${JSON.stringify(r.metrics)}`);
  const raw = await measureStateProbe(model, train, held, { seed: 0, stateNames });
  assert.ok(raw.metrics['probe_r2/heading@0'].model < 0.5, `raw heading R² ${raw.metrics['probe_r2/heading@0'].model}`);
});

test('state probe: a variable that hardly varies on the held-out episodes is noted (its R² says little); as collected, not', async () => {
  // Held-out copies whose first state column is scaled by 0.1: its variance 100× below what it was.
  const squeeze = (ep: Episode): Episode => {
    const s = episodeState(ep)!;
    const T = s.data.length / s.dim;
    const data = Float32Array.from(s.data);
    for (let t = 0; t < T; t++) data[t * s.dim] *= 0.1;
    return { ...ep, extra: { state: { dtype: 'float32', shape: [T, s.dim], data } } };
  };
  const names = ['cart position', 'cos pole angle', 'sin pole angle', 'cart velocity', 'pole angular velocity'];
  const model = fakeModel({ features: (ep, t) => stateOf(ep, t) });
  const narrow = await measureStateProbe(model, TRAIN, HELD.map(squeeze), { seed: 0, stateNames: names });
  const about = (notes: string[]) => notes.filter((n) => n.startsWith("state probe: 'cart position' varies"));
  assert.equal(about(narrow.notes).length, 1, narrow.notes.join('\n'));
  assert.match(about(narrow.notes)[0], /varies [0-9.]+× less on the held-out episodes/);
  const plain = await measureStateProbe(model, TRAIN, HELD, { seed: 0, stateNames: names });
  assert.deepEqual(about(plain.notes), [], plain.notes.join('\n'));
});

test('state probe: episodes recorded before the env appended state variables keep the first names (car-racing: 11 of 13)', async () => {
  const train = TRAIN.map((e) => ({ ...e }));
  const model = fakeModel({ features: (ep, t) => Float32Array.of(stateOf(ep, t)[0]) });
  const dim = episodeState(TRAIN[0])!.dim;
  const names = Array.from({ length: dim }, (_, i) => `v${i}`);
  const r = await measureStateProbe(model, train, HELD, { seed: 0, stateNames: [...names, 'appended later'] });
  assert.ok(r.metrics['probe_r2/v0@0'], Object.keys(r.metrics).join(', '));
  assert.equal(r.metrics['probe_r2/appended later@0'], undefined);
});

/** Episodes whose one state variable v = 3 sin(0.2 t + phase) sweeps well past ±1 (a phase per episode). */
function sineEpisodes(): { train: Episode[]; held: Episode[] } {
  const withV = (ep: Episode, i: number): Episode => {
    const T = ep.imageShape[0];
    const data = Float32Array.from({ length: T }, (_, t) => 3 * Math.sin(0.2 * t + i));
    return { ...ep, extra: { state: { dtype: 'float32', shape: [T, 1], data } } };
  };
  return { train: TRAIN.map(withV), held: HELD.map((e, i) => withV(e, i + 7)) };
}

test('state probe region: features that show a variable only inside the region read it exactly there, and are scored there too', async () => {
  // Like car-racing's track offset: the features saturate outside |v| ≤ 1 (the view shows grass), so one linear
  // read-out over every frame is bent, while within the region it is exact.
  const { train, held } = sineEpisodes();
  const rng = new Rng(3);
  const model = fakeModel({
    features: (ep, t) => Float32Array.of(Math.max(-1, Math.min(1, stateOf(ep, t)[0])), 1),
    twin: { features: () => Float32Array.of(rng.normal(), rng.normal()) },
  });
  const stateRegion = { name: 'on road', variable: 'v', maxAbs: 1 };
  const r = await measureStateProbe(model, train, held, { seed: 0, stateNames: ['v'], stateRegion });
  for (const k of ['@0', `@${PROBE_STEPS}`]) {
    const inside = r.metrics[`probe_r2 on road/v${k}`];
    assert.ok(inside, `probe_r2 on road/v${k} reported: ${Object.keys(r.metrics)}`);
    assert.ok(inside.model > 0.99, `${k} in the region: R² ${inside.model}`);
    assert.ok(inside.baselines!['random-init model'] < 0.5, `${k}: twin ${inside.baselines!['random-init model']}`);
    assert.ok(r.metrics[`probe_r2 on road${k}`].model > 0.99);
    assert.ok(
      r.metrics[`probe_r2/v${k}`].model < 0.95,
      `${k} over every frame: R² ${r.metrics[`probe_r2/v${k}`].model}`,
    );
  }
  const [lo, hi] = r.metrics['probe_r2 on road/v@0'].ci95!;
  assert.ok(lo > 0.99 && hi <= 1, `interval [${lo}, ${hi}]`);
  assert.match(
    r.notes.join('\n'),
    /state probe on road: also fitted and scored on the frames where \|v\| ≤ 1 alone \(\d+ % of the held-out frames/,
  );
  // Not asked, or asked of a variable these episodes lack: no region keys (the latter with a note).
  const plain = await measureStateProbe(model, train, held, { seed: 0, stateNames: ['v'] });
  assert.deepEqual(
    Object.keys(plain.metrics).filter((k) => k.includes('on road')),
    [],
  );
  const lacking = await measureStateProbe(model, train, held, {
    seed: 0,
    stateNames: ['v'],
    stateRegion: { ...stateRegion, variable: 'track offset' },
  });
  assert.deepEqual(
    Object.keys(lacking.metrics).filter((k) => k.includes('on road')),
    [],
  );
  assert.match(
    lacking.notes.join('\n'),
    /state probe on road: these episodes have no 'track offset' column, so it is skipped/,
  );
});

test('state probe calibration: where features saturate, the read is flat across the outer bins and holds the error there', async () => {
  const { train, held } = sineEpisodes();
  const rng = new Rng(3);
  const probe = (clip: number) =>
    measureStateProbe(
      fakeModel({
        features: (ep, t) => Float32Array.of(Math.max(-clip, Math.min(clip, stateOf(ep, t)[0])), 1),
        twin: { features: () => Float32Array.of(rng.normal(), rng.normal()) },
      }),
      train,
      held,
      { seed: 0, stateNames: ['v'] },
    );
  const bent = (await probe(1)).calibration.v;
  const rows = held.reduce((n, e) => n + e.imageShape[0], 0);
  assert.equal(
    bent.reduce((n, b) => n + b.n, 0),
    rows,
    'every held-out frame (@0) is in a bin',
  );
  // Beyond |v| = 1 every frame has the same features, so the same read: the outer bins read alike though their
  // true values differ by more than a bin.
  const [a, b] = [bent[0], bent[1]];
  const [y, z] = [bent[bent.length - 1], bent[bent.length - 2]];
  assert.ok(a.hi < -1 && b.hi < -1 && y.lo > 1 && z.lo > 1, 'two bins beyond each saturation');
  assert.ok(
    Math.abs(a.read - b.read) < 1e-6 && Math.abs(y.read - z.read) < 1e-6,
    `flat: ${a.read} ${b.read} ${y.read} ${z.read}`,
  );
  assert.ok(b.truth - a.truth > 0.5 && y.truth - z.truth > 0.5);
  assert.ok(a.error_share + y.error_share > 0.3, `the extremes hold the error: ${a.error_share} + ${y.error_share}`);
  // Features that never saturate read every bin on the diagonal.
  for (const c of (await probe(10)).calibration.v)
    assert.ok(Math.abs(c.read - c.truth) < 1e-3, `unbent: ${c.truth} → ${c.read}`);
});

test('state probe MLP: features that hold v bent (its cos and sin) read it through the MLP, not linearly; the random twin reads little either way', async () => {
  const { train, held } = sineEpisodes();
  const rng = new Rng(4);
  const model = fakeModel({
    features: (ep, t) => Float32Array.of(Math.cos(stateOf(ep, t)[0]), Math.sin(stateOf(ep, t)[0]), 1),
    twin: { features: () => Float32Array.of(rng.normal(), rng.normal(), rng.normal()) },
  });
  const r = await measureStateProbe(model, train, held, { seed: 0, stateNames: ['v'] });
  {
    const k = '@0';
    const mlp = r.metrics[`probe_mlp_r2/v${k}`];
    assert.ok(mlp, `probe_mlp_r2/v${k} reported: ${Object.keys(r.metrics)}`);
    assert.equal(mlp.lower_is_better, false);
    assert.ok(mlp.model > 0.9, `${k}: MLP R² ${mlp.model}`);
    assert.ok(r.metrics[`probe_r2/v${k}`].model < 0.8, `${k}: linear R² ${r.metrics[`probe_r2/v${k}`].model}`);
    assert.ok(mlp.baselines!['random-init model'] < 0.3, `${k}: twin ${mlp.baselines!['random-init model']}`);
    assert.equal(r.metrics[`probe_mlp_r2${k}`].model, mlp.model, 'one variable: the mean is its R²');
  }
  assert.equal(r.metrics[`probe_mlp_r2/v@${PROBE_STEPS}`], undefined, 'not read on the dream');
  const [lo, hi] = r.metrics['probe_mlp_r2/v@0'].ci95!;
  assert.ok(lo <= r.metrics['probe_mlp_r2/v@0'].model && hi <= 1, `interval [${lo}, ${hi}]`);
});

test('probeTargets: an angle becomes cos, sin; a stateFromStart variable is appended as its change since t = 0', () => {
  const s = { dim: 2, data: Float32Array.of(5, 0.5, 7, 2.5, 4, -3) }; // rows [x, a]
  const layout = probeLayout(['x', 'a'], ['a'], ['x', 'a']);
  assert.deepEqual(probeTargetNames(['x', 'a'], layout), [
    'x',
    'cos a',
    'sin a',
    'x from start',
    'cos a from start',
    'sin a from start',
  ]);
  const row = (x: number, a: number) => [x, Math.cos(a), Math.sin(a), x - 5, Math.cos(a - 0.5), Math.sin(a - 0.5)];
  const want = [...row(5, 0.5), ...row(7, 2.5), ...row(4, -3)];
  const got = probeTargets(s, layout);
  assert.equal(got.dim, 6);
  want.forEach((v, i) => assert.ok(Math.abs(got.data[i] - v) < 1e-6, `${i}: ${got.data[i]} vs ${v}`));
  assert.equal(probeTargets(s, probeLayout(['x', 'a'])), s, 'nothing to expand: the state itself');
});

test('state probe: a variable named in stateFromStart is scored from the start too; a model of the motion scores ≈ 1 there, the unseen absolute pose not shrinking it (a ridge penalty per variable)', async () => {
  // Car-racing's case: every episode starts somewhere else (x0, heading h0 from the random track), which no frame
  // shows; a model that integrates the motion knows x − x0 and h − h0, and the absolute pose only by luck. With one
  // penalty for all, chosen on the mean validation R², the absolute variables pulled it to the largest α and the
  // from-start read-outs fell to R² 0.53–0.73.
  const withPose = (ep: Episode, i: number): Episode => {
    const T = ep.imageShape[0];
    const x0 = [0, 80, -60, 150, -120, 40][i];
    const h0 = 1.3 * i;
    const data = new Float32Array(T * 2);
    for (let t = 0; t < T; t++) {
      data[t * 2] = x0 + (i % 2 ? 0.5 : -0.3) * t + Math.sin(0.3 * t + i);
      data[t * 2 + 1] = h0 + (i % 3 === 1 ? -0.06 : 0.05) * t;
    }
    return { ...ep, extra: { state: { dtype: 'float32', shape: [T, 2], data } } };
  };
  const train = TRAIN.map(withPose);
  const held = HELD.map((e, i) => withPose(e, i + 4));
  const model = fakeModel({
    features: (ep, t) => {
      const [x, h] = stateOf(ep, t);
      const [x0, h0] = stateOf(ep, 0);
      return Float32Array.of(x - x0, Math.cos(h - h0), Math.sin(h - h0));
    },
  });
  const opts = { seed: 0, stateNames: ['x', 'heading'], stateAngles: ['heading'] };
  const r = await measureStateProbe(model, train, held, { ...opts, stateFromStart: ['x', 'heading'] });
  for (const k of ['x from start', 'cos heading from start', 'sin heading from start'])
    assert.ok(r.metrics[`probe_r2/${k}@0`].model > 0.99, `${k}: R² ${JSON.stringify(r.metrics)}`);
  assert.ok(r.metrics['probe_r2/x@0'].model < 0.5, `absolute x R² ${r.metrics['probe_r2/x@0'].model}`);
  const plain = await measureStateProbe(model, train, held, opts);
  assert.equal(plain.metrics['probe_r2/x from start@0'], undefined, 'not asked for: not reported');
});

test("evaluate: car-racing data is probed on its hull angle's cos and sin, on its pose since the start and on the road alone (the env's stateAngles, stateFromStart and stateRegion reach the probe)", async () => {
  const env = makeEnv('car-racing', { size: S, maxSteps: 12 });
  const eps = Array.from(
    { length: 5 },
    (_, i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), 50 + i).episode,
  );
  const model = fakeModel({ features: (ep, t) => Float32Array.from(stateOf(ep, t)) });
  const data = { dataset: null, env: 'car-racing', actionSpace: env.actionSpace, imageSize: S };
  const r = await evaluateModel(model, { ...data, train: eps.slice(0, 3), heldOut: eps.slice(3) }, { seed: 0 });
  assert.ok(r.metrics['probe_r2/cos angle@0'] && r.metrics['probe_r2/sin angle@0'], Object.keys(r.metrics).join(' '));
  assert.equal(r.metrics['probe_r2/angle@0'], undefined);
  for (const k of ['x from start', 'y from start', 'cos angle from start', 'sin angle from start'])
    assert.ok(r.metrics[`probe_r2/${k}@0`], `${k}: the env's stateFromStart reaches the probe`);
  for (const k of ['track offset', 'cos heading to track', 'sin heading to track'])
    assert.ok(r.metrics[`probe_r2 on road/${k}@0`], `${k}: the env's stateRegion reaches the probe`);
});

test(`state probe: fitted on every training row up to MAX_FIT_ROWS (${MAX_FIT_ROWS}), so a per-frame lookup is read exactly`, async () => {
  // A state that is an arbitrary function of the frame index, features one-hot of it: the probe is a lookup table
  // and reads a held-out frame only if that frame index was among its fitting rows. 3,280 training rows: a cap at
  // 3,000 (the old one) strides by 2 and never sees odd frames.
  const T = TRAIN[0].imageShape[0];
  const value = (t: number) => Math.sin(t * 2.3) + 0.5 * Math.cos(t * 7.1);
  const withLookup = (ep: Episode): Episode => ({
    ...ep,
    extra: { state: { dtype: 'float32', shape: [T, 1], data: Float32Array.from({ length: T }, (_, t) => value(t)) } },
  });
  const train = Array.from({ length: Math.ceil(3200 / T) }, () => withLookup(TRAIN[0]));
  assert.ok(train.length * T > 3000 && train.length * T <= MAX_FIT_ROWS);
  const model = fakeModel({ features: (_ep, t) => Float32Array.from({ length: T }, (_, j) => (j === t ? 1 : 0)) });
  const r = await measureStateProbe(model, train, [withLookup(HELD[0])], { seed: 0, stateNames: ['v'] });
  assert.ok(r.metrics['probe_r2/v@0'].model > 0.99, `R² ${r.metrics['probe_r2/v@0'].model}`);
});
