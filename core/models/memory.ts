import { backendMemoryLimit } from '../tensor/memory-limit.ts';
import { UserError } from '../util/errors.ts';

/**
 * Training memory of a config, estimated before a run starts so a config that cannot fit is refused
 * with a one-line error instead of dying mid-step (on wasm as `RuntimeError: memory access out of
 * bounds` once the 4 GiB wasm32 heap is full).
 *
 * Method: every family counts, from its config alone (no tensor is allocated),
 *   - P, the trainable parameters of its heaviest phase, and
 *   - A, the float32 values of the forward pass of one optimiser step that stay alive for backprop
 *     (layer outputs and pre-activations over batch × sequence, plus the largest conv patch buffer).
 *   - R · T, the weights an RNN cell applies at each of T sequential steps: tfjs's tape
 *     (backpropagateGradients) adds each step's weight gradient into the running sum without freeing
 *     it, so T gradients of the cell's weights are alive until the backward pass ends.
 * Bytes = 4 · (SLOTS · P + GRADIENT_COPIES · R · T + ACTIVATION_FACTOR · A) + BASELINE_BYTES, where
 * SLOTS = 4 (weights, their gradients, Adam's m and v). ACTIVATION_FACTOR covers the gradients of the
 * activations (also kept until the end of backprop) and element-wise temporaries; GRADIENT_COPIES and
 * ACTIVATION_FACTOR were fitted (rounded up) to the wasm heap measured after a few steps by
 * scripts/measure-train-memory.ts, BASELINE_BYTES is the heap before any tensor plus slack.
 */
export interface MemoryEstimate {
  /** The phase the estimate is for (the heaviest). */
  phase: string;
  params: number;
  activations: number;
  /** Weights applied once per step of a sequential loop (an RNN cell), and that loop's length. */
  recurrentWeights: number;
  sequenceSteps: number;
  /** Config fields that shrink the estimate most, e.g. 'train.batch'. */
  levers: string[];
  /** What the activations scale with, for the message ('batch 50 × length 50'). */
  shape: string;
  /** Extra float32 values, e.g. the gradient accumulator of micro-batched training (one per parameter). */
  extra?: number;
}

const SLOTS = 4;
// Calibration (wasm heap after 2–3 steps, MiB; the heap starts at 16; estimate in brackets):
// rssm debug b8×16 → 48 [107]; debug b32×32 → 371 [~500]; debug + deter 512, hidden 256 at b4×32 →
// 515 [595]; dreamerv2 (64 px, faithful sizes) at b2×50 → 1256 [1248] and b4×50 → 1738 [1778], i.e.
// +241 MiB per batch element, so dreamerv2's own b16×50 needs ≈ 4.6 GiB [4.8 GiB] and cannot fit;
// world-models debug vae b32 → 23 [66]. Fitted: activations ×1.6–1.8, per-step weight gradients ×2.1.
export const ACTIVATION_FACTOR = 2;
export const GRADIENT_COPIES = 2.5;
export const BASELINE_BYTES = 48 * 2 ** 20;

export function estimateBytes(e: MemoryEstimate): number {
  const floats =
    SLOTS * e.params +
    GRADIENT_COPIES * e.recurrentWeights * e.sequenceSteps +
    ACTIVATION_FACTOR * e.activations +
    (e.extra ?? 0);
  return 4 * floats + BASELINE_BYTES;
}

/**
 * The fewest micro-batches (1..batch) whose estimate fits the backend's memory, or `batch` when none does
 * (then checkMemoryFits on that estimate refuses with the usual message).
 */
export function microBatchesToFit(batch: number, estimateFor: (k: number) => MemoryEstimate, backend: string): number {
  const limit = backendMemoryLimit(backend).bytes;
  for (let k = 1; k <= batch; k++) {
    if (k > 1 && Math.ceil(batch / k) === Math.ceil(batch / (k - 1))) continue; // same micro-batch size
    if (estimateBytes(estimateFor(k)) <= limit) return k;
  }
  return batch;
}

const gb = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GB`;

/** Throws a one-line UserError when the estimate does not fit the backend's memory. */
export function checkMemoryFits(family: string, preset: string, e: MemoryEstimate, backend: string): number {
  const need = estimateBytes(e);
  const limit = backendMemoryLimit(backend);
  if (need <= limit.bytes) return need;
  const paramsGb = gb(4 * (SLOTS * e.params + GRADIENT_COPIES * e.recurrentWeights * e.sequenceSteps));
  const actGb = gb(4 * ACTIVATION_FACTOR * e.activations);
  throw new UserError(
    `${family} config (preset '${preset}') needs about ${gb(need)} to train on ${backend} (${e.phase}: parameters with Adam and per-step gradients ${paramsGb}, activations for ${e.shape} ${actGb}) but ${limit.what} is ${gb(limit.bytes)}: ` +
      `use a smaller preset (e.g. debug) or lower ${e.levers.join(' / ')} (--set ${e.levers[0]}=...)`,
  );
}

export const convOutValid = (size: number, k: number) => Math.floor((size - k) / 2) + 1;
export const deconvOutValid = (size: number, k: number) => (size - 1) * 2 + k;
export const convParams = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;
export const denseParams = (inDim: number, outDim: number) => inDim * outDim + outDim;
