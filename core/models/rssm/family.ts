import type { Episode } from '../../data/episode.ts';
import type { Space } from '../../envs/types.ts';
import { UserError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { LatentState, StartBatch } from '../latent-world-model.ts';
import type {
  FamilyCheckpoint,
  FamilyContext,
  LoadedModel,
  ModelFamily,
  OpenLoopOptions,
  PhaseSpec,
  StepContext,
  StepReport,
  TrainSession,
} from '../family.ts';
import { assignParams, namedParams } from '../nn.ts';
import { foregroundWeights, trainingMeanFrame } from '../../media/foreground.ts';
import { type RssmConfig, type RssmModelConfig, parseRssmConfig, rssmPresetConfig, withActionDim } from './config.ts';
import {
  disposeSeqBatch,
  memoryWindows,
  prepareEpisode,
  replayWindows,
  type RssmEpisode,
  toSeqBatch,
  type WindowSampler,
} from './batch.ts';
import { evaluateRssm, openLoopEpisode, rssmDreamSession, rssmFilterFeatures } from './evaluate.ts';
import { objectiveOf } from './objectives/index.ts';
import { SeedStream } from './seed-stream.ts';
import { estimateRssmMemory } from './memory.ts';
import { microBatchesToFit } from '../memory.ts';
import { RssmLatentModel } from './latent-model.ts';
import { flattenSeq } from './rssm.ts';
import * as tf from '@tensorflow/tfjs-core';
import { type RssmModel, createRssmModel, disposeRssmModel, trainStep } from './world-model.ts';

/**
 * The RSSM (PlaNet / Dreamer v1 / DreamerV2 world model) as a ModelFamily: one phase 'model' over windows of
 * its training episodes. It owns no env, episode store or behaviour: the runner (core/runs) collects online
 * episodes into it (`addEpisodes`) and trains the configured behaviour on its `latent()` view.
 */
export function actionDimOf(space: Space): number {
  return space.kind === 'box' ? space.shape.reduce((a, b) => a * b, 1) : space.n;
}

class RssmSession implements TrainSession {
  readonly phases: PhaseSpec[];
  readonly model: RssmModel;
  readonly config: RssmModelConfig;
  private readonly eps: RssmEpisode[];
  private readonly windows: WindowSampler;
  private readonly view: RssmLatentModel;
  /** Gradient accumulation over this many parts of each batch, the fewest that fit the backend's memory. */
  readonly microBatches: number;
  /**
   * The training episodes' mean frame (0–255, at the model's size) of the foreground-weighted image loss: taken
   * once, at the first step, from the training episodes held then (a dataset's training split; an online run's
   * episodes so far), and carried by checkpoints, so a resumed run weights the same pixels. Null until needed.
   */
  private fgMean: Float32Array | null = null;
  /** The last train step's posterior states [B·T] (kept until the behaviour takes them or the next step). */
  private lastPost: { deter: tf.Tensor2D; stoch: tf.Tensor2D } | null = null;

  constructor(private readonly ctx: FamilyContext<RssmConfig>) {
    this.config = withActionDim(ctx.config, actionDimOf(ctx.data.actionSpace));
    this.model = createRssmModel(this.config, ctx.seed);
    this.eps = ctx.data.train.map((e) => prepareEpisode(e, this.config.image.size));
    const { size } = this.config.image;
    // A dataset on disk streams through the replay (its episodes are not in memory); otherwise the episodes given.
    this.windows = ctx.data.trainReplay
      ? replayWindows(ctx.data.trainReplay, size, this.config.actionDim)
      : memoryWindows(this.eps, size, this.config.actionDim);
    this.phases = rssmPhases(this.config);
    this.view = new RssmLatentModel(this.model.params, this.config, ctx.data.actionSpace);
    const b = this.config.train.batch;
    this.microBatches = microBatchesToFit(b, (k) => estimateRssmMemory(this.config, k), tf.getBackend());
    if (this.microBatches > 1) {
      ctx.log(
        `batch ${b} does not fit ${tf.getBackend()}'s memory in one pass: accumulating gradients over ${this.microBatches} micro-batches of ≤ ${Math.ceil(b / this.microBatches)}`,
      );
    }
  }

  async beginPhase(): Promise<void> {}

  addEpisodes(episodes: Episode[]): void {
    if (this.ctx.data.trainReplay) throw new Error('a session streaming a dataset takes no collected episodes');
    for (const e of episodes) this.eps.push(prepareEpisode(e, this.config.image.size));
  }

  latent(): RssmLatentModel {
    return this.view;
  }

  /**
   * Start states for the behaviour: the posterior states of the last train step's batch (Dreamer v1 `_train`
   * imagines from the `post` of the model update, stop-gradient), handed over once; without one, a fresh batch
   * is observed. Reusing them saves a second encoder and filter pass over a batch on every step.
   */
  startStates(rng: Rng): LatentState {
    const kept = this.lastPost;
    if (kept) {
      this.lastPost = null;
      return kept;
    }
    const c = this.config;
    const a = this.windows(c.train.batch, c.train.length, rng);
    const actions = tf.tensor3d(a.action, [a.B, a.L, c.actionDim]);
    const isFirst = tf.tensor2d(Float32Array.from(a.isFirst), [a.B, a.L]);
    try {
      return this.view.observeSequences(a.image, actions, isFirst, rng.int(2 ** 31));
    } finally {
      tf.dispose([actions, isFirst]);
    }
  }

  startBatch(rng: Rng): StartBatch {
    const c = this.config;
    const a = this.windows(c.train.batch, c.train.length, rng);
    const actions = tf.tensor3d(a.action, [a.B, a.L, c.actionDim]);
    const isFirst = tf.tensor2d(Float32Array.from(a.isFirst), [a.B, a.L]);
    try {
      const { states, embeds } = this.view.observeBatch(a.image, actions, isFirst, rng.int(2 ** 31));
      return { states, seqLength: a.L, embeds };
    } finally {
      tf.dispose([actions, isFirst]);
    }
  }

  async step(s: StepContext): Promise<StepReport> {
    const c = this.config;
    const windows = this.windows(c.train.batch, c.train.length, s.rng);
    // The objective's views (two shifted copies for prototypes) are drawn from the step's Rng too.
    const views = objectiveOf(c).views;
    const arrays = views ? views(windows, c, s.rng) : windows;
    const weighted = this.weightsForeground();
    const weights = weighted
      ? foregroundWeights(arrays.image, arrays.B * arrays.L, this.foregroundMean(), c.decoder.foregroundWeight)
      : undefined;
    // 'either' also weighs the reconstruction's own foreground, taken in the loss against the same mean frame.
    const mean = weighted && c.decoder.foregroundMask === 'either' ? this.foregroundMean() : undefined;
    const batch = toSeqBatch(arrays, c.image.size, c.actionDim, weights, mean);
    // Latent samples drawn from the step's Rng too, so resume reproduces them.
    this.model.noise = new SeedStream(s.rng.int(2 ** 31));
    this.disposeLastPost();
    try {
      const r = trainStep(this.model, batch, s.poison, this.microBatches, (post) => {
        const flat = flattenSeq(post);
        this.lastPost = { deter: tf.keep(flat.deter), stoch: tf.keep(flat.stoch) };
      });
      if (r.skipped) this.disposeLastPost();
      return {
        applied: !r.skipped,
        ...(r.reason ? { reason: r.reason } : {}),
        metrics: r.metrics,
        items: c.train.batch * c.train.length,
      };
    } finally {
      disposeSeqBatch(batch);
    }
  }

  private weightsForeground(): boolean {
    return this.config.decoder.foregroundWeight !== 1 && objectiveOf(this.config).decodesPixels;
  }

  private foregroundMean(): Float32Array {
    if (this.fgMean) return this.fgMean;
    const size = this.config.image.size;
    const replay = this.ctx.data.trainReplay;
    const mean = replay
      ? trainingMeanFrame(
          (function* () {
            for (let i = 0; i < replay.episodeCount; i++) yield replay.read(i);
          })(),
          size,
        )
      : trainingMeanFrame(
          this.eps.map((e) => ({ image: e.frames, imageShape: [e.T, size] })),
          size,
        );
    if (!mean) throw new UserError('rssm: decoder.foregroundWeight needs training frames for their mean frame');
    this.fgMean = mean;
    return mean;
  }

  async endPhase(): Promise<Record<string, number>> {
    return {};
  }

  checkpoint(): FamilyCheckpoint {
    const opt = this.model.optimizer.state('opt/');
    const fg: Record<string, tf.Tensor> = this.fgMean ? { 'fg/mean': tf.tensor1d(this.fgMean) } : {};
    return {
      owned: Object.values(fg),
      // EMA targets are their own group ('target/'): checkpointed, never in the optimiser's moments.
      tensors: {
        ...namedParams(this.model.params, 'model/'),
        ...namedParams(this.model.targets, 'target/'),
        ...opt.tensors,
        ...fg,
      },
      state: { adamT: opt.t, actionDim: this.config.actionDim },
    };
  }

  restore(ckpt: FamilyCheckpoint): void {
    assignParams(this.model.params, ckpt.tensors, 'model/');
    assignParams(this.model.targets, ckpt.tensors, 'target/');
    this.model.optimizer.loadState(ckpt.tensors, Number(ckpt.state.adamT ?? 0), 'opt/');
    const fg = ckpt.tensors['fg/mean'];
    if (fg) this.fgMean = Float32Array.from(fg.dataSync());
  }

  private disposeLastPost(): void {
    if (this.lastPost) tf.dispose([this.lastPost.deter, this.lastPost.stoch]);
    this.lastPost = null;
  }

  dispose(): void {
    this.disposeLastPost();
    disposeRssmModel(this.model);
  }
}

function loadedRssm(m: RssmModel, c: RssmModelConfig, space: Space): LoadedModel {
  // No pixels when the objective has no decoder (contrastive, prototypes), or when a decoder trained with image
  // scale 0 never learned anything: its frames then come from a probe decoder or retrieval
  // (core/runs/pixel-view.ts), and the model says so instead of showing noise.
  const decodes = objectiveOf(c).decodesPixels && c.loss.imageScale > 0;
  return {
    imageSize: c.image.size,
    pixels: decodes ? 'decoder' : 'none',
    evaluate: async (episodes, opts) => evaluateRssm(m.params, c, episodes, opts.trainEpisodes),
    ...(decodes
      ? {
          openloop: async (episode: Episode, opts: OpenLoopOptions) => openLoopEpisode(m.params, c, episode, opts),
          dreamSession: (opts: { temperature: number; seed: number }) => rssmDreamSession(m.params, c, space, opts),
        }
      : {}),
    filterFeatures: (episode) => rssmFilterFeatures(m.params, c, episode),
    reinitialized: async (seed) => loadedRssm(createRssmModel(c, seed), c, space),
    latent: () => {
      const view = new RssmLatentModel(m.params, c, space);
      // Without a trained decoder the view offers no `decode` (the actor's dream says so instead of showing noise).
      return decodes ? view : (Object.assign(Object.create(view), { decode: undefined }) as RssmLatentModel);
    },
    dispose: () => disposeRssmModel(m),
  };
}

function rssmPhases(c: RssmConfig): PhaseSpec[] {
  return [{ name: 'model', steps: c.train.steps, unit: 'step', headline: 'model_loss' }];
}

export const rssmFamily: ModelFamily<RssmConfig> = {
  name: 'rssm',
  description:
    'RSSM world model (PlaNet / DreamerV2): GRU + Gaussian or discrete latents, KL balancing, latent overshooting, CEM planning',
  ...rssmPresetConfig,
  // The run is refused only when even one sequence at a time cannot fit (the session micro-batches the rest).
  estimateMemory: (c) => estimateRssmMemory(c, c.train.batch),
  samplesReplay: true,
  withSteps: (c, steps) => parseRssmConfig({ ...c, train: { ...c.train, steps } }),
  phases: (c) => rssmPhases(c),
  async createSession(ctx) {
    if (ctx.data.dataset !== null && ctx.data.train.length === 0 && !ctx.data.trainReplay)
      throw new UserError('rssm: no training episodes (give --dataset NAME, or --env NAME --online)');
    return new RssmSession(ctx);
  },
  trainsOnline: true,
  behaviors: ['cem', 'actor-critic', 'plan2explore', 'lexa'],
  agentSettings: (c) => ({
    behavior: c.behavior,
    planner: c.planner,
    actorCritic: c.actorCritic,
    lexa: c.lexa,
    online: c.online,
    imageSize: c.image.size,
  }),
  async loadModel(ctx, ckpt): Promise<LoadedModel> {
    const c = withActionDim(ctx.config, Number(ckpt.state.actionDim ?? actionDimOf(ctx.data.actionSpace)));
    const m = createRssmModel(c, ctx.seed);
    assignParams(m.params, ckpt.tensors, 'model/');
    return loadedRssm(m, c, ctx.data.actionSpace);
  },
};
