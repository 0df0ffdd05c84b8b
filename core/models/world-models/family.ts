import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../util/rng.ts';
import type {
  FamilyCheckpoint,
  FamilyContext,
  ModelFamily,
  PhaseSpec,
  StepContext,
  StepReport,
  TrainedBehavior,
  TrainSession,
} from '../family.ts';
import { Adam, assignParams, disposeParams, namedParams, type Params } from '../nn.ts';
import { ACTOR_CRITIC_DEBUG } from '../actor-critic-config.ts';
import { CmaEs, type CmaState } from './cma-es.ts';
import { estimateWorldModelsMemory } from './memory.ts';
import { parseWorldModelsConfig, worldModelsPresetConfig, type WorldModelsConfig } from './config.ts';
import { actionSpecOf } from '../controller-policy.ts';
import type { LatentWorldModel } from '../latent-world-model.ts';
import { dreamStarts, dreamStartsAlong, exportMdnWeights } from './controller.ts';
import { encodeEpisodes, prepareEpisodes, sampleFrames, sampleSequences, type WmEpisode } from './data.ts';
import { actionDimOf, controllerSize, type ActionSpec } from './dream-kernel.ts';
import { DreamPool } from './dream-pool.ts';
import { disposeBatch, initMdnRnn, mdnTrainStep, sequenceBatch } from './mdn-rnn.ts';
import { refitRewardHead } from './reward-refit.ts';
import { WorldModelsLatentModel } from './latent-model.ts';
import { loadWorldModel } from './model.ts';
import { framesToTensor, initVae, normalNoise, pixelWeights, vaeTrainStep } from './vae.ts';
import { trainingMeanFrame } from '../../media/foreground.ts';
import { UserError } from '../../util/errors.ts';

/**
 * World Models as a ModelFamily: phases 'vae' → 'rnn' → 'controller' (CMA-ES generations in the dream). The
 * trained controller is handed to the runner (`trainedBehavior`), which scores it in the real env against a
 * random policy at the end of the controller phase (core/runs/trained-behavior.ts).
 */
class WorldModelsSession implements TrainSession {
  readonly phases: PhaseSpec[];
  readonly vae: Params;
  readonly rnn: Params;
  readonly vaeOpt: Adam;
  readonly rnnOpt: Adam;
  private readonly eps: WmEpisode[];
  /** M's training window: rnn.seqLen, or the longest training episode's transitions when that is shorter. */
  private readonly seqLen: number;
  private readonly spec: ActionSpec;
  private readonly actionDim: number;
  private encoded = false;
  /**
   * The training episodes' mean frame (0–255, model size) of the foreground-weighted VAE loss: taken at the first
   * VAE step and carried by checkpoints (`fg/mean`, as the RSSM's), so a resumed run weights the same pixels.
   */
  private fgMean: Float32Array | null = null;
  private cma: CmaEs | null = null;
  private pool: DreamPool | null = null;
  private wm: WorldModelsLatentModel | null = null;

  constructor(private readonly ctx: FamilyContext<WorldModelsConfig>) {
    const c = ctx.config;
    const init = new Rng(ctx.seed);
    this.spec = actionSpecOf(ctx.data.actionSpace, ctx.data.env);
    this.actionDim = actionDimOf(this.spec);
    this.vae = initVae(c.vae, init.fork());
    this.rnn = initMdnRnn(c.rnn, { zDim: c.vae.zDim, actionDim: this.actionDim }, init.fork());
    this.vaeOpt = new Adam(this.vae, { lr: c.vae.lr, ...(c.vae.clipNorm ? { clipNorm: c.vae.clipNorm } : {}) });
    this.rnnOpt = new Adam(this.rnn, { lr: c.rnn.lr, ...(c.rnn.clipValue ? { clipValue: c.rnn.clipValue } : {}) });
    this.eps = prepareEpisodes(ctx.data.train, c.vae.imageSize);
    // A window never runs past the longest training episode: beyond it every row is masked padding, which costs the
    // LSTM as much as data and adds nothing to the (mask-normalised) loss. The small preset's 300 (car-racing's
    // episode) on cartpole's 125-frame episodes ran 176 padded steps of 300, ~2.2× the CPU (docs/results/small-presets.md, session 11).
    this.seqLen = Math.max(
      1,
      Math.min(
        c.rnn.seqLen,
        this.eps.reduce((n, e) => Math.max(n, e.T - 1), 0),
      ),
    );
    this.phases = worldModelsPhases(c);
  }

