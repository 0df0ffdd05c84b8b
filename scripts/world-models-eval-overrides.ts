/**
 * The config overrides eval:world-models trains with: the preset's own VAE/MDN-RNN steps, CMA-ES generations,
 * population and dream temperature unless a flag gives them (so `--preset small` measures the small preset,
 * not numbers left over from the debug budget), and the dream as long as the collected episodes.
 */
export interface WorldModelsEvalFlags {
  vaeSteps?: number;
  rnnSteps?: number;
  generations?: number;
  population?: number;
  temperature?: number;
  dreamLength: number;
  evalEpisodes: number;
}

const defined = (o: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, number>;

export function worldModelsEvalOverrides(f: WorldModelsEvalFlags) {
  return {
    vae: defined({ steps: f.vaeSteps }),
    rnn: defined({ steps: f.rnnSteps }),
    controller: {
      enabled: true,
      ...defined({ generations: f.generations, population: f.population, temperature: f.temperature }),
      rolloutsPerCandidate: 4,
      dreamLength: f.dreamLength,
      evalEpisodes: f.evalEpisodes,
      workers: 2,
    },
  };
}
