import * as tf from '@tensorflow/tfjs-core';
import type { Space } from '../../envs/types.ts';
import type { Imagined, LatentPolicy, LatentState, LatentWorldModel } from '../latent-world-model.ts';
import { type Params, dense } from '../nn.ts';
import { type RssmModelConfig, featureSize } from './config.ts';
import { toUint8 } from '../../media/frames.ts';
import { decode, encode, encodeSequence, mlpScalar } from './networks.ts';
import { SeedStream } from './seed-stream.ts';
import { objectiveOf } from './objectives/index.ts';
import { features, flattenSeq, imgStep, initialState, obsStep, observe } from './rssm.ts';

/**
 * The RSSM (both latent kinds) behind the behaviour interface. State: deter [N, D], stoch [N, S]. Features are
 * [deter, stoch]; reward and continuation are the model's heads (continuation = σ(logit) of the Bernoulli head
 * on 1 − is_terminal, DreamerV2 agent.py; a constant 1 when the config has no such head, as PlaNet and
 * Dreamer v1 without pcont).
 */
export class RssmLatentModel implements LatentWorldModel {
  readonly featureSize: number;
  readonly actionDim: number;
  readonly imageSize: number;
  readonly hasContinuation: boolean;
  readonly embedSize: number;
  /** The decoder's frames; absent when the representation objective has no pixel decoder (contrastive, prototypes). */
  readonly decode?: (feat: tf.Tensor2D) => Uint8Array;

  constructor(
    private readonly params: Params,
    private readonly config: RssmModelConfig,
    readonly actionSpace: Space,
  ) {
    this.featureSize = featureSize(config);
    this.actionDim = config.actionDim;
    this.imageSize = config.image.size;
    this.hasContinuation = config.heads.cont;
    this.embedSize = (this.params['rssm/obs_embed/w'] as tf.Tensor2D).shape[0];
    if (objectiveOf(config).decodesPixels)
      this.decode = (feat) => {
        // The decoder's mean is in pixels − 0.5 (as `pixels` feeds the encoder).
        const x = tf.tidy(() => tf.clipByValue(tf.add(decode(this.params, this.config, feat), 0.5), 0, 1));
        try {
          return toUint8(x.dataSync());
        } finally {
          x.dispose();
        }
      };
  }

  initialState(n: number): LatentState {
    const s = initialState(this.config, n);
    tf.dispose(s.dist.kind === 'gaussian' ? [s.dist.mean, s.dist.std] : [s.dist.logits]);
    return { deter: s.deter, stoch: s.stoch };
  }

  private pixels(frames: Uint8Array, shape: number[]): tf.Tensor {
    return tf.sub(tf.div(tf.tensor(frames, shape, 'int32'), 255), 0.5);
  }

  observe(prev: LatentState, action: tf.Tensor2D, frames: Uint8Array, sample: number | null): LatentState {
    const p = this.params;
    const c = this.config;
    return tf.tidy(() => {
      const n = action.shape[0];
      const x = this.pixels(frames, [n, c.image.size, c.image.size, 3]) as tf.Tensor4D;
      const seeds = sample === null ? null : new SeedStream(sample);
      const prior = imgStep(p, c, { deter: prev.deter, stoch: prev.stoch }, action, seeds);
      const post = obsStep(p, c, prior.deter, dense(p, 'rssm/obs_embed', encode(p, c, x)), seeds);
      return { deter: post.deter, stoch: post.stoch };
    });
  }

  observeSequences(frames: Uint8Array, actions: tf.Tensor3D, isFirst: tf.Tensor2D, sample: number | null): LatentState {
    const p = this.params;
    const c = this.config;
    return tf.tidy(() => {
      const [b, t] = actions.shape;
      const x = this.pixels(frames, [b, t, c.image.size, c.image.size, 3]);
      const seeds = sample === null ? null : new SeedStream(sample);
      const { post } = observe(p, c, encodeSequence(p, c, x), actions, isFirst, seeds);
      const flat = flattenSeq(post);
      return { deter: flat.deter, stoch: flat.stoch };
    });
  }

  /** Posterior states of a batch of sequences and the encoder embeddings of their frames (one encoder pass). */
  observeBatch(
    frames: Uint8Array,
    actions: tf.Tensor3D,
    isFirst: tf.Tensor2D,
    sample: number | null,
  ): { states: LatentState; embeds: tf.Tensor2D } {
    const p = this.params;
    const c = this.config;
    return tf.tidy(() => {
      const [b, t] = actions.shape;
      const x = this.pixels(frames, [b, t, c.image.size, c.image.size, 3]);
      const seeds = sample === null ? null : new SeedStream(sample);
      const embed = encodeSequence(p, c, x);
      const { post } = observe(p, c, embed, actions, isFirst, seeds);
      const flat = flattenSeq(post);
      return {
        states: { deter: flat.deter, stoch: flat.stoch },
        embeds: tf.reshape(embed, [b * t, -1]) as tf.Tensor2D,
      };
    });
  }

  embed(frames: Uint8Array, n: number): tf.Tensor2D {
    const s = this.config.image.size;
    return tf.tidy(() => encode(this.params, this.config, this.pixels(frames, [n, s, s, 3]) as tf.Tensor4D));
  }

  goalFeatures(embed: tf.Tensor2D): tf.Tensor2D {
    const p = this.params;
    const c = this.config;
    return tf.tidy(() => {
      const n = embed.shape[0];
      const init = initialState(c, n);
      const prior = imgStep(p, c, { deter: init.deter, stoch: init.stoch }, tf.zeros([n, this.actionDim]), null);
      const post = obsStep(p, c, prior.deter, dense(p, 'rssm/obs_embed', embed), null);
      return features(post);
    });
  }

  stochastic(feat: tf.Tensor2D): tf.Tensor2D {
    // features = [deter, stoch] (rssm.ts `features`)
    const d = this.config.rssm.deter;
    return tf.slice(feat, [0, d], [-1, this.featureSize - d]);
  }

  imagine(start: LatentState, policy: LatentPolicy, horizon: number, sample: number | null): Imagined {
    const p = this.params;
    const c = this.config;
    const seeds = sample === null ? null : new SeedStream(sample);
    let state = { deter: start.deter, stoch: start.stoch };
    const feats: tf.Tensor2D[] = [features(state)];
    const acts: tf.Tensor2D[] = [];
    for (let t = 0; t < horizon; t++) {
      const a = policy(feats[t], t);
      const next = imgStep(p, c, state, a, seeds);
      acts.push(a);
      state = { deter: next.deter, stoch: next.stoch };
      feats.push(features(state));
    }
    return {
      features: tf.stack(feats) as tf.Tensor3D,
      actions: (acts.length ? tf.stack(acts) : tf.zeros([0, start.deter.shape[0], this.actionDim])) as tf.Tensor3D,
      last: state,
    };
  }

  features(state: LatentState): tf.Tensor2D {
    return features({ deter: state.deter, stoch: state.stoch });
  }

  reward(feat: tf.Tensor2D): tf.Tensor1D {
    return mlpScalar(this.params, 'reward', this.config, feat);
  }

  continuation(feat: tf.Tensor2D): tf.Tensor1D {
    if (!this.hasContinuation) return tf.ones([feat.shape[0]]);
    return tf.sigmoid(mlpScalar(this.params, 'cont', this.config, feat));
  }

  disposeState(state: LatentState): void {
    tf.dispose(Object.values(state));
  }
}
