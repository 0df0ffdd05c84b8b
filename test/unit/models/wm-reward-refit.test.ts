// rnn.rewardRefitHorizon (issue 11 item 3): after M's training its reward column is refitted by ridge on M's own
// states — teacher-forced along the training episodes and open loop (rollouts of K steps under the recorded actions
// at the dream's temperature from frames 0, K, 2K, …) — against the real rewards. The rows must be the states M's
// dream kernel reaches, the fit must be the least-squares line, it must lower the open-loop reward error on
// episodes it never saw where the teacher-forced head is wrong, and the family must write it into M's params
// (checkpoint, eval, dreams) before the controller phase, leak nothing, and leave the paper's head alone at 0.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { Rng } from '../../../core/util/rng.ts';
import { disposeParams, type Params } from '../../../core/models/nn.ts';
import {
  PRESETS,
  parseWorldModelsConfig,
  resolveWorldModelsConfig,
  type RnnConfig,
} from '../../../core/models/world-models/config.ts';
import { initMdnRnn } from '../../../core/models/world-models/mdn-rnn.ts';
import { exportMdnWeights } from '../../../core/models/world-models/controller.ts';
import { MdnCell, rewardColumn, type MdnWeights } from '../../../core/models/world-models/dream-kernel.ts';
import type { WmEpisode } from '../../../core/models/world-models/data.ts';
import {
  fitDoneColumn,
  fitRewardColumn,
  refitRewardHead,
  rewardRefitRows,
  rewardRowsMse,
} from '../../../core/models/world-models/reward-refit.ts';
import { worldModelsFamily } from '../../../core/models/world-models/family.ts';
import { cartpoleTrainData } from '../data/helpers.ts';

before(async () => {
  await initBackend();
});

const Z = 4;
const A = 2;
const H = 6;
const cfg: RnnConfig = { ...PRESETS.debug.rnn, hidden: H, mixtures: 2, rewardHead: true, doneHead: true };

function randomRnn(seed: number, scale = 0.5): Params {
  const p = initMdnRnn(cfg, { zDim: Z, actionDim: A }, new Rng(seed));
  const rng = new Rng(seed + 1);
  for (const v of Object.values(p))
    (v as tf.Variable).assign(
      tf.tensor(
        Float32Array.from({ length: v.size }, () => rng.normal() * scale),
        v.shape,
      ),
    );
  return p;
}

