import * as tf from '@tensorflow/tfjs-core';
import type { Space } from '../envs/types.ts';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { Adam, type Params, assignParams, disposeParams, namedParams } from '../models/nn.ts';
import { stopGradient } from '../tensor/stop-gradient.ts';
import { Rng } from '../util/rng.ts';
import { type ActionDist, type ActionDistKind, modeAction, sampleAction } from './action-dist.ts';
import type { ActorCriticConfig } from '../models/actor-critic-config.ts';
import { actorDistKind, actorForward, actorGrad, initActor } from './actor.ts';
import type { Behavior, BehaviorCheckpoint, BehaviorUpdate } from './behavior.ts';
import { criticValue, initCritic, updateSlowTarget } from './critic.ts';
import { discountWeights, lambdaReturn } from './lambda-return.ts';
import { ReturnNorm } from './return-norm.ts';

/**
 * Dreamer's actor-critic, learned purely in imagination (Dreamer v1 dreamer.py `_train`, DreamerV2 agent.py
 * `ActorCritic`; mission-anchors §1.3–1.4). From every start state (all B·T posterior states of a batch) the
 * actor imagines H steps in the world model; with rewards r, the slow critic's values v and per-step discounts
 * γ_t = γ·continuation(s_t), the targets are λ-returns (indexing as DreamerV3's lambda_return: the target of
 * s_t starts with the reward of arriving in s_{t+1}):
 *   R_t = r_{t+1} + γ_{t+1}[(1 − λ) v(s_{t+1}) + λ R_{t+1}],  R_H = v(s_H)
 *   w_t = Π_{k=1..t} γ_k  (stop-gradient; w_0 = 1)
 *   actor  = −mean(w_t · [ρ·R_t/S + (1 − ρ)·ln π(a_t|s_t)·sg(R_t − v(s_t))/S + η·H[π(·|s_t)]])
 *   critic = −mean(w_t · ln N(sg(R_t) | v(s_t), 1))
 * ρ = 1 backpropagates the return through the model's dynamics (continuous actions), ρ = 0 is REINFORCE
 * (discrete), 'both' mixes (DreamerV2 actor_grad_mix). The actor sees stop-gradient features. The slow critic
 * (targets and baseline) follows the critic on its schedule (critic.ts). S = 1, or with `actor.returnNorm` set
 * DreamerV3's max(1, EMA(P95) − EMA(P5)) of the λ-returns (return-norm.ts), which keeps the entropy term's weight
 * against the return independent of the reward scale (Adam makes the update's size scale-free, not the mix).
 */
/**
 * Hooks for behaviours built on this one (Plan2Explore, LEXA's achiever): a reward function replacing the
 * model's reward head, and a per-start context ([N, C], e.g. a goal embedding) concatenated to the actor's and
 * critic's inputs at every imagined step (lexa gcdreamer_imag.py `get_actor_inp`).
 */
export interface ImaginationHooks {
  /** Rewards of the imagined states from their features [H + 1, N, F] → [H + 1, N] (index 0 = start). */
  reward?: (features: tf.Tensor3D) => tf.Tensor2D;
  context?: tf.Tensor2D;
  /** Sees the imagined features (stop-gradient; inside a tidy: tf.keep what outlives it). */
  onImagined?: (features: tf.Tensor3D) => void;
}

export interface ActorCriticLosses {
  actor: tf.Scalar;
  critic: tf.Scalar;
}

export class ActorCritic implements Behavior {
  readonly kind = 'actor-critic' as const;
  readonly actor: Params = {};
  readonly critic: Params = {};
  readonly slow: Params = {};
  readonly actorOpt: Adam;
  readonly criticOpt: Adam;
  /** Updates done so far (the slow critic's schedule counts these). */
  updates = 0;
  readonly distKind: ActionDistKind;
  readonly grad: 'dynamics' | 'reinforce' | 'both';
  /** DreamerV3's return normalisation (null: raw returns). */
  readonly returnNorm: ReturnNorm | null;

