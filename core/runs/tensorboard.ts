import * as tf from '@tensorflow/tfjs-core';
import type { FamilyCheckpoint, FamilyContext, ModelFamily } from '../models/family.ts';
import { dreamStripPng } from '../media/dream-strip.ts';
import type { MetricsRecord } from './metrics.ts';
import { EventFileWriter } from './tfevents.ts';

/**
 * What a run shows in TensorBoard (`tensorboard --logdir <workspace>/runs`): every metrics.jsonl
 * record as scalars at its step, and at each checkpoint the open-loop dream strip (truth / dream /
 * error) as an image under `openloop/image` (Dreamer's key, ecosystem-anchors §1.3). The event file
 * sits in the run folder itself, so TensorBoard names the run by its id.
 */
export const DREAM_TAG = 'openloop/image';
/** The strip's shape: Dreamer's openl uses 5 context frames; a short dream keeps checkpoints cheap. */
const STRIP = { context: 5, horizon: 15 } as const;

export class RunTensorBoard {
  private readonly writer: EventFileWriter;

  /**
   * Every writer first logs a session START at the step training (re)starts from, so TensorBoard
   * drops points of earlier event files past it (what a killed attempt logged after its checkpoint).
   */
  constructor(runDir: string, startStep: number) {
    this.writer = new EventFileWriter(runDir);
    this.writer.write(Date.now() / 1000, startStep, { sessionStart: true });
  }

  get path(): string {
    return this.writer.path;
  }

  metrics(rec: MetricsRecord): void {
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(rec))
      if (k !== 'step' && typeof v === 'number' && Number.isFinite(v)) scalars[k] = v;
    if (!Object.keys(scalars).length) return;
    const t = Date.parse(rec.time);
    this.writer.write(Number.isFinite(t) ? t / 1000 : Date.now() / 1000, rec.step, { scalars });
  }

  image(tag: string, step: number, png: Uint8Array): void {
    const { width, height } = pngSize(png);
    this.writer.write(Date.now() / 1000, step, { image: { tag, width, height, encoded: png } });
  }
}

/** Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (png.byteLength < 24 || v.getUint32(12) !== 0x49484452) throw new Error('not a PNG (no IHDR chunk)');
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/**
 * The dream strip of the model as it is at a checkpoint, on the first held-out episode (else the
 * first training one). Null when the family cannot dream yet (e.g. World Models before its RNN
 * phase) or no episode is long enough; the reason goes to `log`.
 */
export async function checkpointDreamStrip(
  family: ModelFamily<unknown>,
  ctx: FamilyContext<unknown>,
  ck: FamilyCheckpoint,
  log: (line: string) => void,
): Promise<Uint8Array | null> {
  const ep = ctx.data.heldOut[0] ?? ctx.data.train[0];
  if (!ep || ep.imageShape[0] < 3) return null;
  const before = tf.memory().numTensors;
  let model: Awaited<ReturnType<ModelFamily<unknown>['loadModel']>> | null = null;
  try {
    model = await family.loadModel(ctx, ck);
    if (!model.openloop) return null; // a family that decodes no pixels has no dream strip
    const start = Math.min(STRIP.context - 1, ep.imageShape[0] - 2);
    const r = await model.openloop(ep, {
      start,
      horizon: Math.min(STRIP.horizon, ep.imageShape[0] - 1 - start),
      context: STRIP.context,
      temperature: 0,
      seed: 0,
    });
    return await dreamStripPng(r, 1);
  } catch (e) {
    log(`tensorboard: no dream strip at this checkpoint (${(e as Error).message.split('\n')[0].slice(0, 200)})`);
    return null;
  } finally {
    model?.dispose();
    const leaked = tf.memory().numTensors - before;
    if (leaked > 0) log(`tensorboard: the dream strip left ${leaked} tensors`);
  }
}