/** An encoded episode: random μ, σ = e^{−1}, actions; reward from `reward(t, μ)`; `terminal` rows as given. */
function episode(seed: number, T: number, reward: (t: number, mu: Float32Array) => number, terminal: number[] = []) {
  const rng = new Rng(seed);
  const mu = Float32Array.from({ length: T * Z }, () => rng.normal());
  const e: WmEpisode = {
    frames: new Uint8Array(0),
    T,
    action: Float32Array.from({ length: T * A }, () => rng.uniform(-1, 1)),
    reward: Float32Array.from({ length: T }, (_, t) => (t === 0 ? 0 : reward(t, mu))),
    terminal: Uint8Array.from({ length: T }, (_, t) => (terminal.includes(t) ? 1 : 0)),
    mu,
    logvar: new Float32Array(T * Z).fill(-2),
  };
  return e;
}

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('rows: teacher-forced h along each episode, then K-step rollouts from frames 0, K, 2K, … at τ, terminal rows left out', () => {
  const p = randomRnn(3);
  const w = exportMdnWeights(p, cfg, Z, A);
  // T = 7 with the transition into frame 5 terminal: 5 teacher-forced rows; K = 3: rollouts from frames 0 (3 steps)
  // and 3 (3 steps, the third into frame 6), frame 5's row left out of both.
  const eps = [episode(10, 7, (t) => t, [5]), episode(11, 3, (t) => 10 + t)];
  const o = { horizon: 3, temperature: 1.3, seed: 42 };
  const rows = rewardRefitRows(w, eps, o);
  assert.equal(rows.teacherForced, 5 + 2);
  assert.equal(rows.n, 2 * rows.teacherForced);
  // The same states computed here with the dream kernel, in the order the rows promise.
  const wantH: number[][] = [];
  const wantR: number[] = [];
  const wantTerminal: number[][] = [];
  const cell = new MdnCell(w);
  for (const e of eps) {
    cell.reset();
    for (let t = 0; t + 1 < e.T; t++) {
      cell.step(e.mu!.subarray(t * Z, (t + 1) * Z), e.action.subarray((t + 1) * A, (t + 2) * A));
      if (e.terminal[t + 1]) {
        wantTerminal.push(Array.from(cell.h));
        continue;
      }
      wantH.push(Array.from(cell.h));
      wantR.push(e.reward[t + 1]);
    }
  }
  const rng = new Rng(o.seed);
  for (const e of eps) {
    for (let s = 0; s + 1 < e.T; s += o.horizon) {
      // M's filtered state at frame s: the teacher-forced pass up to it.
      cell.reset();
      for (let t = 0; t < s; t++)
        cell.step(e.mu!.subarray(t * Z, (t + 1) * Z), e.action.subarray((t + 1) * A, (t + 2) * A));
      const z = new Float32Array(Z);
      for (let d = 0; d < Z; d++) z[d] = e.mu![s * Z + d] + Math.exp(e.logvar![s * Z + d] / 2) * rng.normal();
      for (let k = 1; k <= o.horizon && s + k < e.T; k++) {
        cell.step(z, e.action.subarray((s + k) * A, (s + k + 1) * A));
        cell.nextZ(o.temperature, rng, z);
        if (e.terminal[s + k]) {
          wantTerminal.push(Array.from(cell.h));
          continue;
        }
        wantH.push(Array.from(cell.h));
        wantR.push(e.reward[s + k]);
      }
    }
  }
  assert.equal(wantR.length, rows.n);
  // The terminal transition's states (teacher-forced, then open loop): the done fit's positives.
  assert.equal(rows.terminals, 2);
  wantTerminal.forEach((h, i) =>
    h.forEach((v, j) => assert.ok(Math.abs(rows.terminalH[i * H + j] - v) < 1e-6, `terminal ${i} h[${j}]`)),
  );
  assert.deepEqual(Array.from(rows.reward), wantR.map(Math.fround));
  wantH.forEach((h, i) =>
    h.forEach((v, j) =>
      assert.ok(Math.abs(rows.h[i * H + j] - v) < 1e-6, `row ${i} h[${j}]: ${rows.h[i * H + j]} vs ${v}`),
    ),
  );
  // Open-loop rows differ from the teacher-forced ones past the first step (the dream samples its own z).
  let differ = 0;
  for (let j = 0; j < H; j++) differ += Math.abs(rows.h[(7 + 1) * H + j] - rows.h[1 * H + j]);
  assert.ok(differ > 1e-3, 'the second open-loop row is the teacher-forced state');
  assert.throws(() => rewardRefitRows(w, eps, { ...o, horizon: 0 }), /horizon must be a positive integer, got 0/);
  disposeParams(p);
});

test('fit: the least-squares line in raw h (an exactly linear reward is recovered; residuals orthogonal to [h, 1])', () => {
  const rng = new Rng(7);
  const n = 400;
  const v = [0.5, -1.25, 2, 0, 0.75, -0.3];
  const rows = {
    h: Float32Array.from({ length: n * H }, () => rng.uniform(-1, 1)),
    reward: new Float32Array(n),
    n,
    teacherForced: n / 2,
    terminalH: new Float32Array(0),
    terminals: 0,
  };
  for (let i = 0; i < n; i++) rows.reward[i] = 0.8 + v.reduce((s, c, f) => s + c * rows.h[i * H + f], 0);
  const exact = fitRewardColumn(rows, H);
  // Ridge λ = 1e-3 per row on standardised h: a shrinkage of about λ/Var(h) = 0.3 %.
  v.forEach((c, f) => close(exact.w[f], c, 0.01, `w[${f}]`));
  close(exact.b, 0.8, 0.01, 'b');
  // Noisy targets: the normal equations of the plain least squares hold up to the ridge term.
  for (let i = 0; i < n; i++) rows.reward[i] += rng.normal();
  const fit = fitRewardColumn(rows, H);
  const res = Array.from({ length: n }, (_, i) => {
    let y = fit.b;
    for (let f = 0; f < H; f++) y += fit.w[f] * rows.h[i * H + f];
    return rows.reward[i] - y;
  });
  close(
    res.reduce((a, b) => a + b, 0),
    0,
    1e-6,
    'Σ residual',
  );
  for (let f = 0; f < H; f++) {
    const dot = res.reduce((s, r, i) => s + r * rows.h[i * H + f], 0);
    assert.ok(Math.abs(dot) < 0.01 * n, `Σ residual·h[${f}] = ${dot}`);
  }
});

