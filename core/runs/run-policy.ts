import type { Behavior } from '../agents/behavior.ts';
import { LatentAgent } from '../agents/latent-agent.ts';
import type { AgentSettings } from '../models/actor-critic-config.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { UserError } from '../util/errors.ts';
import { envOptionsOf, type AgentEnvOptions } from './agent-session.ts';
import { dataEnvOptions } from './data-env.ts';
import { runBehavior } from './load-agent.ts';
import { openRunModel } from './load.ts';
import { readRunConfig } from './run-dir.ts';
import { behaviorOf } from './trained-behavior.ts';

/**
 * A trained run's agent as a collection policy (`oneiro collect --policy run:ID[@STEP]`): the data loop of World
 * Models' iterative procedure and of Dreamer, by hand — train on a dataset, collect more episodes with the agent
 * into it, train on the union. The agent is the run's own: the behaviour a family trained itself (World Models'
 * controller) or the one its config hosts (cem, actor-critic, lexa, …), restored from the checkpoint, acting
 * through belief filtering (LatentAgent) in the env as the run's data was collected (its action repeat and
 * background: another repeat would be another time step than the model learnt).
 */
export interface RunPolicy {
  /** 'run:ID@STEP': what the dataset records as the policy. */
  label: string;
  /** What acts: 'controller', 'cem', 'actor-critic', 'lexa', … */
  behavior: string;
  env: string;
  /** The env as the run's data was collected (a dataset's frame size; an online run's model size). */
  envOptions: AgentEnvOptions;
  /**
   * The agent for one episode on frames of `frameSize` (resized to the model's). `noise` > 0 explores: Gaussian
   * noise of that std on box actions, a random action with that probability on discrete ones, and the behaviour
   * samples instead of taking its mode. Dispose it after the episode.
   */
  agent(seed: number, frameSize: number, noise: number): LatentAgent;
  dispose(): void;
}

export async function openRunPolicy(
  dir: string,
  opts: { backend?: string; /** A kept checkpoint's global step; the latest when absent. */ checkpoint?: number } = {},
): Promise<RunPolicy> {
  const config = readRunConfig(dir);
  const env = config.source.env;
  if (!env)
    throw new UserError(
      `run ${config.id} trained on dataset '${config.source.dataset}', which names no built-in env: its agent has no env to collect in`,
    );
  const opened = await openRunModel(dir, {
    episodes: false,
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.checkpoint !== undefined ? { checkpoint: opts.checkpoint } : {}),
  });
  let parts: { wm: LatentWorldModel; behavior: Behavior; kind: string; settings: AgentSettings | null } | null = null;
  try {
    const tb = opened.model.trainedBehavior?.() ?? null;
    if (tb && opened.model.latent)
      parts = { wm: opened.model.latent(), behavior: behaviorOf(tb), kind: tb.kind, settings: null };
    else if (opened.family.agentSettings?.(opened.family.parseConfig(config.model)) === null)
      throw new UserError(
        `run ${config.id}: its checkpoint at step ${opened.checkpoint.globalStep} holds no trained behaviour (the ${config.family} family trains its own in a phase of the run: finish that phase, or train a run with it enabled)`,
      );
    else {
      const r = runBehavior(opened);
      parts = { wm: r.wm, behavior: r.behavior, kind: r.settings.behavior, settings: r.settings };
    }
    const { wm, behavior, kind, settings } = parts;
    // An online run acts in the env its schedule made; a run on a dataset as that dataset was collected, frames at
    // the dataset's size too (the agent resizes them to the model's, as training did), so it can collect into it.
    const envOptions =
      config.source.dataset || !settings
        ? await dataEnvOptions(opened.data.imageSize, opened.data)
        : envOptionsOf(settings);
    return {
      label: `run:${config.id}@${opened.checkpoint.globalStep}`,
      behavior: kind,
      env,
      envOptions,
      agent: (seed, frameSize, noise) => new LatentAgent(wm, behavior, { noise, seed, frameSize, explore: noise > 0 }),
      dispose: () => {
        behavior.dispose();
        opened.model.dispose();
      },
    };
  } catch (e) {
    parts?.behavior.dispose();
    opened.model.dispose();
    throw e;
  }
}
