import * as tf from '@tensorflow/tfjs-core';
import { median, type BenchContext, type BenchRow } from '../types.ts';
import { rssmConfig, withActionDim, type RssmModelConfig } from '../../models/rssm/config.ts';
import { createRssmModel, disposeRssmModel, trainStep, type SeqBatch } from '../../models/rssm/world-model.ts';
import { initialState } from '../../models/rssm/rssm.ts';
import { cemPlan, CEM_DEFAULTS } from '../../agents/cem.ts';
import { RssmLatentModel } from '../../models/rssm/latent-model.ts';

/**
 * RSSM rows (issue 5):
 * - `rssm-train-b16x50`: one world-model training step (encoder, observe over T, decoder and reward head on all
 *   B·T, KL, backward, Adam) at batch 16 × 50, 64×64, conv depth 32, deter 200, stoch 30, hidden 200 — the shapes of
 *   ../shared/bench-ref (DreamerV1 world model: ReLU convs, ELU RSSM, reward 2×hidden ELU, free nats 3 after the mean).
 * - `rssm-train-small`: the same at batch 8 × 20, 32×32, depth 16, deter 64, stoch 16, hidden 64.
 * - `cem-plan`: one CEM action (PlaNet defaults: horizon 12, 1000 candidates, top 100, 10 iterations) with the
 *   b16x50-size model, ms per action.
 * PyTorch 1.13 + OpenBLAS, 2 threads, this machine (bench-ref README): 4.7 s and 88–90 ms per training step.
 */
const PYTORCH_MS: Record<string, number> = { 'rssm-train-b16x50': 4700, 'rssm-train-small': 90 };

export function benchConfig(size: 'big' | 'small'): RssmModelConfig {
  const big = size === 'big';
  const d = big ? 200 : 64;
  return withActionDim(
    rssmConfig('debug', {
      image: { size: big ? 64 : 32 },
      rssm: {
        deter: d,
        hidden: d,
        latent: { kind: 'gaussian', size: big ? 30 : 16, minStd: 0.1 },
        gruNorm: false,
        act: 'elu',
      },
      encoder: { depth: big ? 32 : 16, kernels: big ? [4, 4, 4, 4] : [4, 4, 4], act: 'relu' },
      decoder: { depth: big ? 32 : 16, kernels: big ? [5, 5, 6, 6] : [5, 6, 6], act: 'relu' },
      heads: { units: d, layers: 2, act: 'elu', cont: false },
      loss: { freeNats: 3, freeNatsPlacement: 'mean', klBalance: null, rewardScale: 1, contScale: 0 },
      train: { batch: big ? 16 : 8, length: big ? 50 : 20, lr: 6e-4, adamEps: 1e-8, clipNorm: 1e9 },
    }),
    3,
  );
}

export function randomBatch(c: RssmModelConfig, b: number, t: number): SeqBatch {
  const isFirstHost = new Uint8Array(b * t);
  for (let i = 0; i < b; i++) isFirstHost[i * t] = 1;
  const s = c.image.size;
  return {
    image: tf.randomUniform([b, t, s, s, 3], -0.5, 0.5, 'float32', 1),
    action: tf.randomUniform([b, t, c.actionDim], -1, 1, 'float32', 2) as tf.Tensor3D,
    reward: tf.randomNormal([b, t], 0, 1, 'float32', 3) as tf.Tensor2D,
    cont: tf.ones([b, t]) as tf.Tensor2D,
    isFirst: tf.tensor2d(Float32Array.from(isFirstHost), [b, t]),
    isFirstHost,
  };
}

export async function threadsNote(backend: string): Promise<string> {
  return backend === 'wasm' ? `${(await import('../../tensor/wasm.ts')).wasmThreads()} thread(s)` : backend;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of ctx.backends) {
    if (backend === 'cpu' && !ctx.quick) {
      ctx.log('rssm: skipping cpu (conv backprop on the cpu backend takes seconds even at the small size)');
      continue;
    }
    await ctx.useBackend(backend);
    for (const [name, size] of [
      ['rssm-train-b16x50', 'big'],
      ['rssm-train-small', 'small'],
    ] as const) {
      const c = benchConfig(size);
      // Quick mode: the same model at batch 2 × 10 (smoke test).
      const [b, t] = ctx.quick ? [2, 10] : [c.train.batch, c.train.length];
      const m = createRssmModel(c, 0);
      const batch = randomBatch(c, b, t);
      const times: number[] = [];
      try {
        trainStep(m, batch);
        const before = tf.memory().numTensors;
        for (let i = 0; i < ctx.steps; i++) {
          const t0 = performance.now();
          const r = trainStep(m, batch);
          times.push(performance.now() - t0);
          if (r.skipped) throw new Error(`${name}: non-finite step on ${backend}: ${r.reason}`);
        }
        const leaked = tf.memory().numTensors - before;
        if (leaked !== 0) ctx.log(`${name}: ${leaked} tensors leaked over ${ctx.steps} steps`);
      } finally {
        tf.dispose([batch.image, batch.action, batch.reward, batch.cont, batch.isFirst]);
        disposeRssmModel(m);
      }
      const med = median(times);
      const ref = PYTORCH_MS[name];
      ctx.log(`${name} ${backend}: ${times.map((x) => x.toFixed(0)).join(' ')} ms`);
      rows.push({
        name: ctx.quick ? `${name}-quick` : name,
        backend,
        median: med,
        unit: 'ms',
        note: `${ctx.steps} steps, ${await threadsNote(backend)}${ctx.quick ? ', quick: batch 2×10' : `; PyTorch ${ref} ms, ratio ${(med / ref).toFixed(2)}×`}`,
      });
    }
    // CEM: ms per planned action.
    const c = benchConfig('big');
    const m = createRssmModel(c, 0);
    const state = initialState(c, 1);
    const wm = new RssmLatentModel(m.params, c, {
      kind: 'box',
      shape: [c.actionDim],
      low: new Array(c.actionDim).fill(-1),
      high: new Array(c.actionDim).fill(1),
    });
    const opts = ctx.quick ? { horizon: 12, candidates: 100, topK: 10, iterations: 2 } : { ...CEM_DEFAULTS };
    const times: number[] = [];
    try {
      cemPlan(wm, { deter: state.deter, stoch: state.stoch }, opts, 0);
      for (let i = 0; i < ctx.steps; i++) {
        const t0 = performance.now();
        cemPlan(wm, { deter: state.deter, stoch: state.stoch }, opts, i + 1);
        times.push(performance.now() - t0);
      }
    } finally {
      tf.dispose([state.deter, state.stoch]);
      if (state.dist.kind === 'gaussian') tf.dispose([state.dist.mean, state.dist.std]);
      disposeRssmModel(m);
    }
    ctx.log(`cem-plan ${backend}: ${times.map((x) => x.toFixed(0)).join(' ')} ms`);
    rows.push({
      name: ctx.quick ? 'cem-plan-quick' : 'cem-plan',
      backend,
      median: median(times),
      unit: 'ms/action',
      note: `H ${opts.horizon}, ${opts.candidates} candidates, top ${opts.topK}, ${opts.iterations} iterations, deter 200 stoch 30; ${await threadsNote(backend)}`,
    });
  }
  return rows;
}