/** M whose reward column is the teacher-forced least-squares fit (what gradient training converges to). */
function teacherForcedHead(w: MdnWeights, eps: WmEpisode[]): void {
  const rows = rewardRefitRows(w, eps, { horizon: 1, temperature: 1, seed: 0 });
  const tfRows = { ...rows, h: rows.h.subarray(0, rows.teacherForced * H), n: rows.teacherForced };
  tfRows.reward = rows.reward.subarray(0, rows.teacherForced);
  const { w: col, b } = fitRewardColumn(tfRows, H);
  const O = w.headB.length;
  for (let f = 0; f < H; f++) w.headW[f * O + rewardColumn(w)] = col[f];
  w.headB[rewardColumn(w)] = b;
}

test("the refit lowers the open-loop reward error on unseen episodes where the teacher-forced head is wrong, in M's params too", () => {
  // The reward is the real next latent's first coordinate: teacher-forced h knows it (it consumed μ_t), the open
  // loop only knows its own sampled z, so the teacher-forced head pays the dream for z's it invents.
  const p = randomRnn(5, 0.8);
  const w = exportMdnWeights(p, cfg, Z, A);
  const reward = (t: number, mu: Float32Array) => 2 * mu[(t - 1) * Z];
  const train = Array.from({ length: 30 }, (_, i) => episode(100 + i, 40, reward));
  const test_ = Array.from({ length: 10 }, (_, i) => episode(500 + i, 40, reward));
  teacherForcedHead(w, train);
  (p['rnn/head/w'] as tf.Variable).assign(tf.tensor2d(w.headW, p['rnn/head/w'].shape as [number, number]));
  (p['rnn/head/b'] as tf.Variable).assign(tf.tensor1d(w.headB));
  const o = { horizon: 10, temperature: 1.15, seed: 1 };
  const evalRows = rewardRefitRows(w, test_, { ...o, seed: 99 });
  const ol = (m: MdnWeights) => rewardRowsMse(m, evalRows, evalRows.teacherForced, evalRows.n);
  let mean = 0;
  for (const e of train) for (let t = 1; t < e.T; t++) mean += e.reward[t] / (train.length * (e.T - 1));
  let constant = 0;
  for (let i = evalRows.teacherForced; i < evalRows.n; i++) constant += (evalRows.reward[i] - mean) ** 2;
  constant /= evalRows.n - evalRows.teacherForced;
  const before = ol(w);
  assert.ok(before > constant, `fixture: the teacher-forced head (${before}) should lose to a constant (${constant})`);
  const headBefore = Float32Array.from(w.headW);
  const n0 = tf.memory().numTensors;
  const stats = refitRewardHead(p, w, train, o);
  assert.equal(tf.memory().numTensors, n0, 'the refit leaks tensors');
  const after = ol(w);
  // Not down to the constant: half the rows are teacher-forced, where the same linear head must keep paying μ.
  assert.ok(after < 0.8 * before, `open-loop MSE ${before} → ${after} (constant ${constant})`);
  assert.ok(stats.reward_mse_open_loop_after < stats.reward_mse_open_loop_before, JSON.stringify(stats));
  // Only the reward and done columns moved, and M's params hold what the host weights hold.
  const O = w.headB.length;
  const col = rewardColumn(w);
  for (let i = 0; i < headBefore.length; i++)
    if (i % O !== col && i % O !== col + 1)
      assert.equal(w.headW[i], headBefore[i], `head/w[${i}] is neither the reward nor the done column`);
  const again = exportMdnWeights(p, cfg, Z, A);
  assert.deepEqual(Array.from(again.headW), Array.from(w.headW));
  assert.deepEqual(Array.from(again.headB), Array.from(w.headB));
  disposeParams(p);
});

