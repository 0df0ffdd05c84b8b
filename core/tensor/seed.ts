import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.ts';

/**
 * One seed for everything random in a run: `setSeed(seed)` starts a stream of integer seeds
 * that the helpers below hand to tfjs's random ops (which take a seed argument; without one
 * they draw from Math.random), and `dataRng()` gives seeded Rngs for data order and sampling
 * outside tensors. The same seed and the same sequence of calls give the same numbers, on
 * every backend (tfjs generates random values in JS, then uploads them).
 */
let seed = 0;
let stream = new Rng(0);

export function setSeed(s: number): void {
  if (!Number.isFinite(s)) throw new Error(`seed must be a finite number, got ${s}`);
  seed = Math.floor(s);
  stream = new Rng(seed);
}

export function getSeed(): number {
  return seed;
}

/**
 * A seed as tfjs's random ops must receive it. They treat a falsy seed as none and draw from Math.random, so seed 0
 * (evaluation's fixed plan seed, a dream's first sample) was not reproducible; our seeds are ≥ 0, so −1 is free.
 */
export const tfSeed = (s: number): number => (s === 0 ? -1 : s);

/** The next integer seed of the stream (0 ≤ n < 2³¹). */
export function nextSeed(): number {
  return Math.floor(stream.next() * 2147483647);
}

/** A seeded Rng drawn from the stream (data order, env resets, action sampling). */
export function dataRng(): Rng {
  return new Rng(nextSeed());
}

export function randomNormal(shape: number[], mean = 0, std = 1): tf.Tensor {
  return tf.randomNormal(shape, mean, std, 'float32', tfSeed(nextSeed()));
}

export function randomUniform(shape: number[], lo = 0, hi = 1): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, 'float32', tfSeed(nextSeed()));
}

export function truncatedNormal(shape: number[], mean = 0, std = 1): tf.Tensor {
  return tf.truncatedNormal(shape, mean, std, 'float32', tfSeed(nextSeed()));
}

/** Glorot/Xavier uniform: U(±√(6 / (fanIn + fanOut))) (Glorot & Bengio 2010). */
export function glorotUniform(shape: number[], fanIn: number, fanOut: number): tf.Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return randomUniform(shape, -limit, limit);
}

/** He normal: N(0, 2 / fanIn), truncated at 2σ as in Keras' he_normal (He et al. 2015). */
export function heNormal(shape: number[], fanIn: number): tf.Tensor {
  return truncatedNormal(shape, 0, Math.sqrt(2 / fanIn));
}

/** A seeded permutation of 0..n−1 (Fisher–Yates) for reproducible data order. */
export function shuffledIndices(n: number, rng: Rng = dataRng()): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}
