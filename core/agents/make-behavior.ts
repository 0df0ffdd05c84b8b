import type { AgentSettings } from '../models/actor-critic-config.ts';
import { LEXA_SMALL } from '../models/lexa-config.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { ActorCritic } from './actor-critic.ts';
import type { Behavior } from './behavior.ts';
import { CemPlanner } from './cem.ts';
import { Lexa } from './lexa.ts';
import { Plan2Explore } from './plan2explore.ts';

/**
 * The behaviour a config names (`behavior: cem | actor-critic | plan2explore | lexa`), sized for the world model
 * it will act in.
 */
export function createBehavior(s: AgentSettings, wm: LatentWorldModel, seed: number): Behavior {
  const lexa = s.lexa ?? LEXA_SMALL;
  switch (s.behavior) {
    case 'actor-critic':
      return new ActorCritic(s.actorCritic, wm, seed);
    case 'plan2explore':
      return new Plan2Explore(lexa.explorer, wm, seed);
    case 'lexa':
      return new Lexa(lexa, wm, seed);
    case 'cem':
      return new CemPlanner(s.planner);
  }
}

/** Exploration noise of the behaviour's training collection (CEM: the online schedule's; learned ones: their own). */
export function explorationNoise(s: AgentSettings): number {
  const lexa = s.lexa ?? LEXA_SMALL;
  if (s.behavior === 'actor-critic') return s.actorCritic.explorationNoise;
  if (s.behavior === 'plan2explore' || s.behavior === 'lexa') return lexa.explorer.actorCritic.explorationNoise;
  return s.online.explorationNoise;
}
