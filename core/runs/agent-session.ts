import * as tf from '@tensorflow/tfjs-core';
import type { Behavior } from '../agents/behavior.ts';
import { LatentAgent } from '../agents/latent-agent.ts';
import { createBehavior, explorationNoise } from '../agents/make-behavior.ts';
import { randomPolicy } from '../agents/random-agents.ts';
import { rolloutEpisode, type Agent } from '../agents/rollout.ts';
import { makeEnv } from '../envs/registry.ts';
import type { Env } from '../envs/types.ts';
import type { AgentSettings } from '../models/actor-critic-config.ts';
import type {
  FamilyCheckpoint,
  PhaseSpec,
  StepContext,
  StepReport,
  TrainData,
  TrainSession,
} from '../models/family.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { isUserError, UserError } from '../util/errors.ts';
import type { VideoFrames } from '../envs/background.ts';
import { dataEnvOptions } from './data-env.ts';
import { Rng } from '../util/rng.ts';
import { EpisodeStore } from './episode-store.ts';
import { tagEpisode, type ActorName } from '../agents/episode-tags.ts';
import { nextEpisodeActor, ReplayGoals } from './replay-goals.ts';

/**
 * The runner's agent loop around a family's training session, for every family that hosts behaviours:
 * - the behaviour (config `behavior`), created on the family's `latent()` view, learns after every model step
 *   from the posterior states of a fresh batch (`startStates`) — Dreamer's schedule of one model and one
 *   behaviour update per train step;
 * - online (no dataset, an env): prefill with random episodes, then one episode collected by the agent (belief
 *   filtering + behaviour + exploration noise) every `online.trainEvery` steps, stored in the run's episode
 *   store; held-out episodes (by id hash) are kept for `oneiro eval` and never trained on;
 * - checkpoints: the family's tensors plus the behaviour's parameter group `behavior/…`, the collected count;
 *   resume reloads exactly the stored episodes the checkpoint had;
 * - at the end, when the episodes came from a built-in env, the behaviour is scored in that env against a
 *   uniformly random policy (offline runs: trained purely inside the model, never touching the env before).
 */
export const EVAL_EPISODES = 3;

export interface AgentSessionOptions {
  seed: number;
  data: TrainData;
  runDir: string | null;
  heldOutFraction: number;
  log(msg: string): void;
}

export class AgentSession implements TrainSession {
  readonly phases: PhaseSpec[];
  private behavior: Behavior | null = null;
  private env: Env | null = null;
  private readonly store: EpisodeStore;
  private readonly online: boolean;
  private returns: number[] = [];
  /** Replay frames the LEXA achiever takes its training goals from. */
  private readonly goals: ReplayGoals;
  /** Behaviours whose collected episodes record who acted (and the achiever's goal). */
  private readonly tags: boolean;

  constructor(
    private readonly inner: TrainSession,
    private readonly settings: AgentSettings,
    private readonly opts: AgentSessionOptions,
  ) {
    this.phases = inner.phases;
    this.online = opts.data.dataset === null && opts.data.env !== null;
    this.store = new EpisodeStore(opts.runDir, opts.heldOutFraction);
    this.goals = new ReplayGoals(opts.seed);
    this.tags = settings.behavior === 'lexa' || settings.behavior === 'plan2explore';
    if (this.online && !inner.addEpisodes)
      throw new UserError('this model family cannot train online (it takes no collected episodes; rssm does)');
    if (settings.behavior === 'cem' && opts.data.actionSpace.kind !== 'box' && this.online)
      throw new UserError(
        `the CEM planner needs continuous actions; env '${opts.data.env}' has a discrete action space (use --behavior actor-critic)`,
      );
  }

  /** The behaviour, once the family's world model exists. */
  private agentParts(): { wm: LatentWorldModel; behavior: Behavior } | null {
    const wm = this.inner.latent?.() ?? null;
    if (!wm) return null;
    this.behavior ??= createBehavior(this.settings, wm, this.opts.seed);
    return { wm, behavior: this.behavior };
  }

  private makeEnv(): Env {
    this.env ??= makeEnv(this.opts.data.env as string, envOptionsOf(this.settings));
    return this.env;
  }

  private collect(
    agent: Agent,
    seed: number,
    tag: { actor: ActorName; goalImage?: Uint8Array } = { actor: 'agent' },
    dedicatedHeldOut = false,
  ): { ret: number; heldOut: boolean } {
    const rolled = rolloutEpisode(this.makeEnv(), agent, seed);
    const ret = rolled.ret;
    const episode = this.tags ? tagEpisode(rolled.episode, tag.actor, tag.goalImage) : rolled.episode;
    const { heldOut } = this.store.add(episode, dedicatedHeldOut);
    if (!heldOut) {
      this.inner.addEpisodes!([episode]);
      this.goals.add(episode);
    }
    if (!dedicatedHeldOut) this.returns.push(ret);
    return { ret, heldOut };
  }

