import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { disagreementReward, ensembleLoss, initEnsemble, offsetPairs } from '../../../core/agents/disagreement.ts';
import { distancePairs, futureGoalIdxs } from '../../../core/agents/temporal-distance.ts';
import { Achiever } from '../../../core/agents/achiever.ts';
import { Plan2Explore } from '../../../core/agents/plan2explore.ts';
import { EveryNCalls, Lexa } from '../../../core/agents/lexa.ts';
import { actorForward } from '../../../core/agents/actor.ts';
import { modeAction } from '../../../core/agents/action-dist.ts';
import { LEXA_DEBUG, type AchieverConfig } from '../../../core/models/lexa-config.ts';
import { type Params, mlp } from '../../../core/models/nn.ts';
import { Rng } from '../../../core/util/rng.ts';
import { GoalWorld } from './goal-world.ts';
import { PointWorld, randomStarts } from './point-world.ts';

const fx = JSON.parse(readFileSync(new URL('../../fixtures/lexa/fixtures.json', import.meta.url), 'utf8'));

before(async () => {
  await initBackend('cpu');
});

test('disagreement reward = log(mean over dims of the ensemble std) and the ensemble loss match numpy on a fixed ensemble', () => {
  const d = fx.disagreement;
  const p: Params = {};
  const shape = { models: d.K, layers: 1, units: d.U, act: 'elu' as const };
  initEnsemble(p, shape, d.F, d.D, new Rng(1));
  d.heads.forEach((h: Record<string, number[]>, k: number) => {
    for (const [name, v] of Object.entries(h)) p[`ens${k}/${name}`].assign(tf.tensor(v, p[`ens${k}/${name}`].shape));
  });
  const feat = tf.tensor2d(d.feat, [d.N, d.F]);
  const target = tf.tensor2d(d.target, [d.N, d.D]);
  const close = (a: ArrayLike<number>, b: number[], what: string) =>
    b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-4, `${what}[${i}]: ${a[i]} vs numpy ${v}`));
  const rLog = disagreementReward(p, shape, feat, { log: true, scale: 1 });
  close(rLog.dataSync(), d.reward_log, 'log reward');
  const rRaw = disagreementReward(p, shape, feat, { log: false, scale: 2 });
  close(
    rRaw.dataSync(),
    d.reward_raw.map((v: number) => 2 * v),
    'scaled raw reward',
  );
  const loss = ensembleLoss(p, shape, feat, target);
  close(loss.dataSync(), [d.loss], 'ensemble loss');
  tf.dispose([feat, target, rLog, rRaw, loss]);
  for (const v of Object.values(p)) v.dispose();
});

test('ensemble pairs: features of (b, t) predict the state of (b, t + offset) within each window only', () => {
  const { inputs, targets } = offsetPairs(6, 3, 1);
  assert.deepEqual(inputs, [0, 1, 3, 4]);
  assert.deepEqual(targets, [1, 2, 4, 5]);
  assert.equal(offsetPairs(4, 1, 1).inputs.length, 0, 'windows of one state have no successor');
});

test('temporal-distance targets: the positive grid and steps-to-go labels match the reference; negatives come from other windows', () => {
  const t = fx.temporal;
  const grid = futureGoalIdxs(t.seq_len, t.bs);
  assert.deepEqual(grid.cur, t.cur);
  assert.deepEqual(grid.goal, t.goal);
  const pairs = distancePairs(t.seq_len, t.bs, 1, t.chosen.length, 0, new Rng(3), t.chosen);
  t.chosen.forEach((i: number, k: number) => {
    assert.equal(pairs.cur[k], t.cur[i][0] * t.bs + t.cur[i][1]);
    assert.equal(pairs.goal[k], t.goal[i][0] * t.bs + t.goal[i][1]);
    assert.ok(Math.abs(pairs.label[k] - t.pos_labels[k]) < 1e-12, `label ${k}`);
  });
  // Negatives: ⌊0.1·positives⌋ of them, goal trajectory in another replay window (window = 2 trajectories), label L/L.
  const M = 6;
  const neg = distancePairs(5, M, 2, 40, 0.1, new Rng(4));
  assert.equal(neg.label.length, 44);
  const many = distancePairs(5, M, 2, 100, 2, new Rng(4));
  for (let k = 100; k < 300; k++)
    assert.notEqual(Math.floor((many.cur[k] % M) / 2), Math.floor((many.goal[k] % M) / 2), `negative ${k}`);
  for (let k = 40; k < 44; k++) {
    const bc = neg.cur[k] % M;
    const bg = neg.goal[k] % M;
    assert.notEqual(Math.floor(bc / 2), Math.floor(bg / 2), `negative ${k} pairs two trajectories of one window`);
    assert.equal(neg.label[k], t.neg_label);
  }
});

