import * as tf from '@tensorflow/tfjs-core';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import type { Behavior, BehaviorCheckpoint } from './behavior.ts';
import { actionDimOf, controllerAction, type ActionSpec } from '../models/controller-policy.ts';

/**
 * World Models' controller C as a behaviour: a = tanh(W·f + b) on the model's features f (WMx carracing/model.py,
 * MODE_ZH: f = [z, h]), mapped into the action box by `actions` (the mapping it was trained with in the dream),
 * or the argmax as a one-hot for discrete actions. θ is [W (F×A, row-major) | b (A)], trained by CMA-ES in the
 * dream (the World Models family's 'controller' phase).
 */
export class LinearController implements Behavior {
  readonly kind = 'controller' as const;

  constructor(
    readonly theta: ArrayLike<number>,
    readonly actions: ActionSpec,
  ) {}

  act(wm: LatentWorldModel, state: LatentState): Float32Array {
    const feat = tf.tidy(() => wm.features(state));
    const f = feat.dataSync() as Float32Array;
    feat.dispose();
    const A = wm.actionDim;
    if (actionDimOf(this.actions) !== A)
      throw new Error(`controller maps ${actionDimOf(this.actions)} action dimensions; the model acts in ${A}`);
    if (this.theta.length !== (f.length + 1) * A)
      throw new Error(
        `controller has ${this.theta.length} parameters; ${f.length} features × ${A} actions need ${(f.length + 1) * A}`,
      );
    // The same function the CMA-ES dream workers evaluate (features passed whole as z, no separate h).
    return controllerAction(this.theta, f, [], this.actions);
  }

  checkpoint(): BehaviorCheckpoint {
    return { tensors: {}, state: {} };
  }

  restore(): void {}

  dispose(): void {}
}
