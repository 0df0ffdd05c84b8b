import type { Achiever } from '../agents/achiever.ts';
import type { Behavior } from '../agents/behavior.ts';
import { LatentAgent } from '../agents/latent-agent.ts';
import { Lexa } from '../agents/lexa.ts';
import { randomPolicy } from '../agents/random-agents.ts';
import { type Agent, rolloutEpisode } from '../agents/rollout.ts';
import { makeEnv } from '../envs/registry.ts';
import type { EnvGoal } from '../envs/types.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { AgentEnvOptions } from './agent-session.ts';

/**
 * The goal benchmark (LEXA's evaluation: the env's goal list, success judged from the final state and never
 * given as a reward; lexa-benchmark envs/dmc.py): for every goal, `episodes` episodes from env seeds
 * seed + e, each scored as success or not at its last step, for the achiever (deterministic, no noise, the
 * goal image's embedding as its goal), the explorer alone, and a uniformly random policy on the same seeds.
 */
export interface GoalRow {
  goal: string;
  achiever: number;
  explorer: number;
  random: number;
}

export interface GoalReport {
  env: string;
  episodesPerGoal: number;
  rows: GoalRow[];
  overall: { achiever: number; explorer: number; random: number };
}

function finalSuccess(envName: string, env: ReturnType<typeof makeEnv>, agent: Agent, seed: number, goal: EnvGoal) {
  const { episode } = rolloutEpisode(env, agent, seed);
  const st = episode.extra?.state;
  if (!st) throw new UserError(`${envName}: the env records no vector state, so goal success cannot be judged`);
  const d = st.shape[1];
  const T = st.shape[0];
  return goal.success((st.data as Float32Array).slice((T - 1) * d, T * d)) ? 1 : 0;
}

export function evaluateGoals(
  envName: string,
  envOpts: AgentEnvOptions,
  wm: LatentWorldModel,
  behavior: Behavior,
  episodes: number,
  seed: number,
): GoalReport {
  if (!(behavior instanceof Lexa))
    throw new UserError(
      `--goals needs a run trained with behavior 'lexa' (an achiever); this run's is '${behavior.kind}'`,
    );
  const env = makeEnv(envName, envOpts);
  const goals = env.goals?.() ?? [];
  if (goals.length === 0)
    throw new UserError(`env '${envName}' has no goal list: use a goal benchmark env (point-goals, pinpad-*)`);
  const achiever: Achiever = behavior.achiever;
  const size = envOpts.size;
  const rows: GoalRow[] = [];
  const agentOf = (b: Behavior, s: number) =>
    new LatentAgent(wm, b, { noise: 0, seed: s, frameSize: size, explore: false });
  for (const [gi, goal] of goals.entries()) {
    achiever.setGoalImage(wm, goal.image, size);
    const sums = { achiever: 0, explorer: 0, random: 0 };
    for (let e = 0; e < episodes; e++) {
      const s = seed + 1000 * gi + e;
      for (const [key, b] of [
        ['achiever', achiever],
        ['explorer', behavior.explorer],
      ] as const) {
        const agent = agentOf(b, s);
        try {
          sums[key] += finalSuccess(envName, env, agent, s, goal);
        } finally {
          agent.dispose();
        }
      }
      sums.random += finalSuccess(envName, env, randomPolicy(env.actionSpace, new Rng(s)), s, goal);
    }
    rows.push({
      goal: goal.name,
      achiever: sums.achiever / episodes,
      explorer: sums.explorer / episodes,
      random: sums.random / episodes,
    });
  }
  const mean = (k: keyof Omit<GoalRow, 'goal'>) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  return {
    env: envName,
    episodesPerGoal: episodes,
    rows,
    overall: { achiever: mean('achiever'), explorer: mean('explorer'), random: mean('random') },
  };
}

/** The success table as text. */
export function formatGoalReport(r: GoalReport): string {
  const w = Math.max(8, ...r.rows.map((x) => x.goal.length));
  const pct = (v: number) => `${(100 * v).toFixed(0).padStart(4)}%`;
  const lines = [
    `goal success in ${r.env} (${r.episodesPerGoal} episodes per goal, success at the last step)`,
    `  ${'goal'.padEnd(w)}  achiever  explorer    random`,
  ];
  for (const x of r.rows)
    lines.push(`  ${x.goal.padEnd(w)}     ${pct(x.achiever)}     ${pct(x.explorer)}     ${pct(x.random)}`);
  const o = r.overall;
  lines.push(`  ${'overall'.padEnd(w)}     ${pct(o.achiever)}     ${pct(o.explorer)}     ${pct(o.random)}`);
  return lines.join('\n');
}
