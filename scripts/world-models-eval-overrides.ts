/**
 * The config overrides eval:world-models trains with: the preset's own VAE/MDN-RNN steps, CMA-ES generations,
 * population and dream temperature unless a flag gives them (so `--preset small` measures the small preset,
 * not numbers left over from the debug budget), and dreams as long as the real episodes the claim scores unless
 * --dream-steps says otherwise. Dreamt for 300 steps, CarRacing controllers grabbed the first tiles and then
 * circled on the grass for the remaining 700 real steps (seed 0: +7 to +12 over the first 300 real steps, −56 to
 * −63 over 1000); WMx caps its CarRacing dream at 1200 steps (carracing/dream_env.py), beyond the real 1000.
 */
export interface WorldModelsEvalFlags {
  vaeSteps?: number;
  rnnSteps?: number;
  generations?: number;
  population?: number;
  temperature?: number;
  /** Dream length; default evalSteps. */
  dreamSteps?: number;
  /** Steps of a real evaluation episode. */
  evalSteps: number;
  evalEpisodes: number;
}

const defined = (o: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, number>;

export function dreamStepsOf(f: Pick<WorldModelsEvalFlags, 'dreamSteps' | 'evalSteps'>): number {
  return f.dreamSteps ?? f.evalSteps;
}

export function worldModelsEvalOverrides(f: WorldModelsEvalFlags) {
  return {
    vae: defined({ steps: f.vaeSteps }),
    rnn: defined({ steps: f.rnnSteps }),
    controller: {
      enabled: true,
      ...defined({ generations: f.generations, population: f.population, temperature: f.temperature }),
      rolloutsPerCandidate: 4,
      dreamLength: dreamStepsOf(f),
      evalEpisodes: f.evalEpisodes,
      workers: 2,
    },
  };
}
