import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Episode } from '../../data/episode.ts';
import { readEpisodeFile, writeEpisode } from '../../data/episode-file.ts';
import { makeEnv } from '../../envs/registry.ts';
import type { Env, Space } from '../../envs/types.ts';
import { UserError } from '../../util/errors.ts';
import { PlanetAgent, randomPolicy, runEpisode } from '../../agents/online.ts';
import type {
  FamilyCheckpoint,
  FamilyContext,
  LoadedModel,
  ModelFamily,
  PhaseSpec,
  StepContext,
  StepReport,
  TrainData,
  TrainSession,
} from '../family.ts';
import { assignParams, namedParams } from '../nn.ts';
import {
  type RssmConfig,
  type RssmModelConfig,
  RSSM_PRESETS,
  parseRssmConfig,
  rssmConfig,
  withActionDim,
} from './config.ts';
import { disposeSeqBatch, prepareEpisode, type RssmEpisode, sampleWindows, toSeqBatch } from './batch.ts';
import { evaluateRssm, openLoopEpisode, rssmDreamSession } from './evaluate.ts';
import { SeedStream } from './seed-stream.ts';
import { type RssmModel, createRssmModel, disposeRssmModel, trainStep } from './world-model.ts';

/**
 * The RSSM (PlaNet / DreamerV2 world model) as a ModelFamily: one phase 'model'.
 * Offline (`--dataset`): windows of the dataset's training episodes. Online (TrainData without a dataset but
 * with an env): PlaNet's loop — `online.seedEpisodes` random episodes, then every `online.trainEvery` steps one
 * episode collected with the CEM planner plus exploration noise; collected episodes are written to
 * <run>/episodes/ (atomic npz) so a resumed run continues with exactly the episodes it had.
 */
export function actionDimOf(space: Space): number {
  return space.kind === 'box' ? space.shape.reduce((a, b) => a * b, 1) : space.n;
}

/**
 * TrainData for an online run (`oneiro train --model rssm --env NAME --online`): no dataset, the env's spaces,
 * no episodes yet (the session collects them). Also what a resumed online run needs instead of a dataset.
 */
export function onlineTrainData(env: string, imageSize?: number): TrainData {
  const e = makeEnv(env, imageSize ? { size: imageSize } : {});
  return {
    dataset: null,
    env: e.name,
    actionSpace: e.actionSpace,
    imageSize: e.observationShape[0],
    train: [],
    heldOut: [],
  };
}

/** The episodes an online run collected (<run>/episodes/*.npz, in order): evaluation data for `oneiro eval`. */
export function collectedEpisodes(runDir: string): Episode[] {
  const dir = join(runDir, 'episodes');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('-online.npz'))
    .sort()
    .map((f) => readEpisodeFile(join(dir, f)));
}

function isOnline(ctx: FamilyContext<RssmConfig>): boolean {
  return ctx.data.dataset === null && ctx.data.env !== null;
}

class RssmSession implements TrainSession {
  readonly phases: PhaseSpec[];
  readonly model: RssmModel;
  readonly config: RssmModelConfig;
  private readonly eps: RssmEpisode[];
  private readonly online: boolean;
  private env: Env | null = null;
  private collected = 0;
  private returns: number[] = [];

  constructor(private readonly ctx: FamilyContext<RssmConfig>) {
    this.config = withActionDim(ctx.config, actionDimOf(ctx.data.actionSpace));
    this.model = createRssmModel(this.config, ctx.seed);
    this.online = isOnline(ctx);
    this.eps = ctx.data.train.map((e) => prepareEpisode(e, this.config.image.size));
    this.phases = [{ name: 'model', steps: this.config.train.steps, unit: 'step' }];
    if (this.online && ctx.data.actionSpace.kind !== 'box') {
      throw new UserError(
        `online RSSM training plans with CEM over continuous actions; env '${ctx.data.env}' has a discrete action space`,
      );
    }
  }

  private get episodesDir(): string | null {
    return this.ctx.runDir ? join(this.ctx.runDir, 'episodes') : null;
  }

  private makeEnv(): Env {
    const o = this.config.online;
    this.env ??= makeEnv(this.ctx.data.env as string, {
      size: this.config.image.size,
      actionRepeat: o.actionRepeat,
      maxSteps: o.episodeSteps,
    });
    return this.env;
  }