  async beginPhase(phase: string, signal: AbortSignal): Promise<void> {
    if (this.online && this.store.count === 0) {
      // Prefill with random episodes (some may fall on the held-out side of the split: they are kept for eval).
      const space = this.opts.data.actionSpace;
      let held = 0;
      const n = this.settings.online.seedEpisodes;
      for (let i = 0; i < n; i++) {
        const seed = this.opts.seed * 1000 + i;
        if (this.collect(randomPolicy(space, new Rng(seed)), seed, { actor: 'random' }).heldOut) held++;
      }
      // At fraction 0.1 the first id whose hash holds it out is number 24: without a dedicated held-out
      // episode a short online run would have nothing `oneiro eval` may score.
      if (held === 0 && this.opts.heldOutFraction > 0) {
        const seed = this.opts.seed * 1000 + n;
        this.collect(randomPolicy(space, new Rng(seed)), seed, { actor: 'random' }, true);
        held++;
      }
      const mean = this.returns.reduce((a, b) => a + b, 0) / Math.max(1, this.returns.length);
      this.opts.log(
        `collected ${this.store.count} random seed episodes, ${held} held out (mean return ${mean.toFixed(2)})`,
      );
    }
    await this.inner.beginPhase(phase, signal);
  }

  /** One episode with the agent (behaviour + exploration noise) in the env; its return. */
  collectWithAgent(seed: number, explore = true): number {
    const parts = this.agentParts();
    if (!parts) throw new Error('no world model to act in yet');
    const agent = new LatentAgent(parts.wm, parts.behavior, {
      noise: explore ? explorationNoise(this.settings) : 0,
      seed,
      frameSize: this.settings.imageSize,
      explore,
    });
    try {
      return this.collect(
        agent,
        seed,
        nextEpisodeActor(parts.behavior, parts.wm, this.goals, this.goals.rngFor(this.store.count)),
      ).ret;
    } finally {
      agent.dispose();
    }
  }

  async step(s: StepContext): Promise<StepReport> {
    const metrics: Record<string, number> = {};
    // Wall seconds of each part of the step (collection, model, behaviour), so a profile needs no extra tool.
    let t = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      metrics[`time_${name}_s`] = (now - t) / 1000;
      t = now;
    };
    if (this.online && s.step > 0 && s.step % this.settings.online.trainEvery === 0) {
      metrics.train_return = this.collectWithAgent(s.rng.int(2 ** 31));
      metrics.episodes = this.store.count;
      lap('collect');
    }
    const rep = await this.inner.step(s);
    lap('model');
    // The actor-critic may wait for the model (actorCritic.startAfter): an actor that follows a reward head
    // still worse than a constant learns a push to one bound it does not come back from (eval:dreamer).
    const waiting = this.settings.behavior === 'actor-critic' && s.globalStep < this.settings.actorCritic.startAfter;
    const parts = rep.applied && this.inner.startStates && !waiting ? this.agentParts() : null;
    if (!parts?.behavior.update) return { ...rep, metrics: { ...rep.metrics, ...metrics } };
    // Plan2Explore and LEXA read the windows' structure and the frames' embeddings (replay goals).
    const batch = this.tags && this.inner.startBatch ? this.inner.startBatch(s.rng) : null;
    const starts = batch ? batch.states : this.inner.startStates!(s.rng);
    try {
      const u = parts.behavior.update(
        parts.wm,
        starts,
        s.rng.int(2 ** 31),
        batch ? { seqLength: batch.seqLength, ...(batch.embeds ? { embeds: batch.embeds } : {}) } : undefined,
      );
      lap('behavior');
      const reason = rep.reason ?? u.reason;
      return {
        ...rep,
        applied: rep.applied && u.applied,
        ...(reason ? { reason } : {}),
        metrics: { ...rep.metrics, ...u.metrics, ...metrics },
      };
    } finally {
      parts.wm.disposeState(starts);
      batch?.embeds?.dispose();
    }
  }

  async endPhase(phase: string, signal: AbortSignal): Promise<Record<string, number>> {
    const out = await this.inner.endPhase(phase, signal);
    if (this.online) Object.assign(out, { episodes: this.store.count, last_train_return: this.returns.at(-1) ?? NaN });
    const env = this.opts.data.env;
    const parts = phase === this.phases.at(-1)?.name ? this.agentParts() : null;
    // Learned behaviours are scored here; the CEM planner's env score is scripts/eval-planet.ts's (it is slow).
    if (env && parts && this.settings.behavior === 'actor-critic') {
      let envOpts: AgentEnvOptions;
      try {
        envOpts = this.online
          ? envOptionsOf(this.settings)
          : await dataEnvOptions(this.settings.imageSize, this.opts.data);
      } catch (e) {
        if (!isUserError(e)) throw e;
        this.opts.log(`${this.settings.behavior}: not scored in ${env}: ${e.message}`);
        return out;
      }
      const r = scoreInEnv(env, envOpts, parts.wm, parts.behavior, EVAL_EPISODES, 1_000_000 + this.opts.seed);
      out.eval_return = r.agent;
      out.random_return = r.random;
      this.opts.log(
        `${this.settings.behavior} in ${env}: ${r.agent.toFixed(2)} vs random ${r.random.toFixed(2)} over ${EVAL_EPISODES} episodes`,
      );
    }
    return out;
  }

  checkpoint(): FamilyCheckpoint {
    const ck = this.inner.checkpoint();
    const b = this.behavior?.checkpoint();
    const tensors = { ...ck.tensors };
    if (b) for (const [k, t] of Object.entries(b.tensors)) tensors[`behavior/${k}`] = t;
    return { ...ck, tensors, state: { ...ck.state, behavior: b?.state ?? null, collected: this.store.count } };
  }

  restore(ckpt: FamilyCheckpoint): void {
    this.inner.restore(ckpt);
    const bstate = ckpt.state.behavior as Record<string, unknown> | null | undefined;
    if (bstate) {
      const parts = this.agentParts();
      if (parts) {
        const tensors: Record<string, tf.Tensor> = {};
        for (const [k, t] of Object.entries(ckpt.tensors)) if (k.startsWith('behavior/')) tensors[k.slice(9)] = t;
        parts.behavior.restore({ tensors, state: bstate });
      }
    }
    if (this.online) {
      const { train } = this.store.load(Number(ckpt.state.collected ?? 0));
      this.inner.addEpisodes!(train);
      for (const e of train) this.goals.add(e);
    }
  }

  latent(): LatentWorldModel | null {
    return this.inner.latent?.() ?? null;
  }

  dispose(): void {
    this.behavior?.dispose();
    this.inner.dispose();
  }
}