  constructor(
    readonly config: ActorCriticConfig,
    model: { featureSize: number; actionDim: number; actionSpace: Space },
    seed: number,
    /** Width of the context the hooks concatenate to the features (0: none). */
    readonly contextSize = 0,
  ) {
    const rng = new Rng(seed ^ 0xac7c);
    const inputSize = model.featureSize + contextSize;
    this.distKind = actorDistKind(config, model.actionSpace);
    this.grad = actorGrad(config, model.actionSpace);
    this.returnNorm = config.actor.returnNorm ? new ReturnNorm(config.actor.returnNorm) : null;
    initActor(this.actor, config, inputSize, model.actionDim, this.distKind, rng);
    initCritic(this.critic, config, inputSize, rng);
    initCritic(this.slow, config, inputSize, rng, 'slow');
    const a = config.actor;
    const c = config.critic;
    this.actorOpt = new Adam(this.actor, { lr: a.lr, eps: a.adamEps, clipNorm: a.clipNorm });
    this.criticOpt = new Adam(this.critic, { lr: c.lr, eps: c.adamEps, clipNorm: c.clipNorm });
  }

  /** Features ‖ context ([N, F + C]); the context is repeated when the features hold several steps of N. */
  private input(feat: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor2D {
    if (!this.contextSize) return feat;
    if (!context || context.shape[1] !== this.contextSize)
      throw new Error(`this behaviour needs a context of width ${this.contextSize} (a goal) to act`);
    const reps = feat.shape[0] / context.shape[0];
    return tf.concat([feat, reps === 1 ? context : tf.tile(context, [reps, 1])], -1) as tf.Tensor2D;
  }

  act(wm: LatentWorldModel, state: LatentState, seed: number | null, context?: tf.Tensor2D): Float32Array {
    const out = tf.tidy(() => {
      const d = actorForward(this.actor, this.config, this.distKind, this.input(wm.features(state), context));
      return seed === null ? modeAction(d) : sampleAction(d, seed).action;
    });
    const a = out.dataSync() as Float32Array;
    out.dispose();
    return Float32Array.from(a);
  }

  /**
   * Dreamer's update. With `starts` set in the config, imagination starts from that many of the given states
   * (without replacement, from `seed`); behaviours with a context or their own reward call `updateWith` on
   * states their context rows are aligned with.
   */
  update(wm: LatentWorldModel, starts: LatentState, seed: number): BehaviorUpdate {
    const chosen = subsetOf(starts, this.config.starts, seed);
    try {
      return this.updateWith(wm, chosen.state, seed, {});
    } finally {
      tf.dispose(chosen.owned);
    }
  }

  /** One update with a reward function and/or a context (behaviours built on this one). */
  updateWith(wm: LatentWorldModel, starts: LatentState, seed: number, hooks: ImaginationHooks): BehaviorUpdate {
    const ctx = hooks.context;
    const c = this.config;
    const H = c.horizon;
    updateSlowTarget(this.critic, this.slow, c, this.updates);
    this.updates += 1;
    const rng = new Rng(seed);
    const imagSeed = rng.int(2 ** 31);
    const actSeed = rng.int(2 ** 31);
    let kept: { feat: tf.Tensor3D; target: tf.Tensor2D; weight: tf.Tensor2D } | null = null;
    const a = this.actorOpt.step(() => {
      const logps: tf.Tensor1D[] = [];
      const ents: tf.Tensor1D[] = [];
      // Each step's distribution, for the actor_mode_* metrics: its mode is taken once over all steps below
      // (a tanh-normal's mode reads the values back: one device sync per update, not one per imagined step).
      const dists: ActionDist[] = [];
      const policy = (feat: tf.Tensor2D, t: number) => {
        const d = actorForward(this.actor, c, this.distKind, this.input(stopGradient(feat), ctx));
        const s = sampleAction(d, (actSeed + 7919 * t) >>> 0);
        dists.push(d);
        logps.push(s.logProb);
        ents.push(s.entropy);
        return s.action;
      };
      const im = wm.imagine(starts, policy, H, imagSeed);
      const [T1, N, F] = im.features.shape;
      const flat = tf.reshape(im.features, [T1 * N, F]) as tf.Tensor2D;
      hooks.onImagined?.(stopGradient(im.features));
      const reward = hooks.reward ? hooks.reward(im.features) : (tf.reshape(wm.reward(flat), [T1, N]) as tf.Tensor2D);
      const disc = tf.mul(tf.reshape(wm.continuation(flat), [T1, N]), c.gamma) as tf.Tensor2D;
      const vSlow = tf.reshape(criticValue(this.slow, c, this.input(flat, ctx), 'slow'), [T1, N]) as tf.Tensor2D;
      const next = (x: tf.Tensor2D) => tf.slice(x, [1, 0], [H, N]) as tf.Tensor2D;
      const baseline = tf.slice(vSlow, [0, 0], [H, N]) as tf.Tensor2D;
      const bootstrap = tf.reshape(tf.slice(vSlow, [H, 0], [1, N]), [N]) as tf.Tensor1D;
      const target = lambdaReturn(next(reward), baseline, next(disc), bootstrap, c.lambda);
      const weight = discountWeights(next(disc));
      // The EMA moves with this update's returns before they are scaled (DreamerV3 Moments.__call__).
      const scale = this.returnNorm ? this.returnNorm.update(stopGradient(target).dataSync()) : 1;
      const dyn = scale === 1 ? target : tf.div(target, scale);
      const reinforce = () => tf.mul(tf.stack(logps), stopGradient(tf.div(tf.sub(target, baseline), scale)));
      let objective: tf.Tensor =
        this.grad === 'dynamics'
          ? dyn
          : this.grad === 'reinforce'
            ? reinforce()
            : tf.add(tf.mul(dyn, c.actor.gradMix), tf.mul(reinforce(), 1 - c.actor.gradMix));
      const entropy = tf.stack(ents);
      if (c.actor.entropy > 0) objective = tf.add(objective, tf.mul(entropy, c.actor.entropy));
      const actorLoss = tf.mul(tf.neg(tf.mean(tf.mul(weight, objective))), c.scales.actor) as tf.Scalar;
      kept = {
        feat: tf.keep(
          stopGradient(
            tf.reshape(
              this.input(tf.reshape(tf.slice(im.features, [0, 0, 0], [H, N, F]), [H * N, F]) as tf.Tensor2D, ctx),
              [H, N, -1],
            ),
          ) as tf.Tensor3D,
        ),
        target: tf.keep(stopGradient(target)),
        weight: tf.keep(weight),
      };
      const d0 = dists[0];
      const all = (ts: tf.Tensor2D[]) => stopGradient(tf.concat(ts, 0)) as tf.Tensor2D;
      const modes = modeAction({
        ...d0,
        a: all(dists.map((d) => d.a)),
        b: d0.b && all(dists.map((d) => d.b as tf.Tensor2D)),
      });
      const modeAbs = tf.abs(modes);
      return {
        loss: actorLoss,
        metrics: {
          actor_entropy: tf.mean(entropy) as tf.Scalar,
          imag_return: tf.mean(tf.slice(target, [0, 0], [1, N])) as tf.Scalar,
          imag_reward: tf.mean(next(reward)) as tf.Scalar,
          imag_weight: tf.mean(weight) as tf.Scalar,
          imag_reward_std: tf.sqrt(tf.moments(next(reward)).variance) as tf.Scalar,
          target_mean: tf.mean(target) as tf.Scalar,
          return_scale: tf.scalar(scale),
          // |mode| of the continuous actor's actions, and the share of them within 0.05 of the bound
          // (a collapsed actor pushes a constant saturated action).
          actor_mode_abs: tf.mean(modeAbs) as tf.Scalar,
          actor_mode_sat: tf.mean(tf.cast(tf.greater(modeAbs, 0.95), 'float32')) as tf.Scalar,
          actor_mode_mean: tf.mean(modes) as tf.Scalar,
        },
      };
    });
    const k = kept as unknown as { feat: tf.Tensor3D; target: tf.Tensor2D; weight: tf.Tensor2D };
    try {
      const cr = this.criticOpt.step(() => {
        const [h, n, f] = k.feat.shape;
        const v = tf.reshape(criticValue(this.critic, c, tf.reshape(k.feat, [h * n, f]) as tf.Tensor2D), [h, n]);
        // −ln N(target | v, 1) = ½(target − v)² + ln √(2π)
        const nll = tf.add(tf.mul(tf.square(tf.sub(k.target, v)), 0.5), 0.5 * Math.log(2 * Math.PI));
        const loss = tf.mul(tf.mean(tf.mul(k.weight, nll)), c.scales.critic) as tf.Scalar;
        return { loss, metrics: { value_mean: tf.mean(v) as tf.Scalar } };
      });
      const reason = a.reason ?? cr.reason;
      return {
        applied: a.applied && cr.applied,
        ...(reason ? { reason } : {}),
        metrics: {
          actor_loss: a.loss,
          critic_loss: cr.loss,
          actor_grad_norm: a.gradNorm,
          critic_grad_norm: cr.gradNorm,
          ...a.metrics,
          ...cr.metrics,
        },
      };
    } finally {
      tf.dispose([k.feat, k.target, k.weight]);
    }
  }

  checkpoint(): BehaviorCheckpoint {
    const oa = this.actorOpt.state('opt_actor/');
    const oc = this.criticOpt.state('opt_critic/');
    return {
      tensors: {
        ...namedParams(this.actor),
        ...namedParams(this.critic),
        ...namedParams(this.slow),
        ...oa.tensors,
        ...oc.tensors,
      },
      state: {
        actorT: oa.t,
        criticT: oc.t,
        updates: this.updates,
        ...(this.returnNorm ? { returnLow: this.returnNorm.low, returnHigh: this.returnNorm.high } : {}),
      },
    };
  }

  restore(ckpt: BehaviorCheckpoint): void {
    assignParams(this.actor, ckpt.tensors);
    assignParams(this.critic, ckpt.tensors);
    assignParams(this.slow, ckpt.tensors);
    this.actorOpt.loadState(ckpt.tensors, Number(ckpt.state.actorT ?? 0), 'opt_actor/');
    this.criticOpt.loadState(ckpt.tensors, Number(ckpt.state.criticT ?? 0), 'opt_critic/');
    this.updates = Number(ckpt.state.updates ?? 0);
    this.returnNorm?.restore({ low: ckpt.state.returnLow, high: ckpt.state.returnHigh });
  }

  dispose(): void {
    disposeParams(this.actor);
    disposeParams(this.critic);
    disposeParams(this.slow);
    this.actorOpt.dispose();
    this.criticOpt.dispose();
  }
}

/**
 * `n` of the start states (rows along axis 0 of every tensor), drawn without replacement from `seed`; all of
 * them when n is null or not smaller. `owned` are the tensors made here (the caller disposes them).
 */
export function subsetOf(
  starts: LatentState,
  n: number | null,
  seed: number,
): { state: LatentState; owned: tf.Tensor[] } {
  const total = Object.values(starts)[0]?.shape[0] ?? 0;
  if (n === null || n >= total) return { state: starts, owned: [] };
  const rng = new Rng((seed ^ 0x5eed) >>> 0);
  const idx = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(total - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const rows = tf.tensor1d(idx.slice(0, n), 'int32');
  const state: LatentState = {};
  for (const [k, t] of Object.entries(starts)) state[k] = tf.gather(t, rows);
  return { state, owned: [rows, ...Object.values(state)] };
}
