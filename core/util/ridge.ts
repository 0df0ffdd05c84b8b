/**
 * Ridge regression in closed form and R², in Float64 on the host: the linear state probe of issue 11 (does the
 * model's feature vector linearly encode the env's true low-dimensional state?). Matrices are small (features ≤
 * a few thousand, rows ≤ a few thousand), so a Cholesky solve of the smaller normal system is enough.
 *
 * Fit: features are standardised with the training mean and std (constant columns contribute nothing), targets
 * centred; W = (XᵀX + λI)⁻¹ XᵀY when F ≤ N, else the equivalent dual form Xᵀ(XXᵀ + λI)⁻¹Y. The intercept is
 * not penalised (it is the targets' training mean).
 */

export interface RidgeProbe {
  /** Feature standardisation (train statistics). */
  mean: Float64Array;
  scale: Float64Array;
  /** [F, D] weights on standardised features, and the intercept [D]. */
  weights: Float64Array;
  bias: Float64Array;
  features: number;
  targets: number;
}

/** Cholesky factor L of a symmetric positive definite n×n matrix (row-major, in place below the diagonal). */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error('ridge: the regularised system is not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

/** Solves (L Lᵀ) X = B for B [n, m] (row-major), returning X. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const y = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = y[i * m + c];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k * m + c];
      y[i * m + c] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i * m + c];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * y[k * m + c];
      y[i * m + c] = s / l[i * n + i];
    }
  }
  return y;
}

/**
 * Standardisation of n rows of F features (x(i, f) reads row i, feature f): the mean and 1/std of each feature. A
 * constant feature carries no information: scale 0 zeroes it out.
 */
export function featureScaling(
  n: number,
  F: number,
  x: (i: number, f: number) => number,
): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(F);
  const scale = new Float64Array(F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) mean[f] += x(i, f) / n;
  for (let i = 0; i < n; i++)
    for (let f = 0; f < F; f++) {
      const d = x(i, f) - mean[f];
      scale[f] += (d * d) / n;
    }
  for (let f = 0; f < F; f++) scale[f] = scale[f] > 1e-12 ? 1 / Math.sqrt(scale[f]) : 0;
  return { mean, scale };
}

/** Fits the probe on x [N, F] → y [N, D] (row-major) with penalty λ ≥ 0 on the standardised features. */
export function fitRidge(x: ArrayLike<number>, y: ArrayLike<number>, n: number, lambda: number): RidgeProbe {
  if (n < 1) throw new Error('ridge: no rows to fit');
  const F = x.length / n;
  const D = y.length / n;
  if (!Number.isInteger(F) || !Number.isInteger(D)) throw new Error('ridge: x and y must have n rows each');
  const { mean, scale } = featureScaling(n, F, (i, f) => x[i * F + f]);
  const xs = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) xs[i * F + f] = (x[i * F + f] - mean[f]) * scale[f];
  const bias = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) bias[d] += y[i * D + d] / n;
  const yc = new Float64Array(n * D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) yc[i * D + d] = y[i * D + d] - bias[d];
  // Constant columns would make XᵀX singular at λ = 0; a tiny jitter keeps the solve defined.
  const lam = Math.max(lambda, 1e-9);
  let weights: Float64Array;
  if (F <= n) {
    const g = new Float64Array(F * F);
    for (let i = 0; i < n; i++) {
      const r = i * F;
      for (let a = 0; a < F; a++) {
        const v = xs[r + a];
        if (v === 0) continue;
        for (let b = 0; b <= a; b++) g[a * F + b] += v * xs[r + b];
      }
    }
    for (let a = 0; a < F; a++) {
      for (let b = 0; b < a; b++) g[b * F + a] = g[a * F + b];
      g[a * F + a] += lam;
    }
    const xty = new Float64Array(F * D);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < F; a++) {
        const v = xs[i * F + a];
        if (v === 0) continue;
        for (let d = 0; d < D; d++) xty[a * D + d] += v * yc[i * D + d];
      }
    weights = choleskySolve(cholesky(g, F), F, xty, D);
  } else {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let f = 0; f < F; f++) s += xs[i * F + f] * xs[j * F + f];
        k[i * n + j] = k[j * n + i] = s;
      }
    for (let i = 0; i < n; i++) k[i * n + i] += lam;
    const alpha = choleskySolve(cholesky(k, n), n, yc, D);
    weights = new Float64Array(F * D);
    for (let i = 0; i < n; i++)
      for (let f = 0; f < F; f++) {
        const v = xs[i * F + f];
        if (v === 0) continue;
        for (let d = 0; d < D; d++) weights[f * D + d] += v * alpha[i * D + d];
      }
  }
  return { mean, scale, weights, bias, features: F, targets: D };
}

/** Predictions [N, D] for x [N, F]. */
export function predictRidge(p: RidgeProbe, x: ArrayLike<number>, n: number): Float64Array {
  const { features: F, targets: D } = p;
  if (x.length !== n * F) throw new Error(`ridge: expected ${n}×${F} features, got ${x.length} values`);
  const out = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) out[i * D + d] = p.bias[d];
    for (let f = 0; f < F; f++) {
      const v = (x[i * F + f] - p.mean[f]) * p.scale[f];
      if (v === 0) continue;
      for (let d = 0; d < D; d++) out[i * D + d] += v * p.weights[f * D + d];
    }
  }
  return out;
}

/**
 * Coefficient of determination per target column: 1 − Σ(y − ŷ)² / Σ(y − ȳ)², ȳ the mean of these y (as
 * sklearn's r2_score). A column constant in y has no variance to explain: NaN.
 */
export function r2Score(y: ArrayLike<number>, yHat: ArrayLike<number>, n: number): number[] {
  const D = y.length / n;
  const out: number[] = [];
  for (let d = 0; d < D; d++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += y[i * D + d] / n;
    let res = 0,
      tot = 0;
    for (let i = 0; i < n; i++) {
      res += (y[i * D + d] - yHat[i * D + d]) ** 2;
      tot += (y[i * D + d] - m) ** 2;
    }
    out.push(tot > 1e-12 * n ? 1 - res / tot : NaN);
  }
  return out;
}
