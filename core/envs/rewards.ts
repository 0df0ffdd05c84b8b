/**
 * dm_control's soft indicator `tolerance()` (google-deepmind/dm_control · dm_control/utils/rewards.py),
 * scalar version: 1 inside [lower, upper], decaying with the distance to the nearest bound scaled by
 * `margin`, reaching `valueAtMargin` at distance == margin.
 */
export type Sigmoid =
  'gaussian' | 'hyperbolic' | 'long_tail' | 'reciprocal' | 'cosine' | 'linear' | 'quadratic' | 'tanh_squared';

export interface ToleranceOptions {
  bounds?: [number, number];
  margin?: number;
  sigmoid?: Sigmoid;
  /** rewards.py _DEFAULT_VALUE_AT_MARGIN = 0.1 */
  valueAtMargin?: number;
}

/** `_sigmoids(x, value_at_1, sigmoid)`: 1 at x = 0, `valueAt1` at |x| = 1. */
export function sigmoids(x: number, valueAt1: number, sigmoid: Sigmoid): number {
  if (sigmoid === 'cosine' || sigmoid === 'linear' || sigmoid === 'quadratic') {
    if (!(valueAt1 >= 0 && valueAt1 < 1))
      throw new Error(`value_at_1 must be in [0, 1) for ${sigmoid}, got ${valueAt1}`);
  } else if (!(valueAt1 > 0 && valueAt1 < 1)) {
    throw new Error(`value_at_1 must be strictly between 0 and 1 for ${sigmoid}, got ${valueAt1}`);
  }
  switch (sigmoid) {
    case 'gaussian': {
      const scale = Math.sqrt(-2 * Math.log(valueAt1));
      return Math.exp(-0.5 * (x * scale) ** 2);
    }
    case 'hyperbolic': {
      const scale = Math.acosh(1 / valueAt1);
      return 1 / Math.cosh(x * scale);
    }
    case 'long_tail': {
      const scale = Math.sqrt(1 / valueAt1 - 1);
      return 1 / ((x * scale) ** 2 + 1);
    }
    case 'reciprocal': {
      const scale = 1 / valueAt1 - 1;
      return 1 / (Math.abs(x) * scale + 1);
    }
    case 'cosine': {
      const s = x * (Math.acos(2 * valueAt1 - 1) / Math.PI);
      return Math.abs(s) < 1 ? (1 + Math.cos(Math.PI * s)) / 2 : 0;
    }
    case 'linear': {
      const s = x * (1 - valueAt1);
      return Math.abs(s) < 1 ? 1 - s : 0;
    }
    case 'quadratic': {
      const s = x * Math.sqrt(1 - valueAt1);
      return Math.abs(s) < 1 ? 1 - s * s : 0;
    }
    case 'tanh_squared': {
      const scale = Math.atanh(Math.sqrt(1 - valueAt1));
      return 1 - Math.tanh(x * scale) ** 2;
    }
  }
}

export function tolerance(x: number, opts: ToleranceOptions = {}): number {
  const [lower, upper] = opts.bounds ?? [0, 0];
  const margin = opts.margin ?? 0;
  if (lower > upper) throw new Error('tolerance: lower bound must be <= upper bound');
  if (margin < 0) throw new Error('tolerance: margin must be non-negative');
  // dm_control evaluates the sigmoid for every x (numpy), so a bad value_at_margin raises even in bounds.
  if (margin > 0) sigmoids(0, opts.valueAtMargin ?? 0.1, opts.sigmoid ?? 'gaussian');
  const inBounds = lower <= x && x <= upper;
  if (inBounds) return 1;
  if (margin === 0) return 0;
  const d = (x < lower ? lower - x : x - upper) / margin;
  return sigmoids(d, opts.valueAtMargin ?? 0.1, opts.sigmoid ?? 'gaussian');
}