  private addEpisode(ep: Episode, ret: number): void {
    const dir = this.episodesDir;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeEpisode(join(dir, `${String(this.collected).padStart(5, '0')}-online.npz`), ep);
    }
    this.eps.push(prepareEpisode(ep, this.config.image.size));
    this.collected++;
    this.returns.push(ret);
  }

  /** Collected episodes on disk, in order (for resume). */
  private loadCollected(n: number): void {
    const dir = this.episodesDir;
    if (!dir || !existsSync(dir)) return;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('-online.npz'))
      .sort()
      .slice(0, n);
    for (const f of files) {
      this.eps.push(prepareEpisode(readEpisodeFile(join(dir, f)), this.config.image.size));
      this.collected++;
    }
  }

  async beginPhase(): Promise<void> {
    if (!this.online || this.collected > 0) return;
    const env = this.makeEnv();
    const space = this.ctx.data.actionSpace;
    for (let i = 0; i < this.config.online.seedEpisodes; i++) {
      const { episode, ret } = runEpisode(env, this.ctx.seed * 1000 + i, randomPolicy(space, this.ctx.seed * 1000 + i));
      this.addEpisode(episode, ret);
    }
    this.ctx.log(`collected ${this.collected} random seed episodes (mean return ${mean(this.returns).toFixed(2)})`);
  }

  /** One episode with the planner + exploration noise (PlaNet's training collect). */
  collectWithPlanner(seed: number, noise = this.config.online.explorationNoise): number {
    const agent = new PlanetAgent(this.model.params, this.config, this.ctx.data.actionSpace, {
      planner: this.config.planner,
      noise,
      seed,
      frameSize: this.config.image.size,
    });
    try {
      const { episode, ret } = runEpisode(this.makeEnv(), seed, agent.act);
      this.addEpisode(episode, ret);
      return ret;
    } finally {
      agent.dispose();
    }
  }

  async step(s: StepContext): Promise<StepReport> {
    const c = this.config;
    const metrics: Record<string, number> = {};
    if (this.online && s.step > 0 && s.step % c.online.trainEvery === 0) {
      metrics.train_return = this.collectWithPlanner(s.rng.int(2 ** 31));
      metrics.episodes = this.collected;
    }
    const arrays = sampleWindows(this.eps, c.image.size, c.actionDim, c.train.batch, c.train.length, s.rng);
    const batch = toSeqBatch(arrays, c.image.size, c.actionDim);
    // Latent samples drawn from the step's Rng too, so resume reproduces them.
    this.model.noise = new SeedStream(s.rng.int(2 ** 31));
    try {
      const r = trainStep(this.model, batch, s.poison);
      return {
        applied: !r.skipped,
        ...(r.reason ? { reason: r.reason } : {}),
        metrics: { ...r.metrics, ...metrics },
        items: c.train.batch * c.train.length,
      };
    } finally {
      disposeSeqBatch(batch);
    }
  }

  async endPhase(): Promise<Record<string, number>> {
    return this.online ? { episodes: this.collected, last_train_return: this.returns.at(-1) ?? NaN } : {};
  }

  checkpoint(): FamilyCheckpoint {
    const opt = this.model.optimizer.state('opt/');
    return {
      tensors: { ...namedParams(this.model.params, 'model/'), ...opt.tensors },
      state: { adamT: opt.t, actionDim: this.config.actionDim, collected: this.collected },
    };
  }

  restore(ckpt: FamilyCheckpoint): void {
    assignParams(this.model.params, ckpt.tensors, 'model/');
    this.model.optimizer.loadState(ckpt.tensors, Number(ckpt.state.adamT ?? 0), 'opt/');
    if (this.online) {
      const n = Number(ckpt.state.collected ?? 0);
      this.eps.splice(this.ctx.data.train.length);
      this.collected = 0;
      this.loadCollected(n);
    }
  }

  dispose(): void {
    disposeRssmModel(this.model);
  }
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export const rssmFamily: ModelFamily<RssmConfig> = {
  name: 'rssm',
  description:
    'RSSM world model (PlaNet / DreamerV2): GRU + Gaussian or discrete latents, KL balancing, latent overshooting, CEM planning',
  presets: Object.keys(RSSM_PRESETS),
  resolveConfig: (preset, overrides) => rssmConfig(preset, (overrides ?? {}) as Parameters<typeof rssmConfig>[1]),
  parseConfig: (raw) => parseRssmConfig(raw),
  withSteps: (c, steps) => parseRssmConfig({ ...c, train: { ...c.train, steps } }),
  async createSession(ctx) {
    if (!isOnline(ctx) && ctx.data.train.length === 0)
      throw new UserError('rssm: no training episodes (give --dataset NAME, or --env NAME --online)');
    return new RssmSession(ctx);
  },
  onlineData(env, config, runDir) {
    // Evaluation of an online run uses the episodes it collected (the last ones it saw are its freshest data).
    return { ...onlineTrainData(env, config.image.size), heldOut: collectedEpisodes(runDir) };
  },
  async loadModel(ctx, ckpt): Promise<LoadedModel> {
    const c = withActionDim(ctx.config, Number(ckpt.state.actionDim ?? actionDimOf(ctx.data.actionSpace)));
    const m = createRssmModel(c, ctx.seed);
    assignParams(m.params, ckpt.tensors, 'model/');
    return {
      imageSize: c.image.size,
      evaluate: async (episodes, opts) => evaluateRssm(m.params, c, episodes, opts.trainEpisodes),
      openloop: async (episode, opts) => openLoopEpisode(m.params, c, episode, opts),
      dreamSession: (opts) => rssmDreamSession(m.params, c, ctx.data.actionSpace, opts),
      dispose: () => disposeRssmModel(m),
    };
  },
};
