import * as tf from '@tensorflow/tfjs-core';
import type { Plan2ExploreConfig } from '../models/lexa-config.ts';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { Adam, type Params, assignParams, disposeParams, namedParams } from '../models/nn.ts';
import { stopGradient } from '../tensor/stop-gradient.ts';
import { Rng } from '../util/rng.ts';
import { ActorCritic } from './actor-critic.ts';
import type { Behavior, BehaviorCheckpoint, BehaviorUpdate, StartBatchInfo } from './behavior.ts';
import { disagreementReward, ensembleLoss, initEnsemble, offsetPairs } from './disagreement.ts';

/**
 * The Plan2Explore explorer (orybkin/lexa lexa/exploration.py `Plan2Explore`): each update first fits the
 * ensemble (disagreement.ts) to the replay windows' consecutive posterior states — features of s_t → the
 * stochastic state s_{t+offset} (the model's `stochastic`, or its features where it has none) — then trains its
 * own actor-critic in imagination with the ensemble's disagreement as the reward. Checkpointed as one group:
 * the actor-critic's tensors, `ens{k}/…` and `opt_ens/…`.
 */
export class Plan2Explore implements Behavior {
  readonly kind = 'plan2explore' as const;
  readonly ensemble: Params = {};
  readonly ensembleOpt: Adam;
  readonly ac: ActorCritic;
  private readonly shape: { models: number; layers: number; units: number; act: Plan2ExploreConfig['act'] };

  constructor(
    readonly config: Plan2ExploreConfig,
    wm: LatentWorldModel,
    seed: number,
  ) {
    this.ac = new ActorCritic(config.actorCritic, wm, seed);
    this.shape = { models: config.models, layers: config.layers, units: config.units, act: config.act };
    initEnsemble(this.ensemble, this.shape, wm.featureSize, targetSize(wm), new Rng(seed ^ 0x9e2));
    this.ensembleOpt = new Adam(this.ensemble, { lr: config.lr, eps: config.adamEps, clipNorm: config.clipNorm });
  }

  act(wm: LatentWorldModel, state: LatentState, seed: number | null): Float32Array {
    return this.ac.act(wm, state, seed);
  }

  /** Intrinsic reward of states with these features: [N]. */
  reward(feat: tf.Tensor2D): tf.Tensor1D {
    return disagreementReward(this.ensemble, this.shape, feat, this.config);
  }

  /** One ensemble step on the batch's consecutive states (none when windows have no successor). */
  trainEnsemble(wm: LatentWorldModel, starts: LatentState, seqLength: number): BehaviorUpdate {
    const feat = wm.features(starts);
    const total = feat.shape[0];
    const { inputs, targets } = offsetPairs(total, seqLength, this.config.offset);
    if (inputs.length === 0) {
      feat.dispose();
      return { applied: true, metrics: {} };
    }
    const target = wm.stochastic ? wm.stochastic(feat) : tf.clone(feat);
    try {
      const r = this.ensembleOpt.step(() => {
        const x = stopGradient(tf.gather(feat, tf.tensor1d(inputs, 'int32'))) as tf.Tensor2D;
        const y = stopGradient(tf.gather(target, tf.tensor1d(targets, 'int32'))) as tf.Tensor2D;
        return { loss: ensembleLoss(this.ensemble, this.shape, x, y) };
      });
      return {
        applied: r.applied,
        ...(r.reason ? { reason: `ensemble: ${r.reason}` } : {}),
        metrics: { ensemble_loss: r.loss, ensemble_grad_norm: r.gradNorm },
      };
    } finally {
      tf.dispose([feat, target]);
    }
  }

  update(wm: LatentWorldModel, starts: LatentState, seed: number, batch?: StartBatchInfo): BehaviorUpdate {
    const e = this.trainEnsemble(wm, starts, batch?.seqLength ?? 1);
    const u = this.ac.updateWith(wm, starts, seed, {
      reward: (f) => {
        const [t1, n, d] = f.shape;
        return tf.reshape(this.reward(tf.reshape(f, [t1 * n, d]) as tf.Tensor2D), [t1, n]) as tf.Tensor2D;
      },
    });
    const reason = e.reason ?? u.reason;
    return {
      applied: e.applied && u.applied,
      ...(reason ? { reason } : {}),
      metrics: { ...u.metrics, ...e.metrics },
    };
  }

  checkpoint(): BehaviorCheckpoint {
    const ck = this.ac.checkpoint();
    const o = this.ensembleOpt.state('opt_ens/');
    return {
      tensors: { ...ck.tensors, ...namedParams(this.ensemble), ...o.tensors },
      state: { ...ck.state, ensembleT: o.t },
    };
  }

  restore(ckpt: BehaviorCheckpoint): void {
    this.ac.restore(ckpt);
    assignParams(this.ensemble, ckpt.tensors);
    this.ensembleOpt.loadState(ckpt.tensors, Number(ckpt.state.ensembleT ?? 0), 'opt_ens/');
  }

  dispose(): void {
    this.ac.dispose();
    disposeParams(this.ensemble);
    this.ensembleOpt.dispose();
  }
}

/** Width of the ensemble's target: the stochastic state, or the features where the model has no such split. */
function targetSize(wm: LatentWorldModel): number {
  if (!wm.stochastic) return wm.featureSize;
  const z = tf.tidy(() => wm.stochastic!(tf.zeros([1, wm.featureSize])));
  const n = z.shape[1];
  z.dispose();
  return n;
}
