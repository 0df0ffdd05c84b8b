import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from './backend.ts';

/**
 * A few-second gradient self-check of the training kernels on `backend` against the cpu
 * backend (the reference): small random shapes, values and gradients compared by relative
 * error ||a − b|| / max(||b||, 1e-6) per tensor. Used by `oneiro doctor`.
 */
export interface CheckCase {
  name: string;
  relErr: number;
  ok: boolean;
}

export interface SelfCheck {
  ok: boolean;
  tolerance: number;
  worst: number;
  cases: CheckCase[];
  ms: number;
}

interface Spec {
  name: string;
  shapes: number[][];
  int?: { index: number; max: number };
  f: (...xs: tf.Tensor[]) => tf.Tensor;
}

const SPECS: Spec[] = [
  {
    name: 'conv2d k4 s2 valid',
    shapes: [
      [2, 11, 11, 3],
      [4, 4, 3, 5],
    ],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'),
  },
  {
    name: 'conv2d k3 s1 same',
    shapes: [
      [1, 7, 8, 2],
      [3, 3, 2, 4],
    ],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  {
    name: 'conv2d k3 s3 same',
    shapes: [
      [3, 10, 9, 2],
      [3, 3, 2, 3],
    ],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 3, 'same'),
  },
  {
    name: 'conv2dTranspose k5 s2 (1×1 in)',
    shapes: [
      [2, 1, 1, 8],
      [5, 5, 4, 8],
    ],
    f: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 5, 5, 4], 2, 'valid'),
  },
  {
    name: 'conv2dTranspose k6 s2',
    shapes: [
      [2, 4, 4, 6],
      [6, 6, 3, 6],
    ],
    f: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 12, 12, 3], 2, 'valid'),
  },
  {
    name: 'matMul transposeA/B',
    shapes: [
      [7, 5],
      [9, 7],
    ],
    f: (a, b) => tf.matMul(a, b, true, true),
  },
  {
    name: 'batchMatMul',
    shapes: [
      [3, 4, 6],
      [3, 6, 5],
    ],
    f: (a, b) => tf.matMul(a, b),
  },
  { name: 'gather (dup indices)', shapes: [[6, 5], [9]], int: { index: 1, max: 6 }, f: (x, i) => tf.gather(x, i) },
  {
    name: 'gru cell',
    shapes: [
      [3, 5],
      [3, 4],
      [5, 12],
      [4, 12],
    ],
    f: (x, h, w, u) => {
      const [r, z, n] = tf.split(tf.add(tf.matMul(x, w), tf.matMul(h, u)), 3, 1);
      const zz = tf.sigmoid(z);
      return tf.add(tf.mul(zz, h), tf.mul(tf.sub(1, zz), tf.tanh(tf.mul(tf.sigmoid(r), n))));
    },
  },
  {
    name: 'logSumExp/softplus/layer norm',
    shapes: [[4, 9]],
    f: (x) => {
      const m = tf.moments(x, -1, true);
      const ln = tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-3)));
      return tf.add(tf.softplus(ln), tf.logSumExp(x, 1, true));
    },
  },
];

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return a.length !== b.length ? Infinity : Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-6);
}

async function evaluate(
  backend: BackendName,
  spec: Spec,
  values: (Float32Array | Int32Array)[],
  w: Float32Array | null,
): Promise<Float32Array[]> {
  await initBackend(backend);
  return tf.tidy(() => {
    const xs = values.map((v, i) => tf.tensor(v, spec.shapes[i], spec.int?.index === i ? 'int32' : 'float32'));
    const y = spec.f(...xs);
    const weights = tf.tensor(w ?? new Float32Array(y.size).fill(1), y.shape);
    const diffIdx = xs.map((_, i) => i).filter((i) => spec.int?.index !== i);
    const grads = tf.grads((...d: tf.Tensor[]) =>
      tf.sum(tf.mul(spec.f(...xs.map((x, i) => (diffIdx.includes(i) ? d[diffIdx.indexOf(i)] : x))), weights)),
    )(diffIdx.map((i) => xs[i]));
    return [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });
}

export async function runSelfCheck(backend: BackendName, tolerance = 1e-4): Promise<SelfCheck> {
  const t0 = performance.now();
  const cases: CheckCase[] = [];
  for (const spec of SPECS) {
    const values = spec.shapes.map((s, i) => {
      const n = s.reduce((a, b) => a * b, 1);
      if (spec.int?.index === i) return Int32Array.from({ length: n }, () => Math.floor(Math.random() * spec.int!.max));
      return Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
    });
    let err: number;
    try {
      const probe = await evaluate('cpu', spec, values, null);
      const w = Float32Array.from({ length: probe[0].length }, () => Math.random() * 2 - 1);
      const ref = await evaluate('cpu', spec, values, w);
      const got = await evaluate(backend, spec, values, w);
      err = Math.max(...ref.map((r, i) => relErr(got[i], r)));
    } catch {
      err = Infinity; // a kernel or gradient missing on this backend
    }
    cases.push({ name: spec.name, relErr: err, ok: Number.isFinite(err) && err <= tolerance });
  }
  await initBackend(backend);
  const worst = Math.max(...cases.map((c) => c.relErr));
  return { ok: cases.every((c) => c.ok), tolerance, worst, cases, ms: performance.now() - t0 };
}
