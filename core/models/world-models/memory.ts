import {
  convOutValid,
  convParams,
  deconvOutValid,
  denseParams,
  estimateBytes,
  type MemoryEstimate,
} from '../memory.ts';
import type { WorldModelsConfig } from './config.ts';
import { headSize } from './mdn-rnn.ts';

/**
 * Training memory of a World Models config (method in ../memory.ts): the heavier of the VAE phase
 * (conv encoder / deconv decoder activations × vae.batch) and the MDN-RNN phase (LSTM gates and
 * mixture head over rnn.batch × rnn.seqLen). The controller trains in a JS dream, not in tensors.
 */
const ACTION_DIM = 3; // the largest action size of the built-in envs (car-racing)

export function vaeParamCount(c: WorldModelsConfig): number {
  const v = c.vae;
  let n = 0;
  let ch = 3;
  let s = v.imageSize;
  for (const out of v.encChannels) {
    n += convParams(v.encKernel, ch, out);
    ch = out;
    s = convOutValid(s, v.encKernel);
  }
  n += 2 * denseParams(s * s * ch, v.zDim) + denseParams(v.zDim, v.decDense);
  let cin = v.decDense;
  [...v.decChannels, 3].forEach((out, i) => {
    n += convParams(v.decKernels[i], cin, out);
    cin = out;
  });
  return n;
}

export function rnnParamCount(c: WorldModelsConfig, actionDim = ACTION_DIM): number {
  const H = c.rnn.hidden;
  return (c.vae.zDim + actionDim) * 4 * H + H * 4 * H + 4 * H + denseParams(H, headSize(c.rnn, c.vae.zDim));
}

export function estimateWorldModelsMemory(c: WorldModelsConfig): MemoryEstimate {
  const v = c.vae;
  const image = v.imageSize * v.imageSize * 3;
  let perImage = 4 * image; // input, reconstruction, difference, square
  let s = v.imageSize;
  let ch = 3;
  let patches = 0;
  for (const out of v.encChannels) {
    s = convOutValid(s, v.encKernel);
    perImage += 2 * s * s * out;
    patches = Math.max(patches, s * s * v.encKernel * v.encKernel * ch);
    ch = out;
  }
  perImage += 6 * v.zDim + 2 * v.decDense;
  let d = 1;
  [...v.decChannels, 3].forEach((out, i) => {
    patches = Math.max(patches, d * d * v.decKernels[i] * v.decKernels[i] * out);
    d = deconvOutValid(d, v.decKernels[i]);
    perImage += 2 * d * d * out;
  });
  const vae: MemoryEstimate = {
    phase: 'vae',
    params: vaeParamCount(c),
    activations: v.batch * (perImage + patches),
    recurrentWeights: 0,
    sequenceSteps: 0,
    levers: ['vae.batch', 'vae.encChannels', 'vae.decDense'],
    shape: `vae.batch ${v.batch}`,
  };
  const H = c.rnn.hidden;
  const head = headSize(c.rnn, c.vae.zDim);
  // Per step: input, 4H gate pre-activations and their activations, cell and hidden state, head
  // outputs and the mixture log-likelihood terms (log π, μ, log σ per mixture and z dimension).
  const perStep = c.vae.zDim + ACTION_DIM + 3 * 4 * H + 4 * H + 4 * head;
  const rnn: MemoryEstimate = {
    phase: 'rnn',
    params: rnnParamCount(c) + vae.params,
    activations: c.rnn.batch * c.rnn.seqLen * perStep,
    // The LSTM cell's weights are applied at every step of the sequence.
    recurrentWeights: (c.vae.zDim + ACTION_DIM + H) * 4 * H,
    sequenceSteps: c.rnn.seqLen,
    levers: ['rnn.batch', 'rnn.seqLen', 'rnn.hidden'],
    shape: `rnn.batch ${c.rnn.batch} × rnn.seqLen ${c.rnn.seqLen}`,
  };
  return estimateBytes(vae) >= estimateBytes(rnn) ? vae : rnn;
}
