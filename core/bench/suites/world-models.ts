import { median, type BenchContext, type BenchRow } from '../types.ts';
import { Rng } from '../../util/rng.ts';
import { Adam, disposeParams } from '../../models/nn.ts';
import { PRESETS } from '../../models/world-models/config.ts';
import { disposeBatch, initMdnRnn, mdnTrainStep, sequenceBatch } from '../../models/world-models/mdn-rnn.ts';
import { exportMdnWeights } from '../../models/world-models/controller.ts';
import { WorldModelDreamer } from '../../models/world-models/dream.ts';
import { initVae, normalNoise } from '../../models/world-models/vae.ts';

/** World Models rows: MDN-RNN train step (LSTM 256, batch 16 × 32, z 32, A 3) and dream frames/s at 64×64 with decode. */
export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cfg = PRESETS.default;
  const Z = cfg.vae.zDim, A = 3, B = 16, T = 32;
  for (const backend of ctx.backends) {
    await ctx.useBackend(backend);
    const rng = new Rng(0);
    const rnn = initMdnRnn(cfg.rnn, { zDim: Z, actionDim: A }, rng);
    const opt = new Adam(rnn, { lr: 1e-3, clipValue: 1 });
    const arr = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.5);
    const batch = sequenceBatch({ mu: arr(B * (T + 1) * Z), logvar: arr(B * (T + 1) * Z), action: arr(B * T * A), reward: arr(B * T), done: new Float32Array(B * T), mask: new Float32Array(B * T).fill(1) }, B, T, Z, A);
    const eps = normalNoise(rng, [B, T + 1, Z]);
    const times: number[] = [];
    for (let i = 0; i < ctx.steps + 2; i++) {
      const t0 = performance.now();
      mdnTrainStep(rnn, cfg.rnn, opt, batch, eps);
      if (i >= 2) times.push(performance.now() - t0);
    }
    rows.push({ name: 'mdnrnn-train-b16x32', backend, median: median(times), unit: 'ms', note: 'LSTM 256, z 32, A 3, 5 mixtures' });
    disposeBatch(batch);
    eps.dispose();
    const vae = initVae(cfg.vae, rng);
    const dreamer = new WorldModelDreamer(vae, cfg.vae, exportMdnWeights(rnn, cfg.rnn, Z, A), { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] });
    const s = dreamer.session({ temperature: 1, seed: 0 });
    s.reset(new Uint8Array(64 * 64 * 3));
    const fps: number[] = [];
    for (let i = 0; i < Math.max(3, Math.floor(ctx.steps / 2)); i++) {
      const t0 = performance.now();
      for (let k = 0; k < 20; k++) s.step([0, 0.5, 0]);
      fps.push(20 / ((performance.now() - t0) / 1000));
    }
    rows.push({ name: 'dream-fps', backend, median: median(fps), unit: 'frames/s', note: '64×64, LSTM 256 step + VAE decode per frame' });
    s.dispose();
    opt.dispose();
    disposeParams(rnn);
    disposeParams(vae);
  }
  return rows;
}
