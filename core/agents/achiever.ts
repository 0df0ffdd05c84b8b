import * as tf from '@tensorflow/tfjs-core';
import { resizeFrames } from '../media/frames.ts';
import type { AchieverConfig } from '../models/lexa-config.ts';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { Adam, type Params, assignParams, disposeParams, namedParams } from '../models/nn.ts';
import { stopGradient } from '../tensor/stop-gradient.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { ActorCritic } from './actor-critic.ts';
import type { Behavior, BehaviorCheckpoint, BehaviorUpdate, StartBatchInfo } from './behavior.ts';
import { distance, distanceLoss, distancePairs, initDistance } from './temporal-distance.ts';

/**
 * LEXA's achiever (orybkin/lexa lexa/gcdreamer_imag.py `GCDreamerBehavior`; mission-anchors §1.6): an
 * actor-critic whose actor and critic read features ‖ goal, the goal being the encoder embedding of a goal image
 * (`gc_input: embed`). Training goals are the embeddings of the replay batch's own frames, shuffled across the
 * batch (gcdreamer_wm.py `get_goal`, `training_goals: batch`). Rewards of an imagined state with features f:
 * - cosine:   r = ⟨g, f⟩ / (‖g‖‖f‖ + 1e-8), g = the model's `goalFeatures(goal)` (`get_init_feat_embed`);
 * - temporal: r = −D([stoch(f), stoch(g)]) with D trained on the imagined trajectories (temporal-distance.ts;
 *   LEXA's `dd_inp: feat` variant, which reads the stochastic state: our families have no embedding-prediction
 *   head for its default `dd_inp: embed`).
 * Checkpointed as one group: the actor-critic's tensors, `dd/…`, `opt_dd/…`.
 */
export class Achiever implements Behavior {
  readonly kind = 'achiever' as const;
  readonly ac: ActorCritic;
  readonly dd: Params = {};
  readonly ddOpt: Adam | null = null;
  /** The goal of the current episode ([1, E]), set by the runner before each achiever episode. */
  private goal: tf.Tensor2D | null = null;
  private readonly stochSize: number;

  constructor(
    readonly config: AchieverConfig,
    wm: LatentWorldModel,
    seed: number,
  ) {
    if (!wm.embed || !wm.goalFeatures || !wm.embedSize)
      throw new UserError(
        'the LEXA achiever needs a world model with an image encoder and goal features (rssm); this model family has none',
      );
    this.ac = new ActorCritic(config.actorCritic, wm, seed, wm.embedSize);
    this.stochSize = wm.stochastic
      ? tf.tidy(() => wm.stochastic!(tf.zeros([1, wm.featureSize])).shape[1])
      : wm.featureSize;
    if (config.reward === 'temporal') {
      initDistance(this.dd, config.temporal, this.stochSize, new Rng(seed ^ 0xdd));
      const t = config.temporal;
      this.ddOpt = new Adam(this.dd, { lr: t.lr, eps: t.adamEps, clipNorm: t.clipNorm });
    }
  }

  /** Sets the goal from an image (uint8 S×S×3 at `size`, resized to the model's frames). */
  setGoalImage(wm: LatentWorldModel, image: Uint8Array, size: number): void {
    this.setGoal(wm.embed!(resizeFrames(image, 1, size, wm.imageSize), 1));
  }

  /** Takes ownership of a goal embedding [1, E]. */
  setGoal(embed: tf.Tensor2D): void {
    this.goal?.dispose();
    this.goal = embed;
  }

  act(wm: LatentWorldModel, state: LatentState, seed: number | null): Float32Array {
    if (!this.goal) throw new Error('the achiever has no goal: set one before acting');
    return this.ac.act(wm, state, seed, this.goal);
  }

  /** Per-state rewards [N] of features [N, F] towards goals whose goal features are [N, F]. */
  reward(wm: LatentWorldModel, feat: tf.Tensor2D, goalFeat: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      if (this.config.reward === 'cosine') {
        const dot = tf.sum(tf.mul(feat, goalFeat), -1);
        const norm = tf.mul(tf.norm(feat, 'euclidean', -1), tf.norm(goalFeat, 'euclidean', -1));
        return tf.div(dot, tf.add(norm, 1e-8)) as tf.Tensor1D;
      }
      return tf.neg(distance(this.dd, this.config.temporal, stoch(wm, feat), stoch(wm, goalFeat))) as tf.Tensor1D;
    });
  }

  update(wm: LatentWorldModel, starts: LatentState, seed: number, batch?: StartBatchInfo): BehaviorUpdate {
    if (!batch?.embeds) return { applied: false, reason: 'no goal embeddings in the batch', metrics: {} };
    const rng = new Rng(seed ^ 0x60a1);
    const n = batch.embeds.shape[0];
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const goals = tf.tidy(() => tf.gather(batch.embeds!, tf.tensor1d(perm, 'int32')) as tf.Tensor2D);
    const goalFeat = tf.tidy(() => stopGradient(wm.goalFeatures!(goals)) as tf.Tensor2D);
    let imagined: tf.Tensor2D | null = null;
    const H = this.ac.config.horizon;
    try {
      const u = this.ac.updateWith(wm, starts, rng.int(2 ** 31), {
        context: goals,
        reward: (f) => {
          const [t1, m, d] = f.shape;
          const g = tf.tile(goalFeat, [t1, 1]) as tf.Tensor2D;
          return tf.reshape(this.reward(wm, tf.reshape(f, [t1 * m, d]) as tf.Tensor2D, g), [t1, m]) as tf.Tensor2D;
        },
        onImagined: (f) => {
          if (!this.ddOpt) return;
          // The states before each imagined step (start included), as LEXA's `_imagine` returns them.
          const [, m, d] = f.shape;
          imagined = tf.keep(stoch(wm, tf.reshape(tf.slice(f, [0, 0, 0], [H, m, d]), [H * m, d]) as tf.Tensor2D));
        },
      });
      if (!this.ddOpt || !imagined) return u;
      const data = imagined as tf.Tensor2D;
      const t = this.config.temporal;
      const pairs = distancePairs(H, n, batch.seqLength, t.positives, t.negFactor, rng);
      const r = this.ddOpt.step(() => ({ loss: distanceLoss(this.dd, t, data, pairs) }));
      const reason = u.reason ?? (r.reason ? `distance: ${r.reason}` : undefined);
      return {
        applied: u.applied && r.applied,
        ...(reason ? { reason } : {}),
        metrics: { ...u.metrics, distance_loss: r.loss },
      };
    } finally {
      tf.dispose([goals, goalFeat]);
      if (imagined) (imagined as tf.Tensor).dispose();
    }
  }

  checkpoint(): BehaviorCheckpoint {
    const ck = this.ac.checkpoint();
    const o = this.ddOpt?.state('opt_dd/');
    return {
      tensors: { ...ck.tensors, ...namedParams(this.dd), ...(o?.tensors ?? {}) },
      state: { ...ck.state, ddT: o?.t ?? 0 },
    };
  }

  restore(ckpt: BehaviorCheckpoint): void {
    this.ac.restore(ckpt);
    assignParams(this.dd, ckpt.tensors);
    this.ddOpt?.loadState(ckpt.tensors, Number(ckpt.state.ddT ?? 0), 'opt_dd/');
  }

  dispose(): void {
    this.ac.dispose();
    disposeParams(this.dd);
    this.ddOpt?.dispose();
    this.goal?.dispose();
    this.goal = null;
  }
}

function stoch(wm: LatentWorldModel, feat: tf.Tensor2D): tf.Tensor2D {
  return wm.stochastic ? wm.stochastic(feat) : feat;
}
