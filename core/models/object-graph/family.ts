import type * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../../data/episode.ts';
import type {
  FamilyCheckpoint,
  FamilyContext,
  Features,
  LoadedModel,
  ModelFamily,
  PhaseSpec,
  StepContext,
  StepReport,
  TrainSession,
} from '../family.ts';
import { Adam } from '../nn.ts';
import { objectGraphPresetConfig, parseObjectGraphConfig, type ObjectGraphConfig } from './config.ts';
import { evaluateObjectGraph } from './evaluate.ts';
import { estimateObjectGraphMemory } from './memory.ts';
import { ObjectGraphModel } from './model.ts';
import { objectGraphTrainStep } from './train-step.ts';
import { TransitionSampler } from './transitions.ts';
import { ObjectGraphLatentModel } from './latent-model.ts';

/**
 * The object-graph world model (C-SWM, Kipf et al. 2020) as a ModelFamily: one phase 'model' of contrastive
 * updates over batches of transitions. It decodes no pixels, so its LoadedModel has no `openloop` or
 * `dreamSession`; it is evaluated by ranking (Hits@1, MRR) and seen through its slot masks and retrieval.
 */
class ObjectGraphSession implements TrainSession {
  readonly phases: PhaseSpec[];
  readonly model: ObjectGraphModel;
  readonly opt: Adam;
  private readonly sampler: TransitionSampler;
  private view: ObjectGraphLatentModel | null = null;

  constructor(private readonly ctx: FamilyContext<ObjectGraphConfig>) {
    const c = ctx.config;
    this.model = new ObjectGraphModel(c, ctx.data.actionSpace, ctx.seed);
    // train.py: torch.optim.Adam(model.parameters(), lr) with PyTorch's defaults (β 0.9 / 0.999, ε 1e-8).
    this.opt = new Adam(this.model.og.params, { lr: c.train.lr });
    this.sampler = new TransitionSampler(ctx.data);
    this.phases = objectGraphPhases(c);
  }

  async beginPhase(): Promise<void> {}

  async step(s: StepContext): Promise<StepReport> {
    const B = this.ctx.config.train.batch;
    const batch = this.sampler.draw(B, s.rng);
    const r = objectGraphTrainStep(this.model, this.opt, batch, s.rng, s.poison);
    return {
      applied: r.applied,
      ...(r.reason ? { reason: r.reason } : {}),
      metrics: { loss: r.loss, grad_norm: r.gradNorm, ...r.metrics },
      items: 2 * B,
    };
  }

  async endPhase(): Promise<Record<string, number>> {
    return {};
  }

  latent(): ObjectGraphLatentModel {
    return (this.view ??= new ObjectGraphLatentModel(this.model));
  }

  checkpoint(): FamilyCheckpoint {
    const opt = this.opt.state('opt/');
    return { tensors: { ...this.model.tensors(), ...opt.tensors }, state: { adamT: opt.t } };
  }

  restore(ck: FamilyCheckpoint): void {
    this.model.load(ck.tensors);
    this.opt.loadState(ck.tensors, Number(ck.state.adamT ?? 0), 'opt/');
  }

  dispose(): void {
    this.opt.dispose();
    this.model.dispose();
  }
}

/** Features of a filtered state: the K slot states flattened (K·D per row). */
function filterFeatures(model: ObjectGraphModel, ep: Episode): Features {
  return { dim: model.stateSize, data: model.encodeEpisode(ep) };
}

export function loadedObjectGraph(model: ObjectGraphModel, ctx: FamilyContext<ObjectGraphConfig>): LoadedModel {
  let view: ObjectGraphLatentModel | null = null;
  return {
    imageSize: model.config.model.imageSize,
    // No decoder: the workbench shows its dreams through a probe decoder or retrieval (core/runs/pixel-view.ts).
    pixels: 'none',
    evaluate: async (episodes) => evaluateObjectGraph(model, episodes),
    filterFeatures: (ep) => filterFeatures(model, ep),
    reinitialized: async (seed) => loadedObjectGraph(new ObjectGraphModel(ctx.config, ctx.data.actionSpace, seed), ctx),
    latent: () => (view ??= new ObjectGraphLatentModel(model)),
    dispose: () => model.dispose(),
  };
}

function objectGraphPhases(c: ObjectGraphConfig): PhaseSpec[] {
  return [{ name: 'model', steps: c.train.steps, unit: 'step', headline: 'loss' }];
}

export const objectGraphFamily: ModelFamily<ObjectGraphConfig> = {
  name: 'object-graph',
  description:
    'Object-graph world model (C-SWM): slot masks from a CNN, a GNN transition over objects, contrastive hinge loss',
  ...objectGraphPresetConfig,
  estimateMemory: (c) => estimateObjectGraphMemory(c),
  samplesReplay: true,
  withSteps: (c, steps) => parseObjectGraphConfig({ ...c, train: { ...c.train, steps } }),
  phases: (c) => objectGraphPhases(c),
  createSession: async (ctx) => new ObjectGraphSession(ctx),
  async loadModel(ctx, ck): Promise<LoadedModel> {
    const model = new ObjectGraphModel(ctx.config, ctx.data.actionSpace, ctx.seed);
    model.load(ck.tensors as Record<string, tf.Tensor>);
    return loadedObjectGraph(model, ctx);
  },
};
