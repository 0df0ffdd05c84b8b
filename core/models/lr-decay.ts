import { z } from 'zod';

/**
 * A learning-rate decay: the configured lr until update `start`, then a cosine (Loshchilov & Hutter 2017, SGDR
 * without restarts) down to `final` × lr at update `end`, and `final` × lr after it. Why (issue 11 item 2): at
 * a constant lr the cartpole RSSM's 10-step dream swings from one checkpoint to the next (docs/results/small-presets.md, sessions 18–29);
 * a decay lets the late updates settle instead of hopping between basins. Counted in applied optimiser updates
 * (Adam's t, which checkpoints keep), so a resumed run continues the same schedule exactly. null = constant lr,
 * as in every paper preset.
 */
export const lrDecaySchema = z
  .strictObject({
    /** Updates at the full lr before the decay starts. */
    start: z.number().int().min(0).max(1e8),
    /** The update at which the lr reaches final × lr. */
    end: z.number().int().min(1).max(1e8),
    /** The lr's fraction left at `end` and after it. */
    final: z.number().min(0).max(1),
  })
  .refine((d) => d.end > d.start, { message: 'end must be greater than start', path: ['end'] });

export type LrDecay = z.infer<typeof lrDecaySchema>;

/** The lr's multiplier for the update that follows `updates` applied ones (0 = the first update). */
export function lrDecayFactor(decay: LrDecay | null | undefined, updates: number): number {
  if (!decay || updates <= decay.start) return 1;
  if (updates >= decay.end) return decay.final;
  const progress = (updates - decay.start) / (decay.end - decay.start);
  return decay.final + (1 - decay.final) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