test('done fit: the penalised logistic regression (its gradient vanishes, in plain JS); no terminals → a small, finite probability', () => {
  const rng = new Rng(13);
  const n = 600;
  const v = [1.5, -2, 0.5, 0, 1, -0.5];
  const h = Float32Array.from({ length: n * H }, () => rng.uniform(-1, 1));
  const y = Array.from({ length: n }, (_, i) => {
    const logit = -2 + v.reduce((s, c, f) => s + c * h[i * H + f], 0);
    return rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  });
  // Rows as rewardRefitRows lays them out: non-terminal rows in h, terminal ones in terminalH.
  const neg = y.flatMap((t, i) => (t ? [] : [i]));
  const pos = y.flatMap((t, i) => (t ? [i] : []));
  const pick = (idx: number[]) => {
    const out = new Float32Array(idx.length * H);
    idx.forEach((i, k) => out.set(h.subarray(i * H, (i + 1) * H), k * H));
    return out;
  };
  const rows = {
    h: pick(neg),
    reward: new Float32Array(neg.length),
    n: neg.length,
    teacherForced: neg.length,
    terminalH: pick(pos),
    terminals: pos.length,
  };
  assert.ok(pos.length > 30 && neg.length > 30, `fixture: ${pos.length} terminals of ${n}`);
  const fit = fitDoneColumn(rows, H);
  // Gradient of Σ log-loss + ½·penalty in raw h: Σ (p − y)·[h, 1] plus the ridge terms (small); ≈ 0 at the optimum.
  const grad = new Array(H + 1).fill(0);
  for (let i = 0; i < n; i++) {
    let logit = fit.b;
    for (let f = 0; f < H; f++) logit += fit.w[f] * h[i * H + f];
    const p = 1 / (1 + Math.exp(-logit));
    for (let f = 0; f < H; f++) grad[f] += (p - y[i]) * h[i * H + f];
    grad[H] += p - y[i];
  }
  // The ridge term per standardised weight is λ·n·β (λ = 1e-3): of order 1 here, against gradients of order n.
  grad.forEach((g, f) => assert.ok(Math.abs(g) < 0.01 * n, `∂/∂${f < H ? `w[${f}]` : 'b'} = ${g}`));
  v.forEach((c, f) => assert.ok(Math.abs(fit.w[f] - c) < 0.8, `w[${f}] ${fit.w[f]} vs the generating ${c}`));
  // No terminal at all: the done probability is tiny everywhere and the fit finite.
  const none = fitDoneColumn({ ...rows, h, n, teacherForced: n, terminalH: new Float32Array(0), terminals: 0 }, H);
  assert.ok(Number.isFinite(none.b) && none.w.every(Number.isFinite));
  for (let i = 0; i < n; i += 37) {
    let logit = none.b;
    for (let f = 0; f < H; f++) logit += none.w[f] * h[i * H + f];
    assert.ok(1 / (1 + Math.exp(-logit)) < 0.01, `row ${i}: done probability ${1 / (1 + Math.exp(-logit))}`);
  }
});

test("done fit with rare terminals (3 in 6000 rows, as CarRacing's 4 in 44,652): the probability stays near the base rate", () => {
  const rng = new Rng(21);
  const n = 6000;
  const h = Float32Array.from({ length: n * H }, () => Math.tanh(rng.normal()));
  const rows = {
    h: h.subarray(0, (n - 3) * H),
    reward: new Float32Array(n - 3),
    n: n - 3,
    teacherForced: n - 3,
    terminalH: h.subarray((n - 3) * H),
    terminals: 3,
  };
  const fit = fitDoneColumn(rows, H);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    let logit = fit.b;
    for (let f = 0; f < H; f++) logit += fit.w[f] * h[i * H + f];
    mean += 1 / (1 + Math.exp(-logit)) / n;
  }
  assert.ok(mean > 3 / n / 4 && mean < (4 * 3) / n, `mean done probability ${mean} vs base rate ${3 / n}`);
});

test('the refit done head ends open-loop dreams as often as real episodes end, not where the trained head fires', () => {
  const p = randomRnn(8, 0.8);
  const w = exportMdnWeights(p, cfg, Z, A);
  const train = Array.from({ length: 20 }, (_, i) => episode(700 + i, 30, () => -0.1, i % 4 === 0 ? [29] : []));
  // A done column that fires half the time (logit 0): a trained head far off the data's 5 terminals in 580 rows.
  const O = w.headB.length;
  for (let f = 0; f < H; f++) w.headW[f * O + rewardColumn(w) + 1] = 0;
  w.headB[rewardColumn(w) + 1] = 0;
  const stats = refitRewardHead(p, w, train, { horizon: 30, temperature: 1.15, seed: 3 });
  close(stats.done_prob_open_loop_before, 0.5, 1e-6, 'done probability before');
  assert.ok(stats.done_prob_open_loop_after < 0.02, `done probability after ${stats.done_prob_open_loop_after}`);
  disposeParams(p);
});

