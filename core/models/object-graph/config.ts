import { z } from 'zod';
import { presetConfig } from '../preset-config.ts';

/**
 * Object-graph world model (C-SWM, Kipf et al. 2020) configuration. Reference: tkipf/c-swm train.py
 * (argparse defaults) and modules.py (ContrastiveSWM); mission-anchors.md §1.9. Upper bounds are sanity
 * limits far above the paper's; whether a config fits the backend is the memory estimate's call (memory.ts).
 */
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const positive = (max: number) => z.number().positive().max(max);

const modelSchema = z.strictObject({
  /** Square frame size the extractor reads (frames of another size are resized). */
  imageSize: int(10, 256),
  /**
   * Object extractor CNN (modules.py): small = conv 10×10 stride 10 → 1×1 (the 2D Shapes default), medium =
   * conv 9×9 same → conv 5×5 stride 5, large = four 3×3 same convs at full resolution.
   */
  encoder: z.enum(['small', 'medium', 'large']),
  /** K object slots (train.py --num-objects). */
  numObjects: int(2, 32),
  /** Size of each slot's abstract state (train.py --embedding-dim). */
  embeddingDim: int(1, 256),
  /** Hidden units of the encoder MLP and the GNN's MLPs. */
  hiddenDim: int(16, 4096),
  /**
   * Channels of the extractor CNN's hidden layers. Absent: hiddenDim / 16, as train.py ties them (512 → 32). A
   * reduced hiddenDim must not shrink the extractor with it: with 4 channels (hidden 64) the slots bound to
   * their objects only partly (a moved object's change mostly in other slots, which the per-object action does
   * not reach), so the transition added little over copy-state; with 32 every slot bound (`npm run eval:cswm`
   * header). The `small` preset keeps 32.
   */
  extractorChannels: int(1, 1024).optional(),
  /**
   * How actions reach the slots: 'per-object' splits the one-hot action across the K slots (action k·A + a goes
   * to slot k), 'copy' gives every slot the whole action (--copy-action), 'ignore' none (--ignore-action).
   */
  actionMode: z.enum(['per-object', 'copy', 'ignore']),
});

export const objectGraphConfigSchema = z
  .strictObject({
    model: modelSchema,
    loss: z.strictObject({
      /** Energy scale σ: d(z, z') = ½σ⁻² · mean over slots of ‖z_k − z'_k‖² (train.py --sigma). */
      sigma: positive(100),
      /** Hinge margin γ of the negative term (train.py --hinge). */
      hinge: z.number().min(0).max(1e4),
    }),
    train: z.strictObject({
      /** Optimiser steps of the run (`--steps N`); one step = one batch of transitions. */
      steps: int(1, 1e8),
      batch: int(2, 8192),
      lr: positive(1),
    }),
    eval: z.strictObject({
      /** Prediction horizons k of Hits@1 / MRR (the paper's Table 1: 1, 5, 10). */
      steps: z.array(int(1, 1000)).min(1).max(16),
    }),
  })
  .superRefine((c, ctx) => {
    const m = c.model;
    const div = m.encoder === 'small' ? 10 : m.encoder === 'medium' ? 5 : 1;
    if (m.imageSize % div !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'imageSize'],
        message: `the ${m.encoder} extractor needs a frame size divisible by ${div}, got ${m.imageSize}`,
      });
    if (m.extractorChannels === undefined && m.hiddenDim % 16 !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'hiddenDim'],
        message: `expected a multiple of 16 (without extractorChannels the extractor has hiddenDim / 16 channels), got ${m.hiddenDim}`,
      });
  });

export type ObjectGraphConfig = z.infer<typeof objectGraphConfigSchema>;

const PAPER_PRESETS: Record<'cswm-shapes' | 'small' | 'debug', ObjectGraphConfig> = {
  // tkipf/c-swm README "2D Shapes": train.py --encoder small, other flags at their train.py defaults:
  // embedding-dim 2, hidden-dim 512, num-objects 5, sigma 0.5, hinge 1, batch 1024, lr 5e-4, 100 epochs.
  // 100 epochs of the 100,000 training transitions at batch 1024 = 100 · ⌈100000/1024⌉ = 9800 steps.
  'cswm-shapes': {
    model: {
      imageSize: 50,
      encoder: 'small',
      numObjects: 5,
      embeddingDim: 2,
      hiddenDim: 512,
      actionMode: 'per-object',
    },
    loss: { sigma: 0.5, hinge: 1 },
    train: { steps: 9800, batch: 1024, lr: 5e-4 },
    eval: { steps: [1, 5, 10] },
  },
  // The paper's model at a CPU budget: same architecture and loss, MLPs of hidden 64 but the paper's extractor
  // width (32 = 512 / 16), batch 256, lr 1e-3, 1500 updates (what `npm run eval:cswm` trains).
  small: {
    model: {
      imageSize: 50,
      encoder: 'small',
      numObjects: 5,
      embeddingDim: 2,
      hiddenDim: 64,
      extractorChannels: 32,
      actionMode: 'per-object',
    },
    loss: { sigma: 0.5, hinge: 1 },
    train: { steps: 1500, batch: 256, lr: 1e-3 },
    eval: { steps: [1, 5, 10] },
  },
  debug: {
    model: { imageSize: 50, encoder: 'small', numObjects: 5, embeddingDim: 2, hiddenDim: 32, actionMode: 'per-object' },
    loss: { sigma: 0.5, hinge: 1 },
    train: { steps: 20, batch: 16, lr: 1e-3 },
    eval: { steps: [1, 5, 10] },
  },
};

/** `default` (a run without --preset) is the paper's configuration, as rssm's default is PlaNet's. */
export const PRESETS = { ...PAPER_PRESETS, default: PAPER_PRESETS['cswm-shapes'] };

export const objectGraphPresetConfig = presetConfig<ObjectGraphConfig>({
  family: 'object-graph',
  schema: objectGraphConfigSchema,
  presets: PRESETS,
});

export function parseObjectGraphConfig(raw: unknown, where?: string): ObjectGraphConfig {
  return objectGraphPresetConfig.parseConfig(raw, where);
}

/** Width of the extractor's feature maps: the configured one, else train.py's hidden_dim // 16. */
export const extractorChannels = (c: ObjectGraphConfig): number => c.model.extractorChannels ?? c.model.hiddenDim / 16;

/** Side of each slot's mask: small /10, medium /5, large full size (modules.py `width_height`). */
export function maskSide(c: ObjectGraphConfig): number {
  const m = c.model;
  return m.encoder === 'small' ? m.imageSize / 10 : m.encoder === 'medium' ? m.imageSize / 5 : m.imageSize;
}
