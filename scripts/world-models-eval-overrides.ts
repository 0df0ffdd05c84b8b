/**
 * The config overrides eval:world-models trains with: the preset's own VAE/MDN-RNN steps, CMA-ES generations,
 * population and dream temperature unless a flag gives them (so `--preset small` measures the small preset,
 * not numbers left over from the debug budget), and dreams as long as the collected episodes unless
 * --dream-steps says otherwise (WMx caps its CarRacing dream at 1200 steps, carracing/dream_env.py, beyond the
 * real 1000). Measured on CarRacing, small, data over the controller's actions, seeds 0/1/2: 1000-step dreams
 * −81.4/−66.2/−1.8 vs random −24.9/−28.1/−28.2 (1 of 3); 300-step dreams −62.9/−85.6 on seeds 0/1. Inconclusive,
 * so the cheaper default stays; the losing controllers are near-constant circling actions the dream overpays.
 */
export interface WorldModelsEvalFlags {
  vaeSteps?: number;
  rnnSteps?: number;
  generations?: number;
  population?: number;
  temperature?: number;
  /** Dream length; default collectSteps. */
  dreamSteps?: number;
  /** Steps of a collected episode. */
  collectSteps: number;
  evalEpisodes: number;
}

const defined = (o: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, number>;

export function dreamStepsOf(f: Pick<WorldModelsEvalFlags, 'dreamSteps' | 'collectSteps'>): number {
  return f.dreamSteps ?? f.collectSteps;
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
