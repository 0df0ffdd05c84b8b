import * as tf from '@tensorflow/tfjs-core';
import { median, type BenchContext, type BenchRow } from '../types.ts';
import { Adam, disposeParams } from '../../models/nn.ts';
import { PRESETS } from '../../models/world-models/config.ts';
import { exportMdnWeights } from '../../models/world-models/controller.ts';
import { WorldModelDreamer } from '../../models/world-models/dream.ts';
import { MdnCell, type MdnKernel, type MdnWeights } from '../../models/world-models/dream-kernel.ts';
import { disposeBatch, initMdnRnn, mdnTrainStep, sequenceBatch } from '../../models/world-models/mdn-rnn.ts';
import { initVae, normalNoise } from '../../models/world-models/vae.ts';
import type { Space } from '../../envs/types.ts';
import { Rng } from '../../util/rng.ts';
import { symmetricEigen } from '../../util/symmetric-eigen.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectJob } from '../../trainer/collect-job.ts';
import { forkLauncher } from '../../trainer/launcher.ts';
import { createRun, trainRun } from '../../runs/trainer.ts';
import { DreamWorkerClient } from '../../service/dream-worker.ts';

/**
 * World Models rows (issue 4), default preset sizes (z 32, LSTM 256, 5 mixtures, 64×64 VAE) with
 * car-racing's 3-d action:
 * - `mdnrnn-train-b16x50`: one MDN-RNN training step (forward, backward, Adam, element clip), batch 16 ×
 *   50 steps as the `mdnrnn` workload of ../shared/bench-ref (the preset trains 16 × 32), median ms. Quick mode: batch 4 × 8 steps (row `mdnrnn-train-b4x8-quick`).
 * - `dream-fps`: the step-by-step dream (MDN-RNN step, sample z at τ 1, decode to 64×64), median
 *   frames/s over chunks of frames. Quick mode: chunks of 4 frames (row `dream-fps-quick`).
 * - `play-fps`: the Play dream as the workbench drives it: `dreams:step` calls, one at a time, to the dream
 *   server process (the host's DreamWorkerClient over the launcher's IPC) on a `default`-preset run (weights after
 *   one VAE and one MDN-RNN step: the speed does not depend on training), median frames/s over chunks of 20.
 *   Not in quick mode (it trains a run and starts a process).
 * - `dream-step`: one step of the dream CMA-ES scores controllers in (dream-kernel.ts: LSTM and mixture head, no
 *   decoder, no tfjs) at the `small` preset's M (z 16, LSTM 256, 5 mixtures), median µs per step over chunks of
 *   250 steps, on the wasm kernel; the note gives the plain-JS kernel's median, measured in turn in the same
 *   sitting, and the ratio. A car-racing controller phase at `small` is ≈ 1.3 M such steps (64 × 20 × 4 dreams × 250).
 * - `cma-eigen`: the eigendecomposition CMA-ES refreshes its sampling basis with (util/symmetric-eigen.ts), on a
 *   covariance the size of the `small` car-racing controller's (n = (z + h) · 3 + 3 = 819: 0.5·I plus 40 random
 *   rank-one terms), median s per call. At λ 64 a 20-generation phase makes ≈ 8 calls. Quick mode: n = 200.
 */
const ACTION_SPACE: Space = { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] };
const A = 3;

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [dreamStep(ctx), cmaEigen(ctx)];
  for (const backend of ctx.backends) {
    await ctx.useBackend(backend);
    rows.push(await mdnTrain(ctx, backend));
    rows.push(await dreamFps(ctx, backend));
    if (ctx.quick)
      ctx.log('world-models: play-fps skipped in quick mode (it trains a run and starts the dream server)');
    else rows.push(await playFps(ctx, backend));
  }
  return rows;
}

