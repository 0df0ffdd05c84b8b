import * as tf from '@tensorflow/tfjs-core';

/**
 * An LSTM over a whole sequence as one differentiable op with a hand-written backward pass (BPTT), the way
 * cuDNN and PyTorch run one: autodiff through T unrolled cells recorded ~35 kernels per step backward, a
 * weight-gradient matmul and a [H, 4H] accumulation per step, and a saved copy of every activation (issue
 * 17). Here the backward pass does 7 small ops and one h·Whᵀ per step; the weight gradients are one matmul
 * each over all B·T rows, and everything the per-step loop needs is prepared for all steps at once.
 *
 * Cell (gate order i, f, g, o as TF BasicLSTMCell): z = x_t·Wx + b + h·Wh,
 *   i, f, o = σ(z_i), σ(z_f), σ(z_o),  g = tanh(z_g),  c' = f⊙c + i⊙g,  h' = o⊙tanh(c').
 * The four activations are one op: act = s⊙σ(s⊙z) − (s − 1) with s = 2 on the g block and 1 elsewhere
 * (tanh(z) = 2σ(2z) − 1), whose derivative is (act + s − 1)⊙(1 − act).
 *
 * Inputs x [B, T, I], wx [I, 4H], wh [H, 4H], b [4H], h0, c0 [B, H]. Output [B, T + 1, H]: rows 0..T−1 are
 * h_1..h_T, row T is c_T (so the final cell state is differentiable too).
 */
function gateScale(h: number, value: (block: number) => number): tf.Tensor1D {
  const v = new Float32Array(4 * h);
  for (let k = 0; k < 4; k++) v.fill(value(k), k * h, (k + 1) * h);
  return tf.tensor1d(v);
}

const lstmOp = tf.customGrad(((
  x: tf.Tensor3D,
  wx: tf.Tensor2D,
  wh: tf.Tensor2D,
  b: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  const [B, T, I] = x.shape;
  const H = wh.shape[0];
  const s = gateScale(H, (k) => (k === 2 ? 2 : 1));
  const s1 = gateScale(H, (k) => (k === 2 ? 1 : 0));
  // Time-major so each step's rows are one contiguous block.
  const xt = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, I]);
  const proj = tf.unstack(tf.reshape(tf.add(tf.matMul(xt, wx), b), [T, B, 4 * H]));
  let h = h0;
  let c = c0;
  const acts: tf.Tensor[] = [];
  const cs: tf.Tensor[] = [c0];
  const tcs: tf.Tensor[] = [];
  const hs: tf.Tensor[] = [h0];
  for (let t = 0; t < T; t++) {
    const z = tf.add(proj[t], tf.matMul(h, wh));
    const act = tf.sub(tf.mul(tf.sigmoid(tf.mul(z, s)), s), s1);
    const [i, f, g, o] = tf.split(act, 4, 1);
    c = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
    const tc = tf.tanh(c);
    h = tf.mul(o, tc) as tf.Tensor2D;
    acts.push(act);
    cs.push(c);
    tcs.push(tc);
    hs.push(h);
  }
  const out = tf.concat([tf.stack(hs.slice(1), 1), tf.expandDims(c, 1)], 1);
  // Saved for the backward pass (only kept when a gradient is being recorded).
  save([xt, wx, wh, tf.stack(acts), tf.stack(cs.slice(0, T)), tf.stack(tcs), tf.stack(hs.slice(0, T)), s1]);
  return {
    value: out,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, wxS, whS, A, Cprev, TC, Hprev, s1S] = saved as [
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor1D,
      ];
      const [i, f, g, o] = tf.split(A, 4, 2);
      // dact = [dc⊙g, dc⊙c_prev, dc⊙i, dh⊙tanh(c)], dz = dact⊙(act + s − 1)⊙(1 − act): the factors that do not
      // depend on dc, dh are one product per step, computed for all steps here.
      const qd = tf.unstack(tf.mul(tf.concat([g, Cprev, i, TC], 2), tf.mul(tf.add(A, s1S), tf.sub(1, A))));
      const e = tf.unstack(tf.mul(o, tf.sub(1, tf.square(TC)))); // ∂c'/∂h' through h' = o⊙tanh(c')
      const fs = tf.unstack(f);
      const dyT = tf.unstack(tf.transpose(dy, [1, 0, 2])); // T + 1 rows of [B, H]
      // Whᵀ once: XNNPACK keeps a weight packed per tensor, so all T steps reuse one packing.
      const whT = tf.transpose(whS);
      let dh: tf.Tensor = tf.zerosLike(dyT[0]);
      let dc: tf.Tensor = dyT[T];
      const dz: tf.Tensor[] = new Array(T);
      for (let t = T - 1; t >= 0; t--) {
        const dht = tf.add(dyT[t], dh);
        dc = tf.add(dc, tf.mul(dht, e[t]));
        dz[t] = tf.mul(tf.concat([dc, dc, dc, dht], 1), qd[t]);
        dh = tf.matMul(dz[t], whT);
        dc = tf.mul(dc, fs[t]);
      }
      const dzAll = tf.reshape(tf.stack(dz), [T * B, 4 * H]);
      // dWx and dWh in one product [x_t, h_{t−1}]ᵀ·dz over all B·T rows (dz is packed once, not twice).
      const dw = tf.matMul(tf.concat([xs, tf.reshape(Hprev, [T * B, H])], 1), dzAll, true, false);
      const [dwx, dwh] = tf.split(dw, [I, H], 0);
      const dx = tf.transpose(tf.reshape(tf.matMul(dzAll, wxS, false, true), [T, B, I]), [1, 0, 2]);
      return [dx, dwx, dwh, tf.sum(dzAll, 0), dh, dc];
    },
  };
}) as any);

/**
 * Runs the LSTM over x [B, T, I] from (h0, c0): hidden states hs [B, T, H] and the final (h, c).
 */
export function lstmFused(
  x: tf.Tensor3D,
  wx: tf.Tensor2D,
  wh: tf.Tensor2D,
  b: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): { hs: tf.Tensor3D; h: tf.Tensor2D; c: tf.Tensor2D } {
  const [B, T] = x.shape;
  const H = wh.shape[0];
  const out = lstmOp(x, wx, wh, b, h0, c0) as tf.Tensor3D;
  const hs = tf.slice(out, [0, 0, 0], [B, T, H]) as tf.Tensor3D;
  const h = tf.reshape(tf.slice(out, [0, T - 1, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
  const c = tf.reshape(tf.slice(out, [0, T, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
  return { hs, h, c };
}
