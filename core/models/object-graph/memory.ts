import { convParams, denseParams, type MemoryEstimate } from '../memory.ts';
import { extractorChannels, maskSide, type ObjectGraphConfig } from './config.ts';

/**
 * Training memory of an object-graph config (method in ../memory.ts), counted from the config alone: one step
 * extracts and encodes 2·batch frames (z_t and z_{t+1}) and runs the GNN over batch × K² slot pairs.
 */
const ACTION_DIM = 20; // shapes-2d's 20 discrete actions, the widest action of the envs this family is for

export function objectGraphParamCount(c: ObjectGraphConfig, actionDim = ACTION_DIM): number {
  const C = extractorChannels(c);
  const K = c.model.numObjects;
  const H = c.model.hiddenDim;
  const D = c.model.embeddingDim;
  const m = maskSide(c);
  const ext =
    c.model.encoder === 'small'
      ? convParams(10, 3, C) + convParams(1, C, K) + 2 * C
      : c.model.encoder === 'medium'
        ? convParams(9, 3, C) + convParams(5, C, K) + 2 * C
        : convParams(3, 3, C) + 2 * convParams(3, C, C) + convParams(3, C, K) + 6 * C;
  const slotAction = c.model.actionMode === 'ignore' ? 0 : c.model.actionMode === 'copy' ? actionDim : actionDim / K;
  const enc = denseParams(m * m, H) + denseParams(H, H) + denseParams(H, D) + 2 * H;
  const edge = denseParams(2 * D, H) + 2 * denseParams(H, H) + 2 * H;
  const node = denseParams(D + slotAction + H, H) + denseParams(H, H) + denseParams(H, D) + 2 * H;
  return ext + enc + edge + node;
}

export function estimateObjectGraphMemory(c: ObjectGraphConfig): MemoryEstimate {
  const S = c.model.imageSize;
  const C = extractorChannels(c);
  const K = c.model.numObjects;
  const H = c.model.hiddenDim;
  const m = maskSide(c);
  // Per frame: input, each conv's output, batch-norm and activation copies, the masks, and the largest
  // conv patch buffer; per slot: the encoder MLP's layers (pre-activation, norm, activation).
  let perFrame = S * S * 3 + 2 * K * m * m;
  if (c.model.encoder === 'small') perFrame += 3 * (S / 10) ** 2 * C + (S / 10) ** 2 * 300;
  else if (c.model.encoder === 'medium') perFrame += 3 * S * S * C + S * S * 243 + (S / 5) ** 2 * 25 * C;
  else perFrame += 9 * S * S * C + S * S * 9 * C;
  perFrame += K * 5 * H;
  // Per transition: K² edge activations through three layers and a norm, K node MLP rows.
  const perTransition = K * K * 7 * H + K * 6 * H;
  return {
    phase: 'model',
    params: objectGraphParamCount(c),
    // ×2.5: the counts above are the layer outputs only; the wasm heap measured by scripts/measure-train-memory.ts
    // holds more (element-wise temporaries of the layer and batch norms, the K² edge tensors before the mask):
    // small preset (hidden 128, batch 256) 251 MiB after 3 steps, cswm-shapes at batch 64 (hidden 512) 248 MiB;
    // with ×2.5 the estimates are 375 and 271 MiB.
    activations: 2.5 * c.train.batch * (2 * perFrame + perTransition),
    recurrentWeights: 0,
    sequenceSteps: 0,
    levers: ['train.batch', 'hiddenDim'],
    shape: `train.batch ${c.train.batch} transitions`,
  };
}
