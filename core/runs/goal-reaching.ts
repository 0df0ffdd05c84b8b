import * as tf from '@tensorflow/tfjs-core';
import { goalCemPlan, GOAL_CEM_DEFAULTS, type GoalCemOptions } from '../agents/goal-cem.ts';
import { makeEnv } from '../envs/registry.ts';
import type { Observation } from '../envs/types.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/**
 * Goal reaching measured in the real env (issue 16, behaviours): a goal is the frame `goalSteps` random moves away
 * from the start; from the same start the goal CEM planner (core/agents/goal-cem.ts) acts by model-predictive
 * control for up to `maxSteps`, toward the goal frame's encoding; success = the env's true state equals the
 * goal's (every object where the goal has it). A random policy on the same trials is the baseline.
 */
export interface GoalReachingOptions {
  trials: number;
  goalSteps: number;
  maxSteps: number;
  seed: number;
  cem?: GoalCemOptions;
}

export interface GoalReachingResult {
  trials: number;
  /** Success rates in %. */
  planner: number;
  random: number;
  /** Mean env steps of the planner's successful trials. */
  plannerSteps: number;
}

const sameState = (a: Observation, goal: Float32Array) => a.state!.every((v, i) => v === goal[i]);

export function measureGoalReaching(wm: LatentWorldModel, envName: string, o: GoalReachingOptions): GoalReachingResult {
  if (wm.actionSpace.kind !== 'discrete') throw new UserError('goal reaching is measured on discrete-action envs');
  const n = wm.actionSpace.n;
  const env = makeEnv(envName, { size: wm.imageSize, maxSteps: o.goalSteps + o.maxSteps + 1 });
  const rng = new Rng(o.seed);
  const zero = tf.zeros([1, n]) as tf.Tensor2D;
  const encode = (obs: Observation) => wm.observe({}, zero, obs.image, null);
  let planned = 0,
    random = 0,
    steps = 0;
  try {
    for (let trial = 0; trial < o.trials; trial++) {
      const seed = o.seed * 10_000 + trial;
      let obs = env.reset(seed);
      if (!obs.state) throw new UserError(`env ${envName} has no true state to test success against`);
      const start = Float32Array.from(obs.state);
      // goalSteps random moves; more while they leave every object where it started (a goal must differ).
      for (let t = 0; t < o.goalSteps || (sameState(obs, start) && t < o.goalSteps + 100); t++)
        obs = env.step(rng.int(n)).obs;
      const goal = Float32Array.from(obs.state!);
      const goalState = encode(obs);
      const goalFeat = wm.features(goalState);
      wm.disposeState(goalState);
      obs = env.reset(seed);
      if (!obs.state!.every((v, i) => v === start[i]))
        throw new Error(`${envName}: reset(${seed}) is not reproducible`);
      for (let t = 0; t < o.maxSteps && !sameState(obs, goal); t++) {
        const s = encode(obs);
        const plan = goalCemPlan(wm, s, goalFeat, o.cem ?? GOAL_CEM_DEFAULTS, rng);
        wm.disposeState(s);
        obs = env.step(plan.action).obs;
        if (sameState(obs, goal)) {
          planned++;
          steps += t + 1;
        }
      }
      goalFeat.dispose();
      obs = env.reset(seed);
      for (let t = 0; t < o.maxSteps && !sameState(obs, goal); t++) {
        obs = env.step(rng.int(n)).obs;
        if (sameState(obs, goal)) random++;
      }
    }
  } finally {
    zero.dispose();
  }
  return {
    trials: o.trials,
    planner: (100 * planned) / o.trials,
    random: (100 * random) / o.trials,
    plannerSteps: planned ? steps / planned : NaN,
  };
}
