import { Rng } from '../../util/rng.ts';
import { symmetricEigen } from '../../util/symmetric-eigen.ts';

/**
 * CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016, Algorithm / Table 1; as purecma.py):
 * weighted recombination of the best μ of λ samples, cumulative step-size adaptation (path p_σ),
 * rank-one (path p_c) and rank-μ covariance updates, eigendecomposition of C refreshed lazily.
 * Minimises. State is plain numbers (JSON) so a checkpoint restores it exactly.
 */
export interface CmaState {
  n: number;
  lambda: number;
  generation: number;
  evals: number;
  sigma: number;
  mean: number[];
  /** Row-major n×n. */
  C: number[];
  pc: number[];
  ps: number[];
  /** Eigenvectors (columns of row-major B) and sqrt eigenvalues of C. */
  B: number[];
  D: number[];
  eigenEval: number;
  best: { x: number[]; f: number } | null;
}

export class CmaEs {
  readonly n: number;
  readonly lambda: number;
  readonly mu: number;
  readonly weights: number[];
  readonly mueff: number;
  readonly cc: number;
  readonly cs: number;
  readonly c1: number;
  readonly cmu: number;
  readonly damps: number;
  readonly chiN: number;
  s: CmaState;

  constructor(x0: ArrayLike<number>, sigma0: number, lambda?: number) {
    const n = x0.length;
    this.n = n;
    // Tutorial defaults: λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋, log-rank weights.
    this.lambda = lambda ?? 4 + Math.floor(3 * Math.log(n));
    this.mu = Math.floor(this.lambda / 2);
    const w = Array.from({ length: this.mu }, (_, i) => Math.log((this.lambda + 1) / 2) - Math.log(i + 1));
    const sw = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / sw);
    this.mueff = 1 / this.weights.reduce((a, b) => a + b * b, 0);
    this.cc = (4 + this.mueff / n) / (n + 4 + (2 * this.mueff) / n);
    this.cs = (this.mueff + 2) / (n + this.mueff + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + this.mueff);
    this.cmu = Math.min(1 - this.c1, (2 * (this.mueff - 2 + 1 / this.mueff)) / ((n + 2) ** 2 + this.mueff));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((this.mueff - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    const I = new Array<number>(n * n).fill(0);
    for (let i = 0; i < n; i++) I[i * n + i] = 1;
    this.s = {
      n,
      lambda: this.lambda,
      generation: 0,
      evals: 0,
      sigma: sigma0,
      mean: Array.from(x0),
      C: [...I],
      pc: new Array(n).fill(0),
      ps: new Array(n).fill(0),
      B: [...I],
      D: new Array(n).fill(1),
      eigenEval: 0,
      best: null,
    };
  }

  static fromState(s: CmaState): CmaEs {
    const es = new CmaEs(s.mean, s.sigma, s.lambda);
    es.s = structuredClone(s);
    return es;
  }

  /** λ candidates x = m + σ·B·D·z, z ~ N(0, I) from `rng`. */
  ask(rng: Rng): Float64Array[] {
    const { n } = this;
    const { B, D, mean, sigma } = this.s;
    const out: Float64Array[] = [];
    for (let k = 0; k < this.lambda; k++) {
      const dz = new Float64Array(n);
      for (let i = 0; i < n; i++) dz[i] = D[i] * rng.normal();
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += B[i * n + j] * dz[j];
        x[i] = mean[i] + sigma * s;
      }
      out.push(x);
    }
    return out;
  }

  /** Updates the distribution from the candidates and their values (lower is better). */
  tell(xs: ArrayLike<number>[], fs: number[]): void {
    const { n, mu, weights, cc, cs, c1, cmu, damps, chiN } = this;
    const s = this.s;
    s.evals += xs.length;
    s.generation += 1;
    const order = fs
      .map((f, i) => [f, i] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, i]) => i);
    if (!s.best || fs[order[0]] < s.best.f) s.best = { x: Array.from(xs[order[0]]), f: fs[order[0]] };
    const old = s.mean;
    const mean = new Array<number>(n).fill(0);
    for (let k = 0; k < mu; k++) {
      const x = xs[order[k]];
      for (let i = 0; i < n; i++) mean[i] += weights[k] * x[i];
    }
    const y = mean.map((m, i) => (m - old[i]) / s.sigma);
    // C^{-1/2}·y = B·D^{-1}·Bᵀ·y
    const bty = new Array<number>(n).fill(0);
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let i = 0; i < n; i++) t += s.B[i * n + j] * y[i];
      bty[j] = t / s.D[j];
    }
    const csn = Math.sqrt(cs * (2 - cs) * this.mueff);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < n; j++) t += s.B[i * n + j] * bty[j];
      s.ps[i] = (1 - cs) * s.ps[i] + csn * t;
    }
    const psNorm = Math.sqrt(s.ps.reduce((a, b) => a + b * b, 0));
    const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * s.generation)) / chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
    const ccn = Math.sqrt(cc * (2 - cc) * this.mueff);
    for (let i = 0; i < n; i++) s.pc[i] = (1 - cc) * s.pc[i] + hsig * ccn * y[i];
    // C ← (1 − c1 − cμ + (1−hσ)c1cc(2−cc))·C + c1·pc·pcᵀ + cμ·Σ w_k y_k y_kᵀ
    const ys = Array.from({ length: mu }, (_, k) => Array.from(xs[order[k]], (v, i) => (v - old[i]) / s.sigma));
    const decay = 1 - c1 - cmu + (1 - hsig) * c1 * cc * (2 - cc);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let rmu = 0;
        for (let k = 0; k < mu; k++) rmu += weights[k] * ys[k][i] * ys[k][j];
        const v = decay * s.C[i * n + j] + c1 * s.pc[i] * s.pc[j] + cmu * rmu;
        s.C[i * n + j] = v;
        s.C[j * n + i] = v;
      }
    }
    s.sigma *= Math.exp(Math.min(1, (cs / damps) * (psNorm / chiN - 1)));
    s.mean = mean;
    // Lazy eigendecomposition: O(n³), so only every ~1/((c1+cμ)·n·10) generations (tutorial, Sec. B.2).
    if (s.evals - s.eigenEval > this.lambda / (c1 + cmu) / n / 10) {
      s.eigenEval = s.evals;
      const { values, vectors } = symmetricEigen(s.C, n);
      s.B = vectors;
      s.D = values.map((v) => Math.sqrt(Math.max(v, 1e-20)));
    }
  }

  get mean(): number[] {
    return this.s.mean;
  }

  get sigma(): number {
    return this.s.sigma;
  }
}
