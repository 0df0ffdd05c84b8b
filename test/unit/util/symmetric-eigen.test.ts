import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { symmetricEigen } from '../../../core/util/symmetric-eigen.ts';
import { Rng } from '../../../core/util/rng.ts';

// numpy.linalg.eigh on the same matrices: test/fixtures/linalg/make_fixtures.py.
const F: { name: string; n: number; matrix: number[]; values: number[]; vectors: number[] }[] = JSON.parse(
  readFileSync(new URL('../../fixtures/linalg/fixtures.json', import.meta.url), 'utf8'),
);

/** The projector onto the span of columns `cols` of a row-major n×n matrix. */
function projector(V: ArrayLike<number>, n: number, cols: number[]): number[] {
  const P = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (const c of cols) P[i * n + j] += V[i * n + c] * V[j * n + c];
  return P;
}

/** V·Λ·Vᵀ = A to `tol` entrywise and VᵀV = I to 1e-12 (eigenvectors as the columns of a row-major V). */
function assertDecomposes(A: number[], n: number, values: ArrayLike<number>, vectors: ArrayLike<number>, tol: number) {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let a = 0;
      let o = 0;
      for (let k = 0; k < n; k++) {
        a += vectors[i * n + k] * values[k] * vectors[j * n + k];
        o += vectors[k * n + i] * vectors[k * n + j];
      }
      assert.ok(Math.abs(a - A[i * n + j]) < tol, `A(${i},${j}) ${a} vs ${A[i * n + j]}`);
      assert.ok(Math.abs(o - (i === j ? 1 : 0)) < 1e-12, `VᵀV(${i},${j}) = ${o}`);
    }
  }
}

test('symmetricEigen matches numpy.linalg.eigh: ascending eigenvalues and the same eigenspaces', () => {
  for (const c of F) {
    const { values, vectors } = symmetricEigen(c.matrix, c.n);
    const scale = Math.max(1, ...c.values.map(Math.abs));
    for (let i = 0; i < c.n; i++) {
      assert.ok(Math.abs(values[i] - c.values[i]) < 1e-12 * scale, `${c.name}: λ${i} ${values[i]} vs ${c.values[i]}`);
    }
    // Eigenvectors are defined up to sign, and up to rotation within a repeated eigenvalue: compare the projectors
    // onto each eigenspace (eigenvalues equal to 1e-9 form one space).
    for (let i = 0; i < c.n;) {
      const group = [i];
      while (group.length + i < c.n && Math.abs(c.values[i + group.length] - c.values[i]) < 1e-9)
        group.push(i + group.length);
      const ours = projector(vectors, c.n, group);
      const theirs = projector(c.vectors, c.n, group);
      for (let k = 0; k < ours.length; k++) {
        assert.ok(Math.abs(ours[k] - theirs[k]) < 1e-9, `${c.name}: eigenspace of λ${i} differs at ${k}`);
      }
      i += group.length;
    }
  }
});

test('symmetricEigen reconstructs a CMA-ES-sized covariance with orthonormal eigenvectors', () => {
  const n = 150;
  const rng = new Rng(3);
  const R = Array.from({ length: n * 40 }, () => rng.normal());
  const M = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    M[i * n + i] += 0.5;
    for (let j = 0; j < n; j++) for (let k = 0; k < 40; k++) M[i * n + j] += (R[i * 40 + k] * R[j * 40 + k]) / 40;
  }
  const { values, vectors } = symmetricEigen(M, n);
  for (let i = 1; i < n; i++) assert.ok(values[i - 1] <= values[i], 'ascending');
  assertDecomposes(M, n, values, vectors, 1e-12);
});

test('symmetricEigen converges on a rank-deficient covariance (70 zero eigenvalues of 100)', () => {
  // A cluster of zero eigenvalues leaves off-diagonals of rounding size beside diagonals of rounding size: a split
  // test relative to the neighbouring diagonals alone never fires there, and QL ran out of iterations.
  const [n, r] = [100, 30];
  const rng = new Rng(0);
  const R = Array.from({ length: n * r }, () => rng.normal());
  const M = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let k = 0; k < r; k++) M[i * n + j] += R[i * r + k] * R[j * r + k];
  const { values, vectors } = symmetricEigen(M, n);
  const top = values[n - 1];
  assert.equal(values.filter((v) => Math.abs(v) < 1e-12 * top).length, n - r);
  assertDecomposes(M, n, values, vectors, 1e-12 * top);
});

test('symmetricEigen refuses a non-finite entry or a wrong size with one line naming it', () => {
  assert.throws(
    () => symmetricEigen([1, 0, 0, NaN], 2),
    /^Error: symmetricEigen: entry \(1, 1\) is NaN; expected a finite number$/,
  );
  assert.throws(() => symmetricEigen([1, Infinity, Infinity, 1], 2), /entry \(0, 1\) is Infinity/);
  assert.throws(() => symmetricEigen([1, 2, 3], 2), /expected 2·2 = 4 entries for n = 2, got 3$/);
});
