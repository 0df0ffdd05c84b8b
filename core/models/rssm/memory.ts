import { convOutValid, convParams, deconvOutValid, denseParams, type MemoryEstimate } from '../memory.ts';
import { type RssmConfig, featureSize, stochSize } from './config.ts';
import { imageOvershootingStarts } from './image-overshooting.ts';

/**
 * Training memory of an RSSM config (method in ../memory.ts). Parameters are counted layer by layer
 * as networks.ts / rssm.ts create them; activations per (batch, time) sample are the encoder and
 * decoder layer outputs (pre- and post-activation), the transition's per-step tensors (GRU gates,
 * prior and posterior statistics, samples, KL terms) and the heads, times batch × length.
 */
export function rssmParamCount(c: RssmConfig, actionDim = c.actionDim ?? 1): number {
  let n = 0;
  let inC = c.image.channels;
  let s = c.image.size;
  c.encoder.kernels.forEach((k, i) => {
    const out = c.encoder.depth * 2 ** i;
    n += convParams(k, inC, out);
    inC = out;
    s = convOutValid(s, k);
  });
  const embed = s * s * inC;
  const { deter, hidden } = c.rssm;
  const stoch = stochSize(c);
  const dist = c.rssm.latent.kind === 'gaussian' ? 2 * c.rssm.latent.size : stoch;
  n += priorInputParams(c, stoch, actionDim) + deter * 3 * deter;
  if (c.rssm.gruNorm) n += 2 * 3 * deter;
  n += denseParams(deter, hidden) + denseParams(hidden, dist);
  n += deter * hidden + denseParams(embed, hidden) + denseParams(hidden, dist);
  const f = featureSize(c);
  n += objectiveParamCount(c, embed);
  const mlp = () => {
    let m = 0;
    let d = f;
    for (let i = 0; i < c.heads.layers; i++) {
      m += denseParams(d, c.heads.units);
      d = c.heads.units;
    }
    return m + denseParams(d, 1);
  };
  n += mlp() * (c.heads.cont ? 2 : 1);
  return n;
}

/** The prior's input layer and the GRU's input weights (rssm.ts initTransition, per rssm.priorInput). */
function priorInputParams(c: RssmConfig, stoch: number, actionDim: number): number {
  const { deter, hidden } = c.rssm;
  if (c.rssm.priorInput === 'joint') return denseParams(stoch + actionDim, hidden) + denseParams(hidden, 3 * deter);
  // Two embeddings, each with a layer norm (gain and bias; the stoch's only in 'separate-raw-action'), then the
  // GRU's input over both.
  const norms = c.rssm.priorInput === 'separate' ? 4 * hidden : 2 * hidden;
  return denseParams(stoch, hidden) + denseParams(actionDim, hidden) + norms + denseParams(2 * hidden, 3 * deter);
}

/** Weights of the prototype objective's EMA target: the encoder and the observation projection. */
function rssmTargetCount(c: RssmConfig): number {
  let n = 0;
  let inC = c.image.channels;
  let s = c.image.size;
  c.encoder.kernels.forEach((k, i) => {
    const out = c.encoder.depth * 2 ** i;
    n += convParams(k, inC, out);
    inC = out;
    s = convOutValid(s, k);
  });
  return n + denseParams(s * s * inC, c.prototypes.dim);
}

/** The representation objective's trained parameters (objectives/): decoder, contrastive critics or prototypes. */
function objectiveParamCount(c: RssmConfig, embed: number): number {
  const f = featureSize(c);
  if (c.objective === 'contrastive') {
    const { units, obsUnits } = c.contrastive;
    return (
      denseParams(f, units) + denseParams(units, units) + denseParams(embed, obsUnits) + denseParams(obsUnits, units)
    );
  }
  if (c.objective === 'prototypes') {
    const { count, dim } = c.prototypes;
    return denseParams(embed, dim) + denseParams(f, dim) + count * dim;
  }
  let n = 0;
  const fc = 32 * c.decoder.depth;
  n += denseParams(f, fc);
  const nd = c.decoder.kernels.length;
  let cin = fc;
  c.decoder.kernels.forEach((k, i) => {
    const out = i === nd - 1 ? c.image.channels : c.decoder.depth * 2 ** (nd - 2 - i);
    n += convParams(k, cin, out);
    cin = out;
  });
  return n;
}

/**
 * `microBatches` > 1: the step accumulates gradients over that many parts (world-model.ts trainStep), so only
 * one part's activations are alive at once, plus one gradient-sized accumulator.
 */
