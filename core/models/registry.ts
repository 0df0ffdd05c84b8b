import { UserError } from '../util/errors.ts';
import type { ModelFamily } from './family.ts';

/**
 * Model families by name. Loaded lazily so the CLI does not import every model to list runs.
 * To add a family: one entry here pointing at a module that exports `family: ModelFamily`.
 */
const FAMILIES: Record<string, { description: string; load: () => Promise<ModelFamily<any>> }> = {
  'world-models': {
    description: 'World Models: ConvVAE + MDN-RNN, controller trained in the dream by CMA-ES (Ha & Schmidhuber 2018)',
    load: async () => (await import('./world-models/family.ts')).worldModelsFamily,
  },
  rssm: {
    description:
      'RSSM world model (PlaNet / DreamerV2): Gaussian or discrete latents, KL balancing, latent overshooting, CEM planning',
    load: async () => (await import('./rssm/family.ts')).rssmFamily,
  },
  'object-graph': {
    description:
      'Object-graph world model (C-SWM): object slots from a CNN, GNN transition, per-object actions, contrastive hinge loss (Kipf et al. 2020)',
    load: async () => (await import('./object-graph/family.ts')).objectGraphFamily,
  },
};

export function familyNames(): string[] {
  return Object.keys(FAMILIES);
}

export function familyDescriptions(): { name: string; description: string }[] {
  return Object.entries(FAMILIES).map(([name, f]) => ({ name, description: f.description }));
}

export async function getFamily(name: string): Promise<ModelFamily<any>> {
  const f = FAMILIES[name];
  if (!f) throw new UserError(`unknown model family '${name}': expected one of ${familyNames().join(', ')}`);
  return f.load();
}
