import type { ReturnNormConfig } from '../models/actor-critic-config.ts';

/** The q-th percentile (0–100) of `values`, linear interpolation between the sorted values (numpy's default). */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new Error('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q must be in [0, 100], got ${q}`);
  const s = Float64Array.from(values).sort();
  const pos = (q / 100) * (s.length - 1);
  const i = Math.floor(pos);
  const j = Math.min(i + 1, s.length - 1);
  return s[i] + (pos - i) * (s[j] - s[i]);
}

/**
 * DreamerV3's percentile return normalisation (dreamerv3 jaxutils.py `Moments` impl 'perc', agent.py
 * `retnorm`; mission-anchors §1.5): an EMA of the λ-returns' low and high percentiles,
 *   low ← decay·low + (1 − decay)·P_lo(R),  high ← decay·high + (1 − decay)·P_hi(R)   (both start at 0),
 * and the actor's return term is divided by scale = max(minScale, high − low). Large returns are scaled down
 * to a range of about 1 while small ones are never scaled up, so the entropy bonus keeps the same weight
 * against the return whatever the reward scale. Percentiles interpolate linearly between order statistics
 * (numpy's and jnp.percentile's default).
 * The running low/high are part of the behaviour's checkpoint (exact resume).
 */
export class ReturnNorm {
  low = 0;
  high = 0;

  constructor(readonly config: ReturnNormConfig) {
    if (config.low >= config.high)
      throw new Error(`returnNorm: low percentile (${config.low}) must be below high (${config.high})`);
  }

  /** Moves the EMA towards this batch of returns and gives the scale to divide them by. */
  update(returns: ArrayLike<number>): number {
    const { decay, low, high } = this.config;
    this.low = decay * this.low + (1 - decay) * percentile(returns, low);
    this.high = decay * this.high + (1 - decay) * percentile(returns, high);
    return this.scale();
  }

  scale(): number {
    return Math.max(this.config.minScale, this.high - this.low);
  }

  state(): { low: number; high: number } {
    return { low: this.low, high: this.high };
  }

  restore(s: { low?: unknown; high?: unknown }): void {
    this.low = Number(s.low ?? 0);
    this.high = Number(s.high ?? 0);
  }
}
