import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../util/rng.ts';
import { cholesky, choleskySolve, featureScaling, fitRidge } from '../../util/ridge.ts';
import type { Params } from '../nn.ts';
import type { WmEpisode } from './data.ts';
import { MdnCell, rewardColumn, type MdnWeights } from './dream-kernel.ts';

/**
 * The reward and done heads refitted on the states M's own dream visits (issue 11 item 3; not in the paper). M's reward head
 * is trained by gradient only on teacher-forced states (h after real z's); the controller is optimised in M's
 * open-loop dream, whose states differ — on CarRacing the head there scored worse than the train-mean constant
 * (seed 0: openloop_reward_mse 0.512 vs 0.361) and CMA-ES found controllers the dream overpaid by +32 to +58.
 *
 * The head's reward column is linear in h, so after M's training it is replaced by a closed-form ridge fit of the
 * real rewards on two sets of M's states over the training episodes, one row per transition in each:
 * - teacher-forced: h after [μ_t, a_t] along the episode (what the head was trained on);
 * - open loop: rollouts of `horizon` steps under the recorded actions from frames 0, K, 2K, … (M's filtered state
 *   there, z₀ = μ + σ·ε as a dream starts), z_{t+1} sampled from the MDN at the dream's temperature; transition
 *   s + k is paired with the h the rollout reached after k steps. With K ≥ the episode, one rollout from frame 0 —
 *   the controller's own dream under the data's actions.
 * The fit is E[real reward | M's state] over both, so where the dream's state no longer tells the real reward the
 * head falls back towards the mean instead of paying what the dream invents. When M has a done head, its column is
 * refitted on the same states by logistic regression (`fitDoneColumn`), so the dream ends about as often as real
 * episodes do. Only these two columns change.
 */
export const REWARD_REFIT_LAMBDA = 1e-3; // ridge penalty per row on standardised h (rows ≫ features: a jitter)

export interface RewardRefitRows {
  /** States [n, H] and the real reward of each transition [n]; rows 0..teacherForced−1 teacher-forced, the rest open loop. */
  h: Float32Array;
  reward: Float32Array;
  n: number;
  teacherForced: number;
  /** States [m, H] of the terminal transitions left out above (each in both sets): the done fit's positives. */
  terminalH: Float32Array;
  terminals: number;
}

/** The (h, real reward) rows of both sets over the episodes (encoded: μ, log σ² present). */
export function rewardRefitRows(
  w: MdnWeights,
  eps: WmEpisode[],
  o: { horizon: number; temperature: number; seed: number },
): RewardRefitRows {
  if (!(Number.isInteger(o.horizon) && o.horizon >= 1))
    throw new Error(`rewardRefitRows: horizon must be a positive integer, got ${o.horizon}`);
  const { zDim: Z, actionDim: A, hidden: H } = w;
  // A terminal transition is left out of both sets: its reward is the env's end-of-episode event (CarRacing: −100
  // on leaving the playfield, 2 of seed 0's 22,328 training rows yet 90 % of their reward variance), which a linear
  // head on h cannot place on one step without bending the fit everywhere else; ending the dream is the done head's.
  const kept = (e: WmEpisode, t: number) => !e.terminal[t];
  let n1 = 0;
  let m1 = 0;
  for (const e of eps)
    for (let t = 1; t < e.T; t++)
      if (kept(e, t)) n1++;
      else m1++;
  const h = new Float32Array(2 * n1 * H);
  const terminalH = new Float32Array(2 * m1 * H);
  let term = 0;
  const reward = new Float32Array(2 * n1);
  const rng = new Rng(o.seed);
  const cell = new MdnCell(w);
  let tf_ = 0;
  let ol = n1;
  for (const e of eps) {
    if (!e.mu || !e.logvar) throw new Error('rewardRefitRows needs encoded episodes (encodeEpisodes first)');
    cell.reset();
    // Filtered states at the rollout starts (frames 0, K, 2K, …): h, c before consuming frame s.
    const starts: { s: number; h: Float32Array; c: Float32Array }[] = [];
    for (let t = 0; t + 1 < e.T; t++) {
      if (t % o.horizon === 0) starts.push({ s: t, h: Float32Array.from(cell.h), c: Float32Array.from(cell.c) });
      cell.step(e.mu.subarray(t * Z, (t + 1) * Z), e.action.subarray((t + 1) * A, (t + 2) * A));
      if (!kept(e, t + 1)) {
        terminalH.set(cell.h, H * term++);
        continue;
      }
      h.set(cell.h, tf_ * H);
      reward[tf_++] = e.reward[t + 1];
    }
    const z = new Float32Array(Z);
    for (const st of starts) {
      cell.h.set(st.h);
      cell.c.set(st.c);
      for (let d = 0; d < Z; d++) z[d] = e.mu[st.s * Z + d] + Math.exp(e.logvar[st.s * Z + d] / 2) * rng.normal();
      const K = Math.min(o.horizon, e.T - 1 - st.s);
      for (let k = 1; k <= K; k++) {
        cell.step(z, e.action.subarray((st.s + k) * A, (st.s + k + 1) * A));
        cell.nextZ(o.temperature, rng, z);
        if (!kept(e, st.s + k)) {
          terminalH.set(cell.h, H * term++);
          continue;
        }
        h.set(cell.h, ol * H);
        reward[ol++] = e.reward[st.s + k];
      }
    }
  }
  return { h, reward, n: 2 * n1, teacherForced: n1, terminalH, terminals: 2 * m1 };
}

