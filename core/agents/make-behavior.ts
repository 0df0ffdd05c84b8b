import type { AgentSettings } from '../models/actor-critic-config.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { ActorCritic } from './actor-critic.ts';
import type { Behavior } from './behavior.ts';
import { CemPlanner } from './cem.ts';

/** The behaviour a config names (`behavior: cem | actor-critic`), sized for the world model it will act in. */
export function createBehavior(s: AgentSettings, wm: LatentWorldModel, seed: number): Behavior {
  return s.behavior === 'actor-critic' ? new ActorCritic(s.actorCritic, wm, seed) : new CemPlanner(s.planner);
}

/** Exploration noise of the behaviour's training collection (CEM: the online schedule's; actor-critic: its own). */
export function explorationNoise(s: AgentSettings): number {
  return s.behavior === 'actor-critic' ? s.actorCritic.explorationNoise : s.online.explorationNoise;
}
