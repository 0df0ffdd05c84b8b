import * as tf from '@tensorflow/tfjs-core';
import { median, type BenchContext, type BenchRow } from '../types.ts';
import { makeDefaultVaeTrainStep } from '../../models/world-models/vae.ts';

/**
 * Row `vae-train-b32`: one World Models VAE training step (forward, backward, Adam) at batch 32,
 * 64×64×3, median ms over ctx.steps steps after 2 warm-up steps, per backend. The cpu backend is
 * skipped for the full step (over 90 s a step here, issue 2); quick mode measures batch 4.
 */
export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const batch = ctx.quick ? 4 : 32;
  for (const backend of ctx.backends) {
    if (backend === 'cpu' && !ctx.quick) {
      ctx.log('vae: skipping cpu for the full VAE step (over 90 s per step on this kind of machine)');
      continue;
    }
    await ctx.useBackend(backend);
    const vae = makeDefaultVaeTrainStep(0);
    const x = tf.randomUniform([batch, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const times: number[] = [];
    try {
      for (let i = 0; i < 2; i++) vae.step(x);
      const before = tf.memory().numTensors;
      for (let i = 0; i < ctx.steps; i++) {
        const t0 = performance.now();
        const loss = vae.step(x);
        times.push(performance.now() - t0);
        if (!Number.isFinite(loss)) throw new Error(`vae step produced a non-finite loss on ${backend}`);
      }
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) ctx.log(`vae: ${leaked} tensors leaked over ${ctx.steps} steps on ${backend}`);
      ctx.log(`vae ${backend}: ${times.map((t) => t.toFixed(0)).join(' ')} ms`);
    } finally {
      x.dispose();
      vae.dispose();
    }
    const threads = backend === 'wasm' ? ` ${(await import('../../tensor/wasm.ts')).wasmThreads()} thread(s)` : '';
    rows.push({
      name: ctx.quick ? 'vae-train-b4-quick' : 'vae-train-b32',
      backend,
      median: median(times),
      unit: 'ms',
      note: `${ctx.steps} steps,${threads}, model: World Models ConvVAE (default preset)${ctx.quick ? ', quick: batch 4' : ''}`,
    });
  }
  // Rows carry numbers only; the skipped cpu measurement is said in the notes.
  if (!ctx.quick && ctx.backends.includes('cpu')) {
    for (const r of rows) r.note = `${r.note}; cpu not measured (over 90 s per step)`;
  }
  return rows;
}