/** Reward column of the head fitted on the rows: raw weights on h [H] and the bias. */
export function fitRewardColumn(rows: RewardRefitRows, H: number): { w: Float64Array; b: number } {
  const p = fitRidge(rows.h, rows.reward, rows.n, REWARD_REFIT_LAMBDA * rows.n);
  // Undo fitRidge's standardisation: ŷ = bias + Σ_f (h_f − mean_f)·scale_f·W_f.
  const w = new Float64Array(H);
  let b = p.bias[0];
  for (let f = 0; f < H; f++) {
    w[f] = p.weights[f] * p.scale[f];
    b -= p.mean[f] * w[f];
  }
  return { w, b };
}

/**
 * Done column fitted on the rows: logistic regression of "this transition ended the episode" (the terminal rows 1,
 * every other row 0) on h, by Newton's method with the ridge penalty on standardised h (and a unit one on the
 * intercept, so a dataset without terminals gives a very negative, finite logit). Unweighted (rnn.doneWeight is
 * the training loss's): the dream samples done from this probability, so it is fitted as a probability.
 */
export function fitDoneColumn(rows: RewardRefitRows, H: number): { w: Float64Array; b: number } {
  const n = rows.n + rows.terminals;
  const F = H + 1;
  const at = (i: number) =>
    i < rows.n ? rows.h.subarray(i * H, (i + 1) * H) : rows.terminalH.subarray((i - rows.n) * H, (i - rows.n + 1) * H);
  const { mean, scale } = featureScaling(n, H, (i, f) =>
    i < rows.n ? rows.h[i * H + f] : rows.terminalH[(i - rows.n) * H + f],
  );
  const lam = REWARD_REFIT_LAMBDA * n;
  // β = [weights on standardised h (H), intercept]; start at the base rate.
  const beta = new Float64Array(F);
  const rate = (rows.terminals + 0.5) / (n + 1);
  beta[H] = Math.log(rate / (1 - rate));
  const x = new Float64Array(F);
  const pen = (a: number) => (a < H ? lam : 1);
  /** Penalised negative log-likelihood at β, with its gradient and Hessian when asked. */
  const evaluate = (beta: Float64Array, derivatives: boolean) => {
    let f = 0;
    const g = new Float64Array(derivatives ? F : 0);
    const hess = new Float64Array(derivatives ? F * F : 0);
    for (let i = 0; i < n; i++) {
      const r = at(i);
      for (let k = 0; k < H; k++) x[k] = (r[k] - mean[k]) * scale[k];
      x[H] = 1;
      let logit = 0;
      for (let k = 0; k < F; k++) logit += beta[k] * x[k];
      const y = i < rows.n ? 0 : 1;
      // log(1 + e^logit) − y·logit, stable for large |logit|.
      f += Math.max(logit, 0) + Math.log1p(Math.exp(-Math.abs(logit))) - y * logit;
      if (!derivatives) continue;
      const p = 1 / (1 + Math.exp(-logit));
      const wgt = p * (1 - p);
      for (let a = 0; a < F; a++) {
        g[a] += (p - y) * x[a];
        const xa = wgt * x[a];
        for (let c = 0; c <= a; c++) hess[a * F + c] += xa * x[c];
      }
    }
    for (let a = 0; a < F; a++) f += 0.5 * pen(a) * beta[a] * beta[a];
    if (derivatives)
      for (let a = 0; a < F; a++) {
        for (let c = 0; c < a; c++) hess[c * F + a] = hess[a * F + c];
        hess[a * F + a] += pen(a);
        g[a] += pen(a) * beta[a];
      }
    return { f, g, hess };
  };
  // Damped Newton: a full step can overshoot when terminals are rare (CarRacing seed 0: 4 of 44,652 rows drove the
  // undamped iteration to a logit of +5000), so the step is halved until the objective falls.
  let cur = evaluate(beta, true);
  for (let it = 0; it < 50; it++) {
    const step = choleskySolve(cholesky(cur.hess, F), F, cur.g, 1);
    let t = 1;
    let next = beta;
    let nf = Infinity;
    for (let half = 0; half < 40; half++, t /= 2) {
      next = beta.map((v, a) => v - t * step[a]);
      nf = evaluate(next, false).f;
      if (nf <= cur.f) break;
    }
    if (!(nf <= cur.f)) break;
    const gain = cur.f - nf;
    beta.set(next);
    cur = evaluate(beta, true);
    if (gain < 1e-10 * n) break;
  }
  const w = new Float64Array(H);
  let b = beta[H];
  for (let f = 0; f < H; f++) {
    w[f] = beta[f] * scale[f];
    b -= mean[f] * w[f];
  }
  return { w, b };
}

