import * as tf from '@tensorflow/tfjs-core';
import { median, type BenchContext, type BenchRow } from '../types.ts';
import { ActorCritic } from '../../agents/actor-critic.ts';
import { ACTOR_CRITIC_DREAMERV1, type ActorCriticConfig } from '../../models/actor-critic-config.ts';
import type { Space } from '../../envs/types.ts';
import { RssmLatentModel } from '../../models/rssm/latent-model.ts';
import { createRssmModel, disposeRssmModel, trainStep } from '../../models/rssm/world-model.ts';
import { benchConfig, randomBatch, threadsNote } from './rssm.ts';

/**
 * Dreamer rows (issue 13):
 * - `imag-h15`: one actor-critic update (imagine 15 steps from 800 start states through the RSSM prior under
 *   the tanh-normal actor, reward and value heads, λ-returns, actor backprop through the dynamics, critic
 *   regression, two Adam steps) — the `imag` workload of ../shared/bench-ref (DreamerV1 sizes: deter 200,
 *   stoch 30, hidden 200, 3 actions, actor and critic 3×200 ELU). Ours also runs the slow critic for targets.
 * - `dreamer-train-small`: a whole Dreamer train step at the CPU-sized model of `rssm-train-small` (batch 8 × 20,
 *   32×32, deter 64): the world-model step, the posterior states of a batch as imagination starts, and one
 *   actor-critic update (horizon 15, actor and critic 3×64 ELU).
 * PyTorch 1.13 + OpenBLAS, 2 threads, this machine (bench-ref README): imag 500 ms.
 */
const PYTORCH_IMAG_MS = 500;

const box3: Space = { kind: 'box', shape: [3], low: [-1, -1, -1], high: [1, 1, 1] };

function acConfig(units: number): ActorCriticConfig {
  const net = { layers: 3, units, act: 'elu' as const, lr: 8e-5, adamEps: 1e-7, clipNorm: 1e9 };
  return {
    ...ACTOR_CRITIC_DREAMERV1,
    horizon: 15,
    actor: { ...ACTOR_CRITIC_DREAMERV1.actor, ...net },
    critic: { ...ACTOR_CRITIC_DREAMERV1.critic, ...net },
  };
}

/** The imag-h15 workload: an actor-critic on the b16x50-size RSSM and `n` random start states (also scripts/profile-imag.ts). */
export function makeImagWorkload(n: number): { update(seed: number): void; dispose(): void } {
  const c = benchConfig('big');
  const m = createRssmModel(c, 0);
  const wm = new RssmLatentModel(m.params, c, box3);
  const ac = new ActorCritic(acConfig(200), wm, 0);
  const starts = {
    deter: tf.randomNormal([n, 200], 0, 1, 'float32', 1),
    stoch: tf.randomNormal([n, 30], 0, 1, 'float32', 2),
  };
  return {
    update: (seed) => void ac.update(wm, starts, seed),
    dispose: () => {
      tf.dispose(Object.values(starts));
      ac.dispose();
      disposeRssmModel(m);
    },
  };
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of ctx.backends) {
    if (backend === 'cpu' && !ctx.quick) {
      ctx.log('dreamer: skipping cpu (seconds per update on the cpu backend)');
      continue;
    }
    await ctx.useBackend(backend);
    // imag-h15
    {
      const n = ctx.quick ? 32 : 800;
      const w = makeImagWorkload(n);
      const times: number[] = [];
      try {
        w.update(0);
        const before = tf.memory().numTensors;
        for (let i = 0; i < ctx.steps; i++) {
          const t0 = performance.now();
          w.update(i + 1);
          times.push(performance.now() - t0);
        }
        const leaked = tf.memory().numTensors - before;
        if (leaked !== 0) ctx.log(`imag-h15: ${leaked} tensors leaked over ${ctx.steps} updates`);
      } finally {
        w.dispose();
      }
      const med = median(times);
      ctx.log(`imag-h15 ${backend}: ${times.map((x) => x.toFixed(0)).join(' ')} ms`);
      rows.push({
        name: ctx.quick ? 'imag-h15-quick' : 'imag-h15',
        backend,
        median: med,
        unit: 'ms',
        note: `${n} starts × H 15, deter 200 stoch 30, actor/critic 3×200; ${await threadsNote(backend)}${ctx.quick ? ', quick' : `; PyTorch ${PYTORCH_IMAG_MS} ms, ratio ${(med / PYTORCH_IMAG_MS).toFixed(2)}×`}`,
      });
    }
    // dreamer-train-small
    {
      const c = benchConfig('small');
      const [b, t] = ctx.quick ? [2, 10] : [c.train.batch, c.train.length];
      const m = createRssmModel(c, 0);
      const wm = new RssmLatentModel(m.params, c, box3);
      const ac = new ActorCritic(acConfig(64), wm, 0);
      const batch = randomBatch(c, b, t);
      const frames = new Uint8Array(b * t * c.image.size * c.image.size * 3).map((_, i) => (i * 2654435761) >>> 24);
      const times: number[] = [];
      const step = (i: number) => {
        const r = trainStep(m, batch);
        if (r.skipped) throw new Error(`dreamer-train-small: non-finite model step on ${backend}: ${r.reason}`);
        const starts = wm.observeSequences(frames, batch.action, batch.isFirst, i);
        try {
          ac.update(wm, starts, i);
        } finally {
          wm.disposeState(starts);
        }
      };
      try {
        step(0);
        for (let i = 0; i < ctx.steps; i++) {
          const t0 = performance.now();
          step(i + 1);
          times.push(performance.now() - t0);
        }
      } finally {
        tf.dispose([batch.image, batch.action, batch.reward, batch.cont, batch.isFirst]);
        ac.dispose();
        disposeRssmModel(m);
      }
      ctx.log(`dreamer-train-small ${backend}: ${times.map((x) => x.toFixed(0)).join(' ')} ms`);
      rows.push({
        name: ctx.quick ? 'dreamer-train-small-quick' : 'dreamer-train-small',
        backend,
        median: median(times),
        unit: 'ms',
        note: `model step + ${b * t} posterior starts + actor-critic H 15 (3×64); ${await threadsNote(backend)}${ctx.quick ? ', quick' : ''}`,
      });
    }
  }
  return rows;
}