  async beginPhase(phase: string): Promise<void> {
    const c = this.ctx.config;
    if (phase === 'vae') return;
    if (!this.encoded) {
      encodeEpisodes(this.vae, c.vae, this.eps);
      this.encoded = true;
    }
    if (phase === 'controller') {
      const weights = exportMdnWeights(this.rnn, c.rnn, c.vae.zDim, this.actionDim);
      const along = c.controller.startsAlong;
      const start = along > 0 ? dreamStartsAlong(weights, this.eps, along) : dreamStarts(this.eps, c.vae.zDim);
      this.cma ??= new CmaEs(
        new Array(controllerSize(c.vae.zDim, c.rnn.hidden, this.actionDim)).fill(0),
        c.controller.sigmaInit,
        c.controller.population,
      );
      const threads = c.controller.workers || Math.min(c.controller.population, 2);
      this.pool = new DreamPool(
        { weights, spec: this.spec, start, length: c.controller.dreamLength, temperature: c.controller.temperature },
        threads,
      );
    }
  }

  async step(s: StepContext): Promise<StepReport> {
    const c = this.ctx.config;
    if (s.phase === 'vae') {
      const frames = sampleFrames(this.eps, c.vae.imageSize, c.vae.batch, s.rng);
      const x = framesToTensor(frames, c.vae.batch, c.vae.imageSize);
      const w = c.vae.foregroundWeight !== 1 ? pixelWeights(frames, c.vae.batch, c.vae, this.foregroundMean()) : null;
      try {
        const r = vaeTrainStep(this.vae, c.vae, this.vaeOpt, x, s.rng, s.poison, w ?? undefined);
        return {
          applied: r.applied,
          reason: r.reason,
          metrics: { loss: r.loss, grad_norm: r.gradNorm, ...r.metrics },
          items: c.vae.batch,
        };
      } finally {
        tf.dispose(w ? [x, w] : x);
      }
    }
    if (s.phase === 'rnn') {
      const [B, T] = [c.rnn.batch, this.seqLen];
      const Z = c.vae.zDim;
      const arrays = sampleSequences(this.eps, Z, this.actionDim, B, T, s.rng, c.rnn.startsAnywhere);
      const batch = sequenceBatch(arrays, B, T, Z, this.actionDim);
      const eps = normalNoise(s.rng, [B, T + 1, Z]);
      try {
        const r = mdnTrainStep(this.rnn, c.rnn, this.rnnOpt, batch, eps, s.poison);
        return {
          applied: r.applied,
          reason: r.reason,
          metrics: { loss: r.loss, grad_norm: r.gradNorm, ...r.metrics },
          items: B * T,
        };
      } finally {
        disposeBatch(batch);
        eps.dispose();
      }
    }
    // controller: one CMA-ES generation; dreams share seeds within a generation (common random numbers).
    const cma = this.cma!;
    const xs = cma.ask(s.rng);
    const seeds = Array.from({ length: c.controller.rolloutsPerCandidate }, () => s.rng.int(2 ** 31));
    const returns = await this.pool!.evaluate(xs, seeds);
    const finite = returns.every(Number.isFinite);
    if (!finite || s.poison) return { applied: false, reason: 'non-finite dream return', metrics: {}, items: 0 };
    cma.tell(
      xs,
      returns.map((r) => -r),
    );
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    return {
      applied: true,
      metrics: {
        dream_return_mean: mean,
        dream_return_best: Math.max(...returns),
        best_so_far: -cma.s.best!.f,
        sigma: cma.sigma,
      },
      items: xs.length * seeds.length * c.controller.dreamLength,
    };
  }

  private foregroundMean(): Float32Array {
    const S = this.ctx.config.vae.imageSize;
    this.fgMean ??= trainingMeanFrame(
      this.eps.map((e) => ({ image: e.frames, imageShape: [e.T, S] })),
      S,
    );
    if (!this.fgMean)
      throw new UserError('world-models: vae.foregroundWeight needs training frames for their mean frame');
    return this.fgMean;
  }

  async endPhase(phase: string): Promise<Record<string, number>> {
    const c = this.ctx.config;
    // M's training ends with the reward head refitted on M's own open-loop states (rnn.rewardRefitHorizon), before the
    // phase-boundary checkpoint: the controller's dreams, resume, eval and the Dream Lab all read the refitted head.
    // The fit reads M's LSTM and mixture weights only, never the reward column, so a repeat (a resume inside the rnn
    // phase) gives the same head.
    if (phase === 'rnn' && c.rnn.rewardHead && c.rnn.rewardRefitHorizon > 0) {
      const weights = exportMdnWeights(this.rnn, c.rnn, c.vae.zDim, this.actionDim);
      return refitRewardHead(this.rnn, weights, this.eps, {
        horizon: c.rnn.rewardRefitHorizon,
        temperature: c.controller.temperature,
        seed: this.ctx.seed,
      });
    }
    if (phase !== 'controller') return {};
    await this.pool?.close();
    this.pool = null;
    return {};
  }