/** How the env is made for an agent (envOptionsOf). */
export interface AgentEnvOptions {
  size: number;
  actionRepeat?: number;
  maxSteps?: number;
  background?: 'plain' | 'noise' | 'video';
  /** With background 'video': the user's clip the data was drawn over (dataEnvOptions). */
  backgroundFrames?: VideoFrames | null;
}

/**
 * How the env is made for an agent that trains online: frames at the model's size, the schedule's repeat, length and
 * background. An agent trained on a dataset is scored as its data was collected instead (dataEnvOptions) — the model
 * learnt that time step and that background, whatever the online block says.
 */
export function envOptionsOf(s: AgentSettings): AgentEnvOptions {
  const { actionRepeat, episodeSteps } = s.online;
  return {
    size: s.imageSize,
    ...(actionRepeat !== null ? { actionRepeat } : {}),
    ...(episodeSteps !== null ? { maxSteps: episodeSteps } : {}),
    ...(s.online.background ? { background: s.online.background } : {}),
  };
}

/**
 * Mean return of the behaviour (deterministic, no noise) and of a uniformly random policy in the env, both
 * through the one rollout loop, episode e on env seed `seed + e`.
 */
export function scoreInEnv(
  envName: string,
  envOpts: AgentEnvOptions,
  wm: LatentWorldModel,
  behavior: Behavior,
  episodes: number,
  seed: number,
  /** Also sum the agent's rewards over its first `prefix` steps (a dream of that length is compared with them). */
  prefix = 0,
): {
  agent: number;
  random: number;
  agentReturns: number[];
  randomReturns: number[];
  agentPrefixReturns: number[];
  /** The random policy's return over its first `prefix` steps: what the agent's prefix is compared with. */
  randomPrefixReturns: number[];
} {
  const env = makeEnv(envName, envOpts);
  const agentReturns: number[] = [];
  const randomReturns: number[] = [];
  const agentPrefixReturns: number[] = [];
  const randomPrefixReturns: number[] = [];
  const prefixOf = (reward: Float32Array) => reward.subarray(1, prefix + 1).reduce((a, b) => a + b, 0);
  for (let e = 0; e < episodes; e++) {
    const agent = new LatentAgent(wm, behavior, { noise: 0, seed: seed + e, frameSize: envOpts.size, explore: false });
    try {
      const r = rolloutEpisode(env, agent, seed + e);
      agentReturns.push(r.ret);
      // Row 0 holds no reward (the reset frame); rows 1..prefix are the first `prefix` steps.
      agentPrefixReturns.push(prefixOf(r.episode.reward));
    } finally {
      agent.dispose();
    }
    const rr = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(seed + e)), seed + e);
    randomReturns.push(rr.ret);
    randomPrefixReturns.push(prefixOf(rr.episode.reward));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    agent: mean(agentReturns),
    random: mean(randomReturns),
    agentReturns,
    randomReturns,
    agentPrefixReturns,
    randomPrefixReturns,
  };
}
