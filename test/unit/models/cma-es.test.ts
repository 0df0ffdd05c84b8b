import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CmaEs } from '../../../core/models/world-models/cma-es.ts';
import { Rng } from '../../../core/util/rng.ts';

const sphere = (x: ArrayLike<number>) => Array.from(x).reduce((a, v) => a + v * v, 0);
function rosenbrock(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}

function minimise(f: (x: ArrayLike<number>) => number, x0: number[], sigma: number, gens: number, seed = 1) {
  const es = new CmaEs(x0, sigma);
  const rng = new Rng(seed);
  for (let g = 0; g < gens; g++) {
    const xs = es.ask(rng);
    es.tell(xs, xs.map(f));
  }
  return es;
}

test('CMA-ES minimises the 10-d sphere to < 1e-10', () => {
  const es = minimise(sphere, new Array(10).fill(3), 1, 400);
  assert.ok(es.s.best!.f < 1e-10, `best ${es.s.best!.f}`);
  assert.ok(es.sigma < 1e-4, `step size should shrink near the optimum, sigma ${es.sigma}`);
});

test('CMA-ES solves 8-d Rosenbrock (needs covariance adaptation along the valley)', () => {
  const es = minimise(rosenbrock, new Array(8).fill(0), 0.5, 1500);
  assert.ok(es.s.best!.f < 1e-8, `best ${es.s.best!.f}`);
  for (const v of es.s.best!.x) assert.ok(Math.abs(v - 1) < 1e-3, `x ${es.s.best!.x}`);
});

test('the covariance learns an ill-conditioned ellipsoid (condition 1e4)', () => {
  const ell = (x: ArrayLike<number>) =>
    Array.from(x).reduce((a, v, i) => a + 10 ** ((4 * i) / (x.length - 1)) * v * v, 0);
  const es = minimise(ell, new Array(6).fill(1), 1, 600);
  assert.ok(es.s.best!.f < 1e-10, `best ${es.s.best!.f}`);
  // Axis variances of C should follow 1/curvature: the first axis far wider than the last.
  const n = 6;
  assert.ok(es.s.C[0] / es.s.C[(n - 1) * n + (n - 1)] > 100, `C diag ${es.s.C[0]} vs ${es.s.C[35]}`);
});

test('state round-trips through JSON and continues identically', () => {
  const a = minimise(sphere, [1, 2, 3, 4], 0.5, 20);
  const b = CmaEs.fromState(JSON.parse(JSON.stringify(a.s)));
  const ra = new Rng(99);
  const rb = new Rng(99);
  for (let g = 0; g < 5; g++) {
    const xa = a.ask(ra);
    const xb = b.ask(rb);
    a.tell(xa, xa.map(sphere));
    b.tell(xb, xb.map(sphere));
  }
  assert.deepEqual(a.s, b.s);
});
