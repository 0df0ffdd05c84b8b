import type { Space } from '../envs/types.ts';

/**
 * World Models' controller C as a pure function over host arrays: a = tanh(W [z, h] + b) (WMx
 * carracing/model.py, MODE_ZH), mapped onto the action space. Declared here, outside the family, because two
 * sides share it: the family's CMA-ES dream kernel (worker threads, no TensorFlow.js) and the controller
 * behaviour in core/agents, which must not reach into family internals.
 */
export type ActionSpec = { kind: 'box'; low: number[]; high: number[] } | { kind: 'discrete'; n: number };

export function actionDimOf(spec: ActionSpec): number {
  return spec.kind === 'box' ? spec.low.length : spec.n;
}

export function actionSpecOf(space: Space): ActionSpec {
  return space.kind === 'box' ? { kind: 'box', low: space.low, high: space.high } : { kind: 'discrete', n: space.n };
}

/** Number of controller parameters: W [(zDim + H) × A] and b [A] (WMx MODE_ZH; 867 for the CarRacing sizes). */
export function controllerSize(zDim: number, hidden: number, actionDim: number): number {
  return (zDim + hidden) * actionDim + actionDim;
}

/**
 * a = tanh(W [z, h] + b), mapped onto the action space: a box's [low, high] (identity on [−1, 1]), or
 * for a discrete space the one-hot of the largest output (the stored action encoding). θ = [W (row-major,
 * (zDim + H) × A) | b (A)].
 */
export function controllerAction(
  theta: ArrayLike<number>,
  z: ArrayLike<number>,
  h: ArrayLike<number>,
  spec: ActionSpec,
  into?: Float32Array,
): Float32Array {
  const A = actionDimOf(spec);
  const zDim = z.length;
  const H = h.length;
  const out = into ?? new Float32Array(A);
  const bOff = (zDim + H) * A;
  for (let j = 0; j < A; j++) {
    let s = theta[bOff + j];
    for (let i = 0; i < zDim; i++) s += z[i] * theta[i * A + j];
    for (let i = 0; i < H; i++) s += h[i] * theta[(zDim + i) * A + j];
    out[j] = Math.tanh(s);
  }
  if (spec.kind === 'box') {
    for (let j = 0; j < A; j++) out[j] = spec.low[j] + ((out[j] + 1) / 2) * (spec.high[j] - spec.low[j]);
  } else {
    let best = 0;
    for (let j = 1; j < A; j++) if (out[j] > out[best]) best = j;
    out.fill(0);
    out[best] = 1;
  }
  return out;
}