async function mdnTrain(ctx: BenchContext, backend: string): Promise<BenchRow> {
  const cfg = PRESETS.default.rnn;
  const Z = PRESETS.default.vae.zDim;
  // 16 × 50: the reference's shape, so the ratio compares like with like.
  const [B, T] = ctx.quick ? [4, 8] : [16, 50];
  const rng = new Rng(0);
  const p = initMdnRnn(cfg, { zDim: Z, actionDim: A }, rng);
  const opt = new Adam(p, { lr: cfg.lr, ...(cfg.clipValue ? { clipValue: cfg.clipValue } : {}) });
  const rand = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  const batch = sequenceBatch(
    {
      mu: rand(B * (T + 1) * Z, () => rng.normal()),
      logvar: rand(B * (T + 1) * Z, () => -2 + 0.1 * rng.normal()),
      action: rand(B * T * A, () => rng.uniform(-1, 1)),
      reward: rand(B * T, () => rng.normal() * 0.1),
      done: rand(B * T, () => (rng.next() < 0.01 ? 1 : 0)),
      mask: rand(B * T, () => 1),
    },
    B,
    T,
    Z,
    A,
  );
  const eps = normalNoise(rng, [B, T + 1, Z]);
  const times: number[] = [];
  try {
    for (let i = 0; i < 2; i++) mdnTrainStep(p, cfg, opt, batch, eps);
    const before = tf.memory().numTensors;
    for (let i = 0; i < ctx.steps; i++) {
      const t0 = performance.now();
      const r = mdnTrainStep(p, cfg, opt, batch, eps);
      times.push(performance.now() - t0);
      if (!Number.isFinite(r.loss)) throw new Error(`mdn-rnn step produced a non-finite loss on ${backend}`);
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) ctx.log(`mdnrnn: ${leaked} tensors leaked over ${ctx.steps} steps on ${backend}`);
    ctx.log(`mdnrnn ${backend}: ${times.map((t) => t.toFixed(0)).join(' ')} ms`);
  } finally {
    disposeBatch(batch);
    eps.dispose();
    opt.dispose();
    disposeParams(p);
  }
  return {
    name: ctx.quick ? 'mdnrnn-train-b4x8-quick' : 'mdnrnn-train-b16x50',
    backend,
    median: median(times),
    unit: 'ms',
    note: `${ctx.steps} steps, LSTM ${cfg.hidden}, z ${Z}, K ${cfg.mixtures}${ctx.quick ? ', quick: batch 4 × 8' : ''}`,
  };
}

async function dreamFps(ctx: BenchContext, backend: string): Promise<BenchRow> {
  const vaeCfg = PRESETS.default.vae;
  const rnnCfg = PRESETS.default.rnn;
  const rng = new Rng(1);
  const vae = initVae(vaeCfg, rng);
  const rnn = initMdnRnn(rnnCfg, { zDim: vaeCfg.zDim, actionDim: A }, rng);
  const weights = exportMdnWeights(rnn, rnnCfg, vaeCfg.zDim, A);
  disposeParams(rnn);
  const S = vaeCfg.imageSize;
  const frame = Uint8Array.from({ length: S * S * 3 }, () => rng.int(256));
  const session = new WorldModelDreamer(vae, vaeCfg, weights, ACTION_SPACE).session({ temperature: 1, seed: 0 });
  const chunk = ctx.quick ? 4 : 20;
  const fps: number[] = [];
  const action = new Float32Array(A);
  try {
    session.reset(frame);
    for (let i = 0; i < 3; i++) session.step(action);
    const before = tf.memory().numTensors;
    for (let s = 0; s < ctx.steps; s++) {
      const t0 = performance.now();
      for (let i = 0; i < chunk; i++) {
        action[0] = rng.uniform(-1, 1);
        action[1] = rng.next();
        const out = session.step(action);
        if (out.frame.length !== S * S * 3)
          throw new Error(`dream frame has ${out.frame.length} bytes, expected ${S * S * 3}`);
      }
      fps.push((chunk * 1000) / (performance.now() - t0));
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) ctx.log(`dream: ${leaked} tensors leaked over ${ctx.steps * chunk} frames on ${backend}`);
    ctx.log(`dream ${backend}: ${fps.map((f) => f.toFixed(0)).join(' ')} frames/s`);
  } finally {
    session.dispose();
    disposeParams(vae);
  }
  return {
    name: ctx.quick ? 'dream-fps-quick' : 'dream-fps',
    backend,
    median: median(fps),
    unit: 'frames/s',
    note: `${ctx.steps} chunks of ${chunk} frames, ${S}×${S}, batch 1, decode included, τ 1`,
  };
}

