import type { Space } from '../envs/types.ts';

/**
 * World Models' controller C as a pure function over host arrays: a = tanh(W [z, h] + b) (WMx
 * carracing/model.py, MODE_ZH), mapped onto the action space. Declared here, outside the family, because two
 * sides share it: the family's CMA-ES dream kernel (worker threads, no TensorFlow.js) and the controller
 * behaviour in core/agents, which must not reach into family internals.
 */
/**
 * How one tanh output a ∈ [−1, 1] becomes a box dimension: 'affine' rescales [−1, 1] onto [low, high];
 * 'clip' clamps a to [low, high] (so a one-sided [0, 1] dimension is 0 for half of the output range).
 */
export type OutputMap = 'affine' | 'clip';

export type ActionSpec =
  { kind: 'box'; low: number[]; high: number[]; map: OutputMap[] } | { kind: 'discrete'; n: number };

/**
 * Output maps the reference defines per env. CarRacing: steer = a₀, gas = (a₁ + 1)/2, brake = clip(a₂, 0, 1)
 * (WMx carracing/model.py `Model.get_action`). An affine brake would be 0.5 at a zero output — a car that
 * brakes half the time crawls — and the dream rewards it differently than the road does.
 */
const REFERENCE_MAPS: Readonly<Record<string, readonly OutputMap[]>> = {
  'car-racing': ['affine', 'affine', 'clip'],
};

export function actionDimOf(spec: ActionSpec): number {
  return spec.kind === 'box' ? spec.low.length : spec.n;
}

/**
 * The controller's action mapping for a space, with the reference's per-dimension maps when the episodes came
 * from an env it defines them for (`env` = the built-in env's name, null when unknown), affine elsewhere.
 */
export function actionSpecOf(space: Space, env: string | null): ActionSpec {
  if (space.kind !== 'box') return { kind: 'discrete', n: space.n };
  const ref = env !== null && Object.hasOwn(REFERENCE_MAPS, env) ? REFERENCE_MAPS[env] : undefined;
  if (ref && ref.length !== space.low.length)
    throw new Error(
      `the ${env} controller maps ${ref.length} action dimensions, but this dataset's action box has ${space.low.length}`,
    );
  const map: OutputMap[] = ref ? [...ref] : space.low.map(() => 'affine');
  return { kind: 'box', low: space.low, high: space.high, map };
}

/** Number of controller parameters: W [(zDim + H) × A] and b [A] (WMx MODE_ZH; 867 for the CarRacing sizes). */
export function controllerSize(zDim: number, hidden: number, actionDim: number): number {
  return (zDim + hidden) * actionDim + actionDim;
}

/**
 * a = tanh(W [z, h] + b), mapped onto the action space: per box dimension by its OutputMap ('affine': onto
 * [low, high], identity on [−1, 1]; 'clip': clamped to [low, high]), or for a discrete space the one-hot of the largest output (the stored action encoding). θ = [W (row-major,
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
  return mapControllerOutputs(out, spec);
}

/**
 * Maps controller outputs in [−1, 1] (in place) onto the action space: per box dimension by its OutputMap, or
 * the one-hot of the largest output for a discrete space. The one mapping of the controller, also used to
 * collect data over the actions the controller can take (core/agents/random-agents.ts).
 */
export function mapControllerOutputs(out: Float32Array, spec: ActionSpec): Float32Array {
  const A = actionDimOf(spec);
  if (out.length !== A) throw new Error(`expected ${A} controller outputs, got ${out.length}`);
  if (spec.kind === 'box') {
    for (let j = 0; j < A; j++)
      out[j] =
        spec.map[j] === 'clip'
          ? Math.min(spec.high[j], Math.max(spec.low[j], out[j]))
          : spec.low[j] + ((out[j] + 1) / 2) * (spec.high[j] - spec.low[j]);
  } else {
    let best = 0;
    for (let j = 1; j < A; j++) if (out[j] > out[best]) best = j;
    out.fill(0);
    out[best] = 1;
  }
  return out;
}
