import * as tf from '@tensorflow/tfjs-core';
import { resizeFrames } from '../media/frames.ts';
import type { AchieverConfig } from '../models/lexa-config.ts';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { Adam, type Params, assignParams, disposeParams, initMlp, mlp, namedParams } from '../models/nn.ts';
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
 * - temporal: r = −D(x_t, x_goal) with D trained on the imagined trajectories (temporal-distance.ts), reading
 *   either LEXA's default `dd_inp: embed` — x_t = the embed head's prediction from f_t, x_goal = the goal image's
 *   encoder embedding — or its `dd_inp: feat` — x = the stochastic state (of f_t and of g). The embed head
 *   (lexa `pred_embed`) is the achiever's: the world model families have none, so it learns here from the
 *   replay batch's stop-gradient posterior features and encoder embeddings, as the reference's head does
 *   (gcdreamer_wm.py stops both gradients).
 * Checkpointed as one group: the actor-critic's tensors, `dd/…`, `opt_dd/…`, `ep/…`, `opt_ep/…`.
 */
export class Achiever implements Behavior {
  readonly kind = 'achiever' as const;
  readonly ac: ActorCritic;
  readonly dd: Params = {};
  readonly ddOpt: Adam | null = null;
  /** The embed head (temporal reward reading embeddings), params `ep/…`. */
  readonly embedHead: Params = {};
  readonly embedOpt: Adam | null = null;
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
      const t = config.temporal;
      const byEmbed = t.input === 'embed';
      initDistance(this.dd, t, byEmbed ? wm.embedSize : this.stochSize, new Rng(seed ^ 0xdd));
      this.ddOpt = new Adam(this.dd, { lr: t.lr, eps: t.adamEps, clipNorm: t.clipNorm });
      if (byEmbed) {
        const h = t.embedHead;
        initMlp(this.embedHead, 'ep', wm.featureSize, h.units, h.layers, new Rng(seed ^ 0xe6), wm.embedSize);
        this.embedOpt = new Adam(this.embedHead, { lr: h.lr, eps: h.adamEps, clipNorm: h.clipNorm });
      }
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

