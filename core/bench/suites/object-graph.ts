import * as tf from '@tensorflow/tfjs-core';
import { median, type BenchContext, type BenchRow } from '../types.ts';
import { Adam } from '../../models/nn.ts';
import { PRESETS } from '../../models/object-graph/config.ts';
import { ObjectGraphModel } from '../../models/object-graph/model.ts';
import { objectGraphTrainStep } from '../../models/object-graph/train-step.ts';
import type { TransitionBatch } from '../../models/object-graph/transitions.ts';
import { Rng } from '../../util/rng.ts';

/**
 * Object-graph (C-SWM) row: `cswm-train-b1024`, one contrastive update (extract and encode both frames, GNN
 * transition, hinge loss, backward, Adam) at the paper's batch of 1024 transitions with the `cswm-shapes` preset
 * (small extractor, hidden 512, 5 slots, 50×50 frames, 20 actions), median ms. Quick mode: batch 64
 * (row `cswm-train-b64-quick`).
 */
export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of ctx.backends) {
    await ctx.useBackend(backend);
    rows.push(await trainRow(ctx, backend));
  }
  return rows;
}

async function trainRow(ctx: BenchContext, backend: string): Promise<BenchRow> {
  const c = PRESETS['cswm-shapes'];
  const B = ctx.quick ? 64 : c.train.batch;
  const A = 20;
  const rng = new Rng(0);
  const model = new ObjectGraphModel(c, { kind: 'discrete', n: A }, 0);
  const opt = new Adam(model.og.params, { lr: c.train.lr });
  const px = c.model.imageSize * c.model.imageSize * 3;
  const action = new Float32Array(B * A);
  for (let b = 0; b < B; b++) action[b * A + rng.int(A)] = 1;
  const batch: TransitionBatch = {
    n: B,
    size: c.model.imageSize,
    obs: Uint8Array.from({ length: B * px }, () => (rng.next() < 0.2 ? 255 : 0)),
    next: Uint8Array.from({ length: B * px }, () => (rng.next() < 0.2 ? 255 : 0)),
    action,
    actionDim: A,
  };
  const steps = ctx.quick ? Math.min(ctx.steps, 3) : ctx.steps;
  const times: number[] = [];
  try {
    objectGraphTrainStep(model, opt, batch, rng);
    const before = tf.memory().numTensors;
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      const r = objectGraphTrainStep(model, opt, batch, rng);
      times.push(performance.now() - t0);
      if (!r.applied) throw new Error(`cswm step was not applied on ${backend}: ${r.reason}`);
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) ctx.log(`cswm: ${leaked} tensors leaked over ${steps} steps on ${backend}`);
    ctx.log(`cswm ${backend}: ${times.map((t) => t.toFixed(0)).join(' ')} ms`);
  } finally {
    opt.dispose();
    model.dispose();
  }
  return {
    name: ctx.quick ? 'cswm-train-b64-quick' : 'cswm-train-b1024',
    backend,
    median: median(times),
    unit: 'ms',
    note: `${steps} steps, batch ${B}, hidden ${c.model.hiddenDim}, K ${c.model.numObjects}, ${c.model.imageSize}×${c.model.imageSize}, small extractor${ctx.quick ? ', quick' : ''}`,
  };
}