/** Mean over rows [from, to) of `term(y, i)`, y the head's current output in column `col` on row i's state. */
function meanOverRows(
  w: MdnWeights,
  rows: RewardRefitRows,
  col: number,
  from: number,
  to: number,
  term: (y: number, i: number) => number,
): number {
  const H = w.hidden;
  const O = w.headB.length;
  let s = 0;
  for (let i = from; i < to; i++) {
    let y = w.headB[col];
    for (let f = 0; f < H; f++) y += rows.h[i * H + f] * w.headW[f * O + col];
    s += term(y, i);
  }
  return to > from ? s / (to - from) : NaN;
}

/** Mean done probability of the head's current done column on the non-terminal rows [from, to). */
export function doneRowsMean(w: MdnWeights, rows: RewardRefitRows, from: number, to: number): number {
  return meanOverRows(w, rows, rewardColumn(w) + 1, from, to, (y) => 1 / (1 + Math.exp(-y)));
}

/** Mean squared error of the head's current reward column on rows [from, to). */
export function rewardRowsMse(w: MdnWeights, rows: RewardRefitRows, from: number, to: number): number {
  return meanOverRows(w, rows, rewardColumn(w), from, to, (y, i) => (y - rows.reward[i]) ** 2);
}

/**
 * Refits M's reward (and done) column in place — in the host weights `w` and in the params `rnn` (so checkpoints, eval
 * and the Dream Lab read them) — and returns the training rows' reward MSE before and after, teacher-forced and open
 * loop, and the mean done probability on the open-loop rows before and after.
 */
export function refitRewardHead(
  rnn: Params,
  w: MdnWeights,
  eps: WmEpisode[],
  o: { horizon: number; temperature: number; seed: number },
  prefix = 'rnn/',
): Record<string, number> {
  if (!w.rewardHead) throw new Error('refitRewardHead: the model has no reward head');
  const rows = rewardRefitRows(w, eps, o);
  if (!rows.teacherForced) throw new Error('refitRewardHead: no transitions in the training episodes');
  const mse = (from: number, to: number) => rewardRowsMse(w, rows, from, to);
  const before = { tf: mse(0, rows.teacherForced), ol: mse(rows.teacherForced, rows.n) };
  const { w: col, b } = fitRewardColumn(rows, w.hidden);
  const O = w.headB.length;
  const c = rewardColumn(w);
  for (let f = 0; f < w.hidden; f++) w.headW[f * O + c] = col[f];
  w.headB[c] = b;
  const done: Record<string, number> = {};
  if (w.doneHead) {
    // The done column (right after the reward's) on the same states: the dream ends where M's states say real
    // episodes end, not where the weighted training loss put the boundary (CarRacing seed 0's M ended dreams of fixed
    // action sequences after 32–165 of 250 steps on 2 terminals in 22,328 training rows, each missing step a −0.4 not
    // charged).
    const p = (from: number, to: number) => doneRowsMean(w, rows, from, to);
    done.done_prob_open_loop_before = p(rows.teacherForced, rows.n);
    const d = fitDoneColumn(rows, w.hidden);
    for (let f = 0; f < w.hidden; f++) w.headW[f * O + c + 1] = d.w[f];
    w.headB[c + 1] = d.b;
    done.done_prob_open_loop_after = p(rows.teacherForced, rows.n);
  }
  const headW = rnn[`${prefix}head/w`] as tf.Variable;
  const headB = rnn[`${prefix}head/b`] as tf.Variable;
  tf.tidy(() => {
    headW.assign(tf.tensor2d(w.headW, headW.shape as [number, number]));
    headB.assign(tf.tensor1d(w.headB));
  });
  return {
    reward_mse_teacher_forced_before: before.tf,
    reward_mse_open_loop_before: before.ol,
    reward_mse_teacher_forced_after: mse(0, rows.teacherForced),
    reward_mse_open_loop_after: mse(rows.teacherForced, rows.n),
    ...done,
  };
}
