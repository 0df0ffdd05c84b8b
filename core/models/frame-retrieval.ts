import * as tf from '@tensorflow/tfjs-core';

/**
 * Nearest-neighbour retrieval: for each predicted state, the real frame whose filtered features are nearest
 * (Euclidean) among a bank of (features, frame) pairs. It shows a model that decodes no pixels with frames it
 * never made, so the UI labels it "retrieval": it says which real state the prediction is closest to, not
 * what the model would draw. Rows of `exclude`d episodes are skipped (a dream is never shown its own truth).
 */
export class FrameRetrieval {
  private readonly bank: tf.Tensor2D;
  private readonly sqNorms: tf.Tensor1D;

  constructor(
    readonly dim: number,
    features: Float32Array,
    private readonly frames: Uint8Array,
    private readonly episode: Int32Array,
    readonly frameSize: number,
  ) {
    const n = features.length / dim;
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`retrieval: a bank of ${features.length} values is not [N, ${dim}]`);
    this.bank = tf.tensor2d(features, [n, dim]);
    this.sqNorms = tf.tidy(() => tf.sum(tf.square(this.bank), 1));
  }

  get size(): number {
    return this.bank.shape[0];
  }

  /** Index of the nearest bank row for each query row [N, F]; −1 when every row is excluded. */
  nearest(query: tf.Tensor2D, exclude: number | null = null): number[] {
    const idx = tf.tidy(() => {
      // ‖q − b‖² = ‖q‖² − 2 q·b + ‖b‖²; ‖q‖² is the same for every b, so it is left out of the argmin.
      let d = tf.sub(this.sqNorms, tf.mul(2, tf.matMul(query, this.bank, false, true)));
      if (exclude !== null) {
        const mask = tf.tensor1d(Array.from(this.episode, (e) => (e === exclude ? Infinity : 0)));
        d = tf.add(d, mask);
      }
      return tf.argMin(d, 1);
    });
    const out = Array.from(idx.dataSync());
    idx.dispose();
    if (exclude !== null) return out.map((i) => (this.episode[i] === exclude ? -1 : i));
    return out;
  }

  /** The nearest real frames, uint8 [N·S·S·3] (black where nothing could be retrieved). */
  render(query: tf.Tensor2D, exclude: number | null = null): Uint8Array {
    const px = this.frameSize * this.frameSize * 3;
    const idx = this.nearest(query, exclude);
    const out = new Uint8Array(idx.length * px);
    idx.forEach((i, k) => {
      if (i >= 0) out.set(this.frames.subarray(i * px, (i + 1) * px), k * px);
    });
    return out;
  }

  dispose(): void {
    tf.dispose([this.bank, this.sqNorms]);
  }
}