const signal = new AbortController().signal;
const data = cartpoleTrainData;
const sessionWith = (rewardRefitHorizon: number) =>
  worldModelsFamily.createSession({
    config: resolveWorldModelsConfig('debug', {
      rnn: { rewardRefitHorizon, steps: 1 },
      vae: { steps: 1 },
      controller: { temperature: 1.2 },
    }),
    seed: 4,
    data: data(),
    runDir: null,
    log: () => {},
  });

test('the family refits at the end of the rnn phase, into the checkpoint and the loaded model; a repeat gives the same head; 0 leaves it', async () => {
  const heads = async (k: number) => {
    const s = await sessionWith(k);
    await s.beginPhase('rnn', signal);
    await s.step({ phase: 'rnn', step: 0, globalStep: 1, rng: new Rng(1), poison: false, signal });
    const trained = s.checkpoint().tensors['rnn/head/w'].dataSync().slice();
    const n0 = tf.memory().numTensors;
    const stats = await s.endPhase('rnn', signal);
    assert.equal(tf.memory().numTensors, n0, 'endPhase leaks tensors');
    const ck = s.checkpoint();
    const refit = ck.tensors['rnn/head/w'].dataSync().slice();
    // A repeat (a resume inside the rnn phase ends it again) fits the same head: the fit never reads the reward column.
    const again = await s.endPhase('rnn', signal);
    const repeat = s.checkpoint().tensors['rnn/head/w'].dataSync().slice();
    const d = data();
    const loaded = await worldModelsFamily.loadModel(
      {
        config: resolveWorldModelsConfig('debug', { rnn: { rewardRefitHorizon: k } }),
        seed: 4,
        data: d,
        runDir: null,
        log: () => {},
      },
      ck,
    );
    const ep = d.heldOut[0];
    const ol = await loaded.openloop!(ep, { start: 2, horizon: 3, context: 1, temperature: 0, seed: 0 });
    loaded.dispose();
    tf.dispose(ck.owned ?? []);
    s.dispose();
    return { trained, refit, repeat, stats, again, reward: ol.reward! };
  };
  const off = await heads(0);
  assert.deepEqual(off.stats, {});
  assert.deepEqual(Array.from(off.refit), Array.from(off.trained), 'rewardRefitHorizon 0 changed the head');
  const on = await heads(5);
  assert.deepEqual(Object.keys(on.stats).sort(), [
    'done_prob_open_loop_after',
    'done_prob_open_loop_before',
    'reward_mse_open_loop_after',
    'reward_mse_open_loop_before',
    'reward_mse_teacher_forced_after',
    'reward_mse_teacher_forced_before',
  ]);
  assert.deepEqual(Array.from(on.trained), Array.from(off.trained), 'same seed, same M before the refit');
  assert.notDeepEqual(Array.from(on.refit), Array.from(on.trained), 'the refit did not reach the checkpoint');
  assert.deepEqual(Array.from(on.repeat), Array.from(on.refit));
  assert.notDeepEqual(on.reward, off.reward, "the loaded model's dream does not pay the refitted reward");
});

test('rnn.rewardRefitHorizon: 0 (the paper) in every preset and in a config without it; bad values refused in one line', () => {
  const { rewardRefitHorizon: _, ...oldRnn } = PRESETS.small.rnn;
  const old = parseWorldModelsConfig({ ...PRESETS.small, rnn: { ...oldRnn } });
  assert.equal(old.rnn.rewardRefitHorizon, 0);
  // A stored config that set it keeps it.
  assert.equal(
    parseWorldModelsConfig({ ...PRESETS.small, rnn: { ...oldRnn, rewardRefitHorizon: 250 } }).rnn.rewardRefitHorizon,
    250,
  );
  assert.equal(resolveWorldModelsConfig('default').rnn.rewardRefitHorizon, 0);
  assert.equal(resolveWorldModelsConfig('debug').rnn.rewardRefitHorizon, 0);
  assert.equal(resolveWorldModelsConfig('small').rnn.rewardRefitHorizon, 0);
  for (const bad of [-1, 2.5, 'long'])
    assert.throws(
      () => resolveWorldModelsConfig('small', { rnn: { rewardRefitHorizon: bad } }),
      (e: Error) => /rnn\.rewardRefitHorizon/.test(e.message) && !e.message.includes('\n'),
      String(bad),
    );
});