export function estimateRssmMemory(c: RssmConfig, microBatches = 1): MemoryEstimate {
  const image = c.image.size * c.image.size * c.image.channels;
  let perSample = 3 * image; // pixels, scaled input, reconstruction target
  let s = c.image.size;
  let inC = c.image.channels;
  let patches = 0;
  c.encoder.kernels.forEach((k, i) => {
    const out = c.encoder.depth * 2 ** i;
    s = convOutValid(s, k);
    perSample += 2 * s * s * out;
    patches = Math.max(patches, s * s * k * k * inC);
    inC = out;
  });
  const encoderValues = perSample - 3 * image;
  // Decoding one frame: the decoder's activations, then the image loss's difference, square and likelihood terms.
  let decodeValues = 0;
  if (c.objective === 'reconstruction') {
    const nd = c.decoder.kernels.length;
    decodeValues += 2 * 32 * c.decoder.depth;
    let d = 1;
    c.decoder.kernels.forEach((k, i) => {
      const out = i === nd - 1 ? c.image.channels : c.decoder.depth * 2 ** (nd - 2 - i);
      patches = Math.max(patches, d * d * k * k * out);
      d = deconvOutValid(d, k);
      decodeValues += 2 * d * d * out;
    });
    decodeValues += 3 * image;
    perSample += decodeValues;
  } else if (c.objective === 'contrastive') {
    perSample += 4 * c.contrastive.units + 2 * c.contrastive.obsUnits;
  } else {
    // Target encoder forward, projections, and scores / logits / assignments over the prototypes.
    perSample += encoderValues + 6 * c.prototypes.dim + 8 * c.prototypes.count;
  }
  const { deter, hidden } = c.rssm;
  const stoch = stochSize(c);
  // GRU: fused pre-activations (3·deter) and their split, gates, candidate, products; prior and
  // posterior: input and output MLP activations, distribution statistics, samples, KL terms.
  perSample += 12 * 3 * deter + 4 * deter + 6 * hidden + 10 * stoch + featureSize(c);
  perSample += (c.heads.cont ? 2 : 1) * (2 * c.heads.layers * c.heads.units + 4);
  const k = Math.min(Math.max(1, microBatches), c.train.batch);
  const rows = Math.ceil(c.train.batch / k);
  // The prototype objective trains on two views of every window.
  const n = rows * c.train.length * (c.objective === 'prototypes' ? 2 : 1);
  const o = c.loss.overshooting.distance;
  // Latent overshooting repeats the prior's transition for up to D steps from every posterior.
  const overshoot = o > 0 ? n * o * (12 * 3 * deter + 4 * deter + 6 * hidden + 10 * stoch) : 0;
  // Image overshooting: D prior steps and D decoded frames (with their targets and weights) per start.
  const io = c.loss.imageOvershooting;
  const ioStarts =
    io.distance > 0 && io.scale > 0 ? imageOvershootingStarts(c.train.length, io.distance, io.stride).length : 0;
  const imageOvershoot =
    rows * ioStarts * io.distance * (12 * 3 * deter + 4 * deter + 6 * hidden + 10 * stoch + decodeValues + 2 * image);
  const actionDim = c.actionDim ?? 1;
  const dist = c.rssm.latent.kind === 'gaussian' ? 2 * c.rssm.latent.size : stoch;
  // The prior and posterior steps run once per time step (rssm.ts observe): their weights.
  const recurrent =
    (stoch + actionDim) * hidden +
    (c.rssm.priorInput === 'joint' ? 1 : 2) * hidden * 3 * deter +
    deter * 3 * deter +
    deter * hidden +
    2 * hidden * dist +
    deter * hidden;
  const params = rssmParamCount(c);
  return {
    phase: 'model',
    params,
    ...(k > 1 ? { extra: params } : {}),
    recurrentWeights: recurrent,
    sequenceSteps: c.train.length * (1 + o) + (ioStarts > 0 ? io.distance : 0),
    // InfoNCE's N × N score matrix (with its softmax terms); the EMA target's weights (no optimiser slots).
    activations:
      n * (perSample + patches) +
      overshoot +
      imageOvershoot +
      (c.objective === 'contrastive' ? 3 * n * n : 0) +
      (c.objective === 'prototypes' ? rssmTargetCount(c) : 0),
    levers: ['train.batch', 'train.length', 'rssm.deter', 'encoder.depth', 'decoder.depth'],
    shape:
      k > 1
        ? `micro-batches of ${rows} (batch ${c.train.batch}) × length ${c.train.length}`
        : `batch ${c.train.batch} × length ${c.train.length}`,
  };
}
