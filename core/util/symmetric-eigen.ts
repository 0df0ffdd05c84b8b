/**
 * Eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then the implicit QL
 * iteration with Wilkinson's shift, accumulating the eigenvectors (Golub & Van Loan, "Matrix Computations", 4th
 * ed., Alg. 8.3.1 and Sec. 8.3.5; the EISPACK tred2/tql2 pair). CMA-ES refreshes its sampling basis with it: at the
 * car-racing controller's n = 819 the cyclic Jacobi it replaced took ≈ 60 s a call (≈ 10 sweeps of 9 n³ flops), this
 * takes a few seconds (≈ 8 n³ flops once).
 *
 * Row-major throughout; the vectors being rotated are kept as rows so every inner loop runs over contiguous memory.
 * Returns eigenvalues in ascending order and, in `vectors` (row-major n×n), the matching unit eigenvectors as columns.
 */
export function symmetricEigen(M: ArrayLike<number>, n: number): { values: number[]; vectors: number[] } {
  if (!Number.isInteger(n) || n < 0 || M.length !== n * n) {
    throw new Error(`symmetricEigen: expected ${n}·${n} = ${n * n} entries for n = ${n}, got ${M.length}`);
  }
  for (let i = 0; i < M.length; i++) {
    if (!Number.isFinite(M[i])) {
      throw new Error(`symmetricEigen: entry (${Math.floor(i / n)}, ${i % n}) is ${M[i]}; expected a finite number`);
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const zt = tridiagonalize(Float64Array.from(M), n, d, e);
  tridiagonalQl(d, e, zt, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b]);
  const vectors = new Array<number>(n * n);
  for (let j = 0; j < n; j++) {
    const row = order[j] * n;
    for (let i = 0; i < n; i++) vectors[i * n + j] = zt[row + i];
  }
  return { values: order.map((i) => d[i]), vectors };
}

/**
 * Householder tridiagonalisation of the symmetric `a` (destroyed): A = Q·T·Qᵀ with T's diagonal in `d` and its
 * off-diagonal in `e` (e[i] couples i and i+1). Returns Qᵀ (row-major), whose rows the QL step rotates.
 */
function tridiagonalize(a: Float64Array, n: number, d: Float64Array, e: Float64Array): Float64Array {
  const beta = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    // x = A[k+1:, k] = A[k, k+1:] (row k, by symmetry). H = I − β v vᵀ maps x to α e₁; v overwrites x in row k.
    const rk = k * n;
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += a[rk + i] * a[rk + i];
    d[k] = a[rk + k];
    if (norm2 === 0) {
      e[k] = 0;
      continue;
    }
    const x0 = a[rk + k + 1];
    // α takes the sign opposite to x₀ so v₀ = x₀ − α does not cancel; then vᵀv = 2(‖x‖² − α x₀).
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    e[k] = alpha;
    a[rk + k + 1] = x0 - alpha;
    const b = 1 / (norm2 - alpha * x0);
    beta[k] = b;
    // p = β A'v, then w = p − (β pᵀv / 2) v, and A' ← A' − v wᵀ − w vᵀ (A' = A[k+1:, k+1:]).
    let pv = 0;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[ri + j] * a[rk + j];
      p[i] = b * s;
      pv += p[i] * a[rk + i];
    }
    const half = (b * pv) / 2;
    for (let i = k + 1; i < n; i++) p[i] -= half * a[rk + i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = a[rk + i];
      const wi = p[i];
      // v_i w_j + w_i v_j is the same sum for (i, j) and (j, i), so A' stays exactly symmetric.
      for (let j = k + 1; j < n; j++) a[ri + j] -= vi * p[j] + wi * a[rk + j];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 2) * n + n - 1];
  }
  if (n >= 1) d[n - 1] = a[n * n - 1];
  e[n - 1] = 0;

  // Q = H₀H₁…H_{n−3}, accumulated backwards (each Hₖ only touches indices > k), then transposed in place.
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const u = new Float64Array(n);
  for (let k = n - 3; k >= 0; k--) {
    const b = beta[k];
    if (b === 0) continue;
    const rk = k * n;
    u.fill(0, k + 1, n);
    for (let r = k + 1; r < n; r++) {
      const vr = a[rk + r];
      const rr = r * n;
      for (let c = k + 1; c < n; c++) u[c] += vr * q[rr + c];
    }
    for (let r = k + 1; r < n; r++) {
      const f = b * a[rk + r];
      const rr = r * n;
      for (let c = k + 1; c < n; c++) q[rr + c] -= f * u[c];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const t = q[i * n + j];
      q[i * n + j] = q[j * n + i];
      q[j * n + i] = t;
    }
  }
  return q;
}

/**
 * Implicit QL with Wilkinson's shift on the tridiagonal (d, e), in place: d becomes the eigenvalues (unsorted), and
 * each plane rotation is applied to rows of `zt` so that row i ends as the eigenvector of d[i].
 */
function tridiagonalQl(d: Float64Array, e: Float64Array, zt: Float64Array, n: number): void {
  // An off-diagonal is negligible beside its two diagonals or beside the whole matrix (EISPACK tql2's test): the
  // first alone never fires inside a cluster of zero eigenvalues, where both are rounding noise.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]));
  const negligible = (m: number) =>
    Math.abs(e[m]) <= Number.EPSILON * Math.max(Math.abs(d[m]) + Math.abs(d[m + 1]), norm);
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      // The first negligible off-diagonal at or after l splits off a block [l, m] to work on.
      let m = l;
      while (m < n - 1 && !negligible(m)) m++;
      if (m === l) break;
      if (iter === 60) throw new Error(`symmetricEigen: eigenvalue ${l} did not converge in 60 QL iterations`);
      // Wilkinson's shift: the eigenvalue of the leading 2×2 block closer to d[l].
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Underflow: the block splits at i+1; undo the partial shift and start again.
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        const ri = i * n;
        const rj = ri + n;
        for (let k = 0; k < n; k++) {
          const zi = zt[ri + k];
          const zj = zt[rj + k];
          zt[rj + k] = s * zi + c * zj;
          zt[ri + k] = c * zi - s * zj;
        }
      }
      if (i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}