test('expl_every_ep follows tools.EveryNCalls: explorer on calls 1, 4, 6, 8, … for N = 2', () => {
  const e = new EveryNCalls(2);
  const seq = Array.from({ length: 9 }, () => e.call());
  assert.deepEqual(seq, [true, false, false, true, false, true, false, true, false]);
  assert.deepEqual(
    Array.from({ length: 3 }, () => new EveryNCalls(0).call()),
    [false, false, false],
  );
});

function trainPlan2Explore(p2e: Plan2Explore, wm: PointWorld, updates: number, seed: number): Record<string, number>[] {
  const rng = new Rng(seed);
  const out: Record<string, number>[] = [];
  for (let i = 0; i < updates; i++) {
    // Windows of 4 consecutive points moving right by 0.1: the ensemble learns s_{t+1} = s_t + (0.1, 0).
    const x0 = randomStarts(8, rng.int(2 ** 31));
    const starts = {
      pos: tf.tidy(() =>
        tf.reshape(
          tf.stack(
            [0, 1, 2, 3].map((t) => tf.add(x0.pos, [0.1 * t, 0])),
            1,
          ),
          [32, 2],
        ),
      ),
    };
    wm.disposeState(x0);
    try {
      out.push(p2e.update(wm, starts, rng.int(2 ** 31), { seqLength: 4 }).metrics);
    } finally {
      wm.disposeState(starts);
    }
  }
  return out;
}

test('plan2explore fits its ensemble to consecutive states, trains its actor on the disagreement, keeps tensors flat, restores exactly', () => {
  const wm = new PointWorld(false);
  const p2e = new Plan2Explore(LEXA_DEBUG.explorer, wm, 1);
  const first = trainPlan2Explore(p2e, wm, 3, 1);
  const n0 = tf.memory().numTensors;
  const later = trainPlan2Explore(p2e, wm, 60, 2);
  assert.equal(tf.memory().numTensors, n0, 'numTensors flat');
  assert.ok(
    later.at(-1)!.ensemble_loss < first[0].ensemble_loss - 0.5,
    `ensemble loss ${first[0].ensemble_loss} → ${later.at(-1)!.ensemble_loss}`,
  );
  assert.ok(Number.isFinite(later.at(-1)!.imag_reward), 'intrinsic reward reaches the actor-critic');
  const ck = p2e.checkpoint();
  assert.ok(Object.keys(ck.tensors).some((k) => k.startsWith('ens2/')) && 'ensembleT' in ck.state);
  const saved = {
    tensors: Object.fromEntries(Object.entries(ck.tensors).map(([k, t]) => [k, tf.clone(t)])),
    state: { ...ck.state },
  };
  const b = new Plan2Explore(LEXA_DEBUG.explorer, wm, 99);
  b.restore(saved);
  tf.dispose(Object.values(saved.tensors));
  assert.deepEqual(trainPlan2Explore(b, wm, 2, 5), trainPlan2Explore(p2e, wm, 2, 5));
  p2e.dispose();
  b.dispose();
});

const H = 10;
const RADIUS = 0.3;

function achieverConfig(reward: AchieverConfig['reward'], input: 'embed' | 'stoch' = 'embed'): AchieverConfig {
  const ac = LEXA_DEBUG.achiever.actorCritic;
  return {
    ...LEXA_DEBUG.achiever,
    reward,
    temporal: {
      ...LEXA_DEBUG.achiever.temporal,
      layers: 2,
      units: 64,
      lr: 3e-3,
      positives: 256,
      input,
      embedHead: { ...LEXA_DEBUG.achiever.temporal.embedHead, layers: 1, units: 32, lr: 1e-2 },
    },
    actorCritic: {
      ...ac,
      horizon: H,
      gamma: 0.9,
      actor: { ...ac.actor, lr: 3e-3, units: 64 },
      critic: { ...ac.critic, lr: 3e-3, units: 64, slowEvery: 10 },
    },
  };
}