async function playFps(ctx: BenchContext, backend: string): Promise<BenchRow> {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-bench-play-'));
  const dreams = new DreamWorkerClient(ws, forkLauncher(), backend);
  const chunk = 20;
  const fps: number[] = [];
  const roundTrip: number[] = [];
  try {
    await collectJob(
      {
        kind: 'collect',
        workspace: ws,
        env: 'car-racing',
        dataset: 'cars',
        episodes: 2,
        seed: 1,
        size: 64,
        maxSteps: 40,
        policy: 'random',
      },
      new AbortController().signal,
      () => {},
    );
    const run = await createRun({
      workspace: ws,
      id: 'play',
      family: 'world-models',
      preset: 'default',
      dataset: 'cars',
      steps: 1,
      seed: 0,
      backend,
      overrides: { controller: { generations: 0 } },
    });
    const trained = await trainRun(run.dir, { log: () => {}, backend });
    if (trained.state !== 'completed') throw new Error(`play-fps: the bench run ended '${trained.state}'`);
    const first = await dreams.reset({ runId: 'play', episode: 0, step: 0, seed: 0 });
    const S = PRESETS.default.vae.imageSize;
    const rng = new Rng(2);
    const step = async () => {
      const r = await dreams.step({ sessionId: first.sessionId, action: [rng.uniform(-1, 1), rng.next(), 0] });
      if (r.frame.data.length !== S * S * 3)
        throw new Error(`play frame has ${r.frame.data.length} bytes, expected ${S * S * 3}`);
    };
    for (let i = 0; i < 5; i++) await step();
    for (let s = 0; s < ctx.steps; s++) {
      const t0 = performance.now();
      for (let i = 0; i < chunk; i++) await step();
      fps.push((chunk * 1000) / (performance.now() - t0));
    }
    // The same round trip without a dream step (dreams:frame returns the current frame): what the IPC costs.
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await dreams.frame({ sessionId: first.sessionId });
      roundTrip.push(performance.now() - t0);
    }
    ctx.log(`play ${backend}: ${fps.map((f) => f.toFixed(0)).join(' ')} frames/s`);
  } finally {
    await dreams.close();
    rmSync(ws, { recursive: true, force: true });
  }
  return {
    name: 'play-fps',
    backend,
    median: median(fps),
    unit: 'frames/s',
    note: `${ctx.steps} chunks of ${chunk} dreams:step calls to the dream server process (a dreams:frame round trip alone: ${median(roundTrip).toFixed(1)} ms), default preset ${PRESETS.default.vae.imageSize}×${PRESETS.default.vae.imageSize}, batch 1`,
  };
}

function dreamStep(ctx: BenchContext): BenchRow {
  const { zDim } = PRESETS.small.vae;
  const { hidden, mixtures } = PRESETS.small.rnn;
  const rng = new Rng(3);
  const f = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.1);
  const O = 3 * zDim * mixtures + 2;
  const w: MdnWeights = {
    ...{ zDim, actionDim: A, hidden, mixtures, rewardHead: true, doneHead: true },
    ...{ wx: f((zDim + A) * 4 * hidden), wh: f(hidden * 4 * hidden), b: f(4 * hidden) },
    ...{ headW: f(hidden * O), headB: f(O) },
  };
  const z = f(zDim);
  const a = f(A);
  const chunk = ctx.quick ? 25 : 250;
  const times: Record<MdnKernel, number[]> = { js: [], wasm: [] };
  const cells = { js: new MdnCell(w, 'js'), wasm: new MdnCell(w, 'wasm') };
  for (let s = -2; s < ctx.steps; s++)
    for (const k of ['js', 'wasm'] as const) {
      const t0 = performance.now();
      for (let i = 0; i < chunk; i++) cells[k].step(z, a);
      if (s >= 0) times[k].push(((performance.now() - t0) * 1000) / chunk);
    }
  const [js, wasm] = [median(times.js), median(times.wasm)];
  ctx.log(`dream-step: js ${js.toFixed(0)} µs, ${cells.wasm.kernel} ${wasm.toFixed(0)} µs per step`);
  return {
    name: ctx.quick ? 'dream-step-quick' : 'dream-step',
    backend: cells.wasm.kernel === 'wasm' ? 'wasm-simd kernel' : 'js kernel (no wasm SIMD here)',
    median: wasm,
    unit: 'µs/step',
    note: `plain-JS kernel ${js.toFixed(0)} µs (ratio ${(js / wasm).toFixed(1)}×, same bits); small M: z ${zDim}, LSTM ${hidden}, K ${mixtures}; ${ctx.steps} chunks of ${chunk}`,
  };
}

function cmaEigen(ctx: BenchContext): BenchRow {
  const n = ctx.quick ? 200 : (PRESETS.small.vae.zDim + PRESETS.small.rnn.hidden) * A + A;
  const rng = new Rng(5);
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) C[i * n + i] = 0.5;
  for (let r = 0; r < 40; r++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    const w = 0.05 * rng.next();
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) C[i * n + j] += w * v[i] * v[j];
  }
  const times: number[] = [];
  for (let s = -1; s < ctx.steps; s++) {
    const t0 = performance.now();
    symmetricEigen(C, n);
    if (s >= 0) times.push((performance.now() - t0) / 1000);
  }
  ctx.log(`cma-eigen: n ${n}, ${times.map((t) => t.toFixed(2)).join(' ')} s`);
  return {
    name: ctx.quick ? 'cma-eigen-quick' : 'cma-eigen',
    backend: 'js (float64)',
    median: median(times),
    unit: 's/call',
    note: `Householder + implicit QL, n ${n}; ${ctx.steps} calls`,
  };
}