  latent(): LatentWorldModel {
    const c = this.ctx.config;
    this.wm ??= new WorldModelsLatentModel(this.vae, c.vae, this.rnn, c.rnn, this.ctx.data.actionSpace);
    return this.wm;
  }

  trainedBehavior(): TrainedBehavior | null {
    const theta = this.controllerTheta();
    if (!theta.length) return null;
    return {
      kind: 'controller',
      theta,
      actions: this.spec,
      phase: 'controller',
      evalEpisodes: this.ctx.config.controller.evalEpisodes,
    };
  }

  /** The controller to deploy: CMA-ES's mean (the distribution's centre, less noisy than the best sample). */
  controllerTheta(): number[] {
    return this.cma ? [...this.cma.mean] : [];
  }

  checkpoint(): FamilyCheckpoint {
    const tensors: Record<string, tf.Tensor> = {
      ...namedParams(this.vae),
      ...namedParams(this.rnn),
      ...this.vaeOpt.state('opt/vae/').tensors,
      ...this.rnnOpt.state('opt/rnn/').tensors,
    };
    const theta = this.controllerTheta();
    const owned: tf.Tensor[] = [];
    if (theta.length) owned.push((tensors['controller/theta'] = tf.tensor1d(theta)));
    if (this.fgMean) owned.push((tensors['fg/mean'] = tf.tensor1d(this.fgMean)));
    return { tensors, state: { vaeT: this.vaeOpt.t, rnnT: this.rnnOpt.t, cma: this.cma?.s ?? null }, owned };
  }

  restore(ck: FamilyCheckpoint): void {
    assignParams(this.vae, ck.tensors);
    assignParams(this.rnn, ck.tensors);
    this.vaeOpt.loadState(ck.tensors, Number(ck.state.vaeT), 'opt/vae/');
    this.rnnOpt.loadState(ck.tensors, Number(ck.state.rnnT), 'opt/rnn/');
    const cma = ck.state.cma as CmaState | null;
    this.cma = cma ? CmaEs.fromState(cma) : null;
    this.encoded = false;
    const fg = ck.tensors['fg/mean'];
    if (fg) this.fgMean = Float32Array.from(fg.dataSync());
  }

  dispose(): void {
    void this.pool?.close();
    this.vaeOpt.dispose();
    this.rnnOpt.dispose();
    disposeParams(this.vae);
    disposeParams(this.rnn);
  }
}

function worldModelsPhases(c: WorldModelsConfig): PhaseSpec[] {
  const phases: PhaseSpec[] = [
    { name: 'vae', steps: c.vae.steps, unit: 'step', headline: 'loss' },
    { name: 'rnn', steps: c.rnn.steps, unit: 'step', headline: 'loss' },
  ];
  // With the CEM planner the agent acts by planning in the MDN-RNN: no controller to evolve.
  if (c.behavior === 'controller' && c.controller.enabled && c.rnn.rewardHead && c.controller.generations > 0)
    phases.push({
      name: 'controller',
      steps: c.controller.generations,
      unit: 'generation',
      headline: 'dream_return_mean',
    });
  return phases;
}

export const worldModelsFamily: ModelFamily<WorldModelsConfig> = {
  name: 'world-models',
  description: 'ConvVAE + MDN-RNN with a controller trained in the dream by CMA-ES (Ha & Schmidhuber 2018)',
  ...worldModelsPresetConfig,
  estimateMemory: (c) => estimateWorldModelsMemory(c),
  // `--steps N`: N optimiser steps for each of the VAE and the MDN-RNN (generations stay as configured).
  withSteps: (c, steps) => parseWorldModelsConfig({ ...c, vae: { ...c.vae, steps }, rnn: { ...c.rnn, steps } }),
  phases: (c) => worldModelsPhases(c),
  createSession: async (ctx) => new WorldModelsSession(ctx),
  // 'controller' is the family's own trained behaviour (trainedBehavior); 'cem' is the runner's agent, planning
  // over the latent view. No online schedule: World Models trains from a dataset, and its agents are scored at the
  // repeat its episodes were collected at (TrainData.actionRepeat: scoreTrainedBehavior, envOptionsOf).
  behaviors: ['controller', 'cem'],
  agentSettings: (c) =>
    c.behavior === 'cem'
      ? {
          behavior: 'cem',
          planner: c.planner,
          actorCritic: ACTOR_CRITIC_DEBUG, // not used by the planner (AgentSettings carries both blocks)
          online: { seedEpisodes: 1, trainEvery: 1, explorationNoise: 0, actionRepeat: null, episodeSteps: null },
          imageSize: c.vae.imageSize,
        }
      : null,
  loadModel: async (ctx, ck) => loadWorldModel(ctx, ck),
};
