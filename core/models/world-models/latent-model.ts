import * as tf from '@tensorflow/tfjs-core';
import type { Space } from '../../envs/types.ts';
import type { Imagined, LatentPolicy, LatentState, LatentWorldModel } from '../latent-world-model.ts';
import type { Params } from '../nn.ts';
import type { RnnConfig, VaeConfig } from './config.ts';
import { lstmSequence, mdnHead } from './mdn-rnn.ts';
import { encode, framesToTensor } from './vae.ts';
import { tfSeed } from '../../tensor/seed.ts';

/**
 * World Models (V + M) behind the behaviour interface. State: z [N, Z] (the VAE's μ of the last real frame, or
 * a mixture draw in the dream), the LSTM's h, c [N, H], and `started` [N, 1] (0 before the first frame, so the
 * first frame leaves h = 0 as WMx's rollout does). Features [z, h] (WMx MODE_ZH, what the controller reads).
 * Filtering a real step: h, c ← LSTM([z_prev, a]) (the action that led to the frame), z ← μ(frame). Reward: the
 * MDN-RNN's reward head on h (zeros without one). No continuation head: continuation is 1 (a constant discount).
 */
export class WorldModelsLatentModel implements LatentWorldModel {
  readonly featureSize: number;
  readonly actionDim: number;
  readonly imageSize: number;
  readonly hasContinuation = false;
  private readonly zDim: number;

  constructor(
    private readonly vae: Params,
    private readonly vaeCfg: VaeConfig,
    private readonly rnn: Params,
    private readonly rnnCfg: RnnConfig,
    readonly actionSpace: Space,
    private readonly prefixes = { vae: 'vae/', rnn: 'rnn/' },
  ) {
    this.zDim = vaeCfg.zDim;
    this.featureSize = vaeCfg.zDim + rnnCfg.hidden;
    this.actionDim = actionSpace.kind === 'box' ? actionSpace.shape.reduce((a, b) => a * b, 1) : actionSpace.n;
    this.imageSize = vaeCfg.imageSize;
  }

  initialState(n: number): LatentState {
    const H = this.rnnCfg.hidden;
    return { z: tf.zeros([n, this.zDim]), h: tf.zeros([n, H]), c: tf.zeros([n, H]), started: tf.zeros([n, 1]) };
  }

  private lstm(s: LatentState, action: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } {
    const x = tf.expandDims(tf.concat([s.z, action], -1), 1) as tf.Tensor3D;
    return lstmSequence(this.rnn, x, { h: s.h as tf.Tensor2D, c: s.c as tf.Tensor2D }, this.prefixes.rnn).last;
  }

  observe(prev: LatentState, action: tf.Tensor2D, frames: Uint8Array): LatentState {
    return tf.tidy(() => {
      const n = action.shape[0];
      const next = this.lstm(prev, action);
      const z = encode(this.vae, this.vaeCfg, framesToTensor(frames, n, this.imageSize), this.prefixes.vae).mu;
      const s = prev.started;
      return { z, h: tf.mul(next.h, s), c: tf.mul(next.c, s), started: tf.onesLike(s) };
    });
  }

  observeSequences(): LatentState {
    throw new Error('World Models gives no posterior states of sequences (behaviours that learn need an RSSM)');
  }

  imagine(start: LatentState, policy: LatentPolicy, horizon: number, sample: number | null): Imagined {
    let s: LatentState = start;
    const feats: tf.Tensor2D[] = [this.features(s)];
    const acts: tf.Tensor2D[] = [];
    for (let t = 0; t < horizon; t++) {
      const a = policy(feats[t], t);
      acts.push(a);
      const { h, c } = this.lstm(s, a);
      const o = mdnHead(this.rnn, this.rnnCfg, this.zDim, h, this.prefixes.rnn);
      // The mixture's draw (Gumbel-max over components per dimension, then a Gaussian), or its most likely
      // component's mean (sample null).
      const K = this.rnnCfg.mixtures;
      const pick =
        sample === null
          ? tf.argMax(o.logpi, -1)
          : tf.argMax(
              tf.add(
                o.logpi,
                tf.neg(
                  tf.log(
                    tf.neg(tf.log(tf.randomUniform(o.logpi.shape, 1e-6, 1 - 1e-6, 'float32', tfSeed(sample + 2 * t)))),
                  ),
                ),
              ),
              -1,
            );
      const oh = tf.cast(tf.oneHot(pick, K), 'float32');
      const mu = tf.sum(tf.mul(oh, o.mu), -1);
      const z =
        sample === null
          ? mu
          : tf.add(
              mu,
              tf.mul(
                tf.exp(tf.sum(tf.mul(oh, o.logsigma), -1)),
                tf.randomNormal(mu.shape, 0, 1, 'float32', tfSeed(sample + 2 * t + 1)),
              ),
            );
      s = { z, h, c, started: tf.onesLike(start.started) };
      feats.push(this.features(s));
    }
    return { features: tf.stack(feats) as tf.Tensor3D, actions: tf.stack(acts) as tf.Tensor3D, last: s };
  }

  features(state: LatentState): tf.Tensor2D {
    return tf.concat([state.z, state.h], -1) as tf.Tensor2D;
  }

  reward(feat: tf.Tensor2D): tf.Tensor1D {
    const n = feat.shape[0];
    if (!this.rnnCfg.rewardHead) return tf.zeros([n]);
    const h = tf.slice(feat, [0, this.zDim], [n, -1]) as tf.Tensor2D;
    return mdnHead(this.rnn, this.rnnCfg, this.zDim, h, this.prefixes.rnn).reward as tf.Tensor1D;
  }

  continuation(feat: tf.Tensor2D): tf.Tensor1D {
    return tf.ones([feat.shape[0]]);
  }

  disposeState(state: LatentState): void {
    tf.dispose(Object.values(state));
  }
}