/** Fraction of (start, held-out goal) pairs whose final position after H steps is within RADIUS of the goal. */
function successRate(wm: GoalWorld, ach: Achiever | null, seed: number): number {
  const n = 256;
  const rng = new Rng(seed);
  return tf.tidy(() => {
    const starts = { pos: tf.randomUniform([n, 2], -1, 1, 'float32', rng.int(2 ** 31)) };
    const goals = tf.randomUniform([n, 2], -1, 1, 'float32', rng.int(2 ** 31)) as tf.Tensor2D;
    const policy = ach
      ? (f: tf.Tensor2D) =>
          modeAction(
            actorForward(ach.ac.actor, ach.ac.config, ach.ac.distKind, tf.concat([f, goals], -1) as tf.Tensor2D),
          )
      : () => tf.randomUniform([n, 2], -1, 1, 'float32', rng.int(2 ** 31)) as tf.Tensor2D;
    const im = wm.imagine(starts, policy, H);
    const last = tf.reshape(tf.slice(im.features, [H, 0, 0], [1, n, 2]), [n, 2]);
    const dist = tf.norm(tf.sub(last, goals), 'euclidean', -1);
    return tf.mean(tf.cast(tf.less(dist, RADIUS), 'float32')).dataSync()[0];
  });
}

for (const [reward, input] of [
  ['cosine', 'stoch'],
  ['temporal', 'stoch'],
  ['temporal', 'embed'],
] as const) {
  const label = reward === 'cosine' ? reward : `${reward} on ${input}`;
  test(`achiever (${label} reward) reaches held-out goal embeddings at least twice as often as random actions`, () => {
    const wm = new GoalWorld();
    const ach = new Achiever(achieverConfig(reward, input), wm, 3);
    const random = successRate(wm, null, 777);
    const rng = new Rng(11);
    const t0 = performance.now();
    const n0 = tf.memory().numTensors;
    // 75 updates (was 150; session 19 measured the success rate every 15 updates with this Rng seed 11 and with 5):
    // cosine and temporal-on-stoch 0.83–1.0 from 30 updates on; temporal-on-embed 0.38–0.46 at 45, 0.62–0.99 at 60,
    // 0.95–1.0 at 75. The bar below is 0.2 and twice random (0.04); an actor that does not learn stays near random.
    for (let i = 0; i < 75; i++) {
      const starts = randomStarts(64, rng.int(2 ** 31));
      // Training goals: positions of other states of the batch (replay frames' embeddings, as LEXA's `batch` goals).
      // The embed head learns from the batch's own (state, embedding) rows, so there they are the starts' own.
      const embeds =
        input === 'embed'
          ? (tf.clone(starts.pos) as tf.Tensor2D)
          : (tf.randomUniform([64, 2], -1, 1, 'float32', rng.int(2 ** 31)) as tf.Tensor2D);
      try {
        const u = ach.update(wm, starts, rng.int(2 ** 31), { seqLength: 1, embeds });
        assert.ok(u.applied, u.reason);
      } finally {
        wm.disposeState(starts);
        embeds.dispose();
      }
    }
    assert.equal(tf.memory().numTensors, n0, 'numTensors flat over achiever updates');
    const trained = successRate(wm, ach, 777);
    console.log(
      `achiever ${label}: success random ${random.toFixed(3)}, trained ${trained.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    assert.ok(trained >= 2 * random && trained > 0.2, `trained ${trained} vs random ${random}`);
    ach.dispose();
  });
}

test('temporal reward on embeddings: −D([embed head(f), goal embedding]); the head fits ½‖head(f) − embed‖² on the batch', () => {
  const wm = new GoalWorld();
  const ach = new Achiever(achieverConfig('temporal', 'embed'), wm, 5);
  const rng = new Rng(3);
  const feat = tf.tensor2d([0.2, -0.4, 1, -0.7, 0.5, 1], [2, 3]);
  const goalFeat = tf.tensor2d([0.1, 0.1, 1, 0.9, -0.3, 1], [2, 3]);
  const goalEmbed = tf.tensor2d([0.3, -0.2, -0.5, 0.6], [2, 2]); // not the goal features' stoch part
  const expected = tf.tidy(() =>
    Array.from(
      tf
        .neg(mlp(ach.dd, 'dd', tf.concat([ach.predictEmbed(feat), goalEmbed], -1) as tf.Tensor2D, 2, 'relu'))
        .dataSync(),
    ),
  );
  const got = tf.tidy(() => Array.from(ach.reward(wm, feat, goalFeat, goalEmbed).dataSync()));
  assert.deepEqual(got, expected);
  assert.throws(() => ach.reward(wm, feat, goalFeat), /needs the goals' encoder embeddings/);
  // The head's loss on a batch whose embeddings are the positions falls as it trains (it is fitted on the batch).
  const losses: number[] = [];
  for (let i = 0; i < 60; i++) {
    const starts = randomStarts(32, rng.int(2 ** 31));
    const embeds = tf.clone(starts.pos) as tf.Tensor2D;
    const want = tf.tidy(
      () =>
        tf
          .mul(tf.mean(tf.sum(tf.square(tf.sub(ach.predictEmbed(wm.features(starts)), embeds)), -1)), 0.5)
          .dataSync()[0],
    );
    const m = ach.update(wm, starts, rng.int(2 ** 31), { seqLength: 4, embeds }).metrics;
    assert.ok(Math.abs(m.embed_head_loss - want) < 1e-5, `head loss ${m.embed_head_loss} vs ½‖·‖² ${want}`);
    losses.push(m.embed_head_loss);
    wm.disposeState(starts);
    embeds.dispose();
  }
  assert.ok(losses.at(-1)! < 0.2 * losses[0], `embed head loss ${losses[0]} → ${losses.at(-1)}`);
  tf.dispose([feat, goalFeat, goalEmbed]);
  ach.dispose();
});

test('the achiever refuses a world model without an encoder, naming what it needs', () => {
  assert.throws(
    () => new Achiever(LEXA_DEBUG.achiever, new PointWorld(false), 1),
    /needs a world model with an image encoder/,
  );
});

test('LEXA checkpoints explorer and achiever as sub-groups with its turn counter; a restored copy continues identically', () => {
  const wm = new GoalWorld();
  const config = { ...LEXA_DEBUG, achiever: achieverConfig('temporal') };
  const run = (l: Lexa, seed: number) => {
    const rng = new Rng(seed);
    const starts = randomStarts(16, rng.int(2 ** 31));
    const embeds = tf.randomUniform([16, 2], -1, 1, 'float32', rng.int(2 ** 31)) as tf.Tensor2D;
    try {
      return l.update(wm, starts, rng.int(2 ** 31), { seqLength: 4, embeds }).metrics;
    } finally {
      wm.disposeState(starts);
      embeds.dispose();
    }
  };
  const a = new Lexa(config, wm, 1);
  run(a, 1);
  a.beginEpisode();
  a.beginEpisode();
  const ck = a.checkpoint();
  assert.ok(Object.keys(ck.tensors).some((k) => k.startsWith('explorer/ens0/')));
  assert.ok(Object.keys(ck.tensors).some((k) => k.startsWith('achiever/dd/')));
  assert.ok(Object.keys(ck.tensors).some((k) => k.startsWith('achiever/ep/')));
  assert.ok(Object.keys(ck.tensors).some((k) => k.startsWith('achiever/opt_ep/')));
  const saved = {
    tensors: Object.fromEntries(Object.entries(ck.tensors).map(([k, t]) => [k, tf.clone(t)])),
    state: JSON.parse(JSON.stringify(ck.state)),
  };
  const b = new Lexa(config, wm, 42);
  b.restore(saved);
  tf.dispose(Object.values(saved.tensors));
  assert.deepEqual(run(b, 7), run(a, 7));
  assert.deepEqual([b.beginEpisode(), b.beginEpisode()], [a.beginEpisode(), a.beginEpisode()]);
  a.dispose();
  b.dispose();
});