  /**
   * Per-state rewards [N] of features [N, F] towards goals whose goal features are [N, F] and whose encoder
   * embeddings are [N, E] (read by the temporal reward on embeddings only).
   */
  reward(wm: LatentWorldModel, feat: tf.Tensor2D, goalFeat: tf.Tensor2D, goalEmbed?: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      if (this.config.reward === 'cosine') {
        const dot = tf.sum(tf.mul(feat, goalFeat), -1);
        const norm = tf.mul(tf.norm(feat, 'euclidean', -1), tf.norm(goalFeat, 'euclidean', -1));
        return tf.div(dot, tf.add(norm, 1e-8)) as tf.Tensor1D;
      }
      const t = this.config.temporal;
      if (t.input === 'stoch') return tf.neg(distance(this.dd, t, stoch(wm, feat), stoch(wm, goalFeat))) as tf.Tensor1D;
      if (!goalEmbed) throw new Error("the temporal reward on embeddings needs the goals' encoder embeddings");
      return tf.neg(distance(this.dd, t, this.predictEmbed(feat), goalEmbed)) as tf.Tensor1D;
    });
  }

  /** The embed head's prediction [N, E] of the encoder embedding from features [N, F] (lexa `heads['embed']` mode). */
  predictEmbed(feat: tf.Tensor2D): tf.Tensor2D {
    const h = this.config.temporal.embedHead;
    return mlp(this.embedHead, 'ep', feat, h.layers, h.act);
  }

  /** What D reads of imagined features [N, F]: the embed head's prediction or the stochastic state. */
  private distanceInput(wm: LatentWorldModel, feat: tf.Tensor2D): tf.Tensor2D {
    return this.config.temporal.input === 'embed' ? this.predictEmbed(feat) : stoch(wm, feat);
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
          const e = tf.tile(goals, [t1, 1]) as tf.Tensor2D;
          return tf.reshape(this.reward(wm, tf.reshape(f, [t1 * m, d]) as tf.Tensor2D, g, e), [t1, m]) as tf.Tensor2D;
        },
        onImagined: (f) => {
          if (!this.ddOpt) return;
          // The states before each imagined step (start included), as LEXA's `_imagine` returns them.
          const [, m, d] = f.shape;
          imagined = tf.keep(
            stopGradient(
              this.distanceInput(wm, tf.reshape(tf.slice(f, [0, 0, 0], [H, m, d]), [H * m, d]) as tf.Tensor2D),
            ),
          );
        },
      });
      const e = this.embedOpt ? this.trainEmbedHead(wm, starts, batch.embeds) : null;
      if (!this.ddOpt || !imagined) return u;
      const data = imagined as tf.Tensor2D;
      const t = this.config.temporal;
      const pairs = distancePairs(H, n, batch.seqLength, t.positives, t.negFactor, rng);
      const r = this.ddOpt.step(() => ({ loss: distanceLoss(this.dd, t, data, pairs) }));
      const reason = u.reason ?? (r.reason ? `distance: ${r.reason}` : undefined);
      return {
        applied: u.applied && r.applied,
        ...(reason ? { reason } : {}),
        metrics: { ...u.metrics, distance_loss: r.loss, ...(e ? { embed_head_loss: e.loss } : {}) },
      };
    } finally {
      tf.dispose([goals, goalFeat]);
      if (imagined) (imagined as tf.Tensor).dispose();
    }
  }

  /**
   * One step of the embed head on the batch: Normal(mean, 1) negative log-likelihood (½·squared error summed
   * over the embedding, constant dropped) of the stop-gradient embeddings from the stop-gradient posterior
   * features (lexa models.py `WorldModel.train` for a head outside `grad_heads`).
   */
  private trainEmbedHead(wm: LatentWorldModel, starts: LatentState, embeds: tf.Tensor2D): { loss: number } {
    const feat = tf.tidy(() => stopGradient(wm.features(starts)));
    try {
      const r = this.embedOpt!.step(() => ({
        loss: tf.tidy(
          () =>
            tf.mul(
              tf.mean(tf.sum(tf.square(tf.sub(this.predictEmbed(feat), stopGradient(embeds))), -1)),
              0.5,
            ) as tf.Scalar,
        ),
      }));
      return { loss: r.loss };
    } finally {
      feat.dispose();
    }
  }

  checkpoint(): BehaviorCheckpoint {
    const ck = this.ac.checkpoint();
    const o = this.ddOpt?.state('opt_dd/');
    const e = this.embedOpt?.state('opt_ep/');
    return {
      tensors: {
        ...ck.tensors,
        ...namedParams(this.dd),
        ...(o?.tensors ?? {}),
        ...namedParams(this.embedHead),
        ...(e?.tensors ?? {}),
      },
      state: { ...ck.state, ddT: o?.t ?? 0, epT: e?.t ?? 0 },
    };
  }

  restore(ckpt: BehaviorCheckpoint): void {
    this.ac.restore(ckpt);
    assignParams(this.dd, ckpt.tensors);
    this.ddOpt?.loadState(ckpt.tensors, Number(ckpt.state.ddT ?? 0), 'opt_dd/');
    assignParams(this.embedHead, ckpt.tensors);
    this.embedOpt?.loadState(ckpt.tensors, Number(ckpt.state.epT ?? 0), 'opt_ep/');
  }

  dispose(): void {
    this.ac.dispose();
    disposeParams(this.dd);
    this.ddOpt?.dispose();
    disposeParams(this.embedHead);
    this.embedOpt?.dispose();
    this.goal?.dispose();
    this.goal = null;
  }
}

function stoch(wm: LatentWorldModel, feat: tf.Tensor2D): tf.Tensor2D {
  return wm.stochastic ? wm.stochastic(feat) : feat;
}
