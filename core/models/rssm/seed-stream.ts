import { tfSeed } from '../../tensor/seed.ts';

/**
 * A deterministic stream of integer seeds for tf.randomNormal / randomUniform (the RSSM's latent samples),
 * saved with checkpoints so a resumed run draws the same noise; it also carries the dream temperature.
 */
export class SeedStream {
  /** Sampling temperature for dreams: Gaussian std·τ, categorical logits/τ (1 = the model's distribution). */
  constructor(
    public state: number,
    readonly temperature = 1,
  ) {
    this.state = state >>> 0;
  }
  next(): number {
    this.state = (Math.imul(this.state ^ (this.state >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return tfSeed(this.state % 2147483647); // never 0: tfjs would read it as no seed
  }
}
