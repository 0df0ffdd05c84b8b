import type { RssmConfig } from '../config.ts';
import { contrastive } from './contrastive.ts';
import type { RepresentationObjective } from './objective.ts';
import { prototypes } from './prototypes.ts';
import { reconstruction } from './reconstruction.ts';

/** The representation objective a config names (issue 15). */
export function objectiveOf(c: Pick<RssmConfig, 'objective'>): RepresentationObjective {
  switch (c.objective) {
    case 'reconstruction':
      return reconstruction;
    case 'contrastive':
      return contrastive;
    case 'prototypes':
      return prototypes;
  }
}

export type { LossTerm, LossTerms, RepresentationObjective } from './objective.ts';
