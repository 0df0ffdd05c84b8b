import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVAL_EPISODES, heldOutEnvSeed, trainEnvSeed } from '../../../scripts/measure-small-recipe.ts';

const measure = (ws: string, ...flags: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/measure-small.ts', 'rssm', '--workspace', ws, ...flags], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_WASM_THREADS: '1' },
  });

test('measure:small --eval-episodes N scores every evaluation on N episodes of their own, on env seeds no training episode used', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-measure-heldout-'));
  try {
    const r = measure(ws, '--episodes', '2', '--eval-episodes', '3', '--steps', '1');
    // One step learns nothing, so the targets fail (exit 1); what is checked is which episodes were scored.
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(out.heldOut, 'cartpole-heldout-3-s3');
    const notes: string[] = out.rows.at(-1).report.notes;
    assert.ok(
      notes.some((n) => /R² on 3 held-out ones/.test(n)),
      `the probe scored the 3 episodes of the held-out set: ${notes.join(' | ')}`,
    );
    const meta = (name: string) => JSON.parse(readFileSync(join(ws, 'datasets', name, 'dataset.json'), 'utf8'));
    assert.deepEqual(meta('cartpole-heldout-3-s3').source.envSeeds, [heldOutEnvSeed(3, 0), heldOutEnvSeed(3, 2)]);
    assert.deepEqual(meta('cartpole-2-s3').source.envSeeds, [trainEnvSeed(3, 0), trainEnvSeed(3, 1)]);
    const files = (name: string) => readdirSync(join(ws, 'datasets', name)).filter((f) => f.endsWith('.npz'));
    assert.equal(files('cartpole-heldout-3-s3').length, 3);
    for (const f of files('cartpole-heldout-3-s3')) assert.ok(!files('cartpole-2-s3').includes(f), `${f} is in both`);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test("measure:small's held-out env seeds never meet a training seed's (S·1000 + i, i < 1000) for seeds below 5000", () => {
  for (const s of [0, 3, 4999])
    for (const t of [0, 3, 4999]) {
      const held = [heldOutEnvSeed(s, 0), heldOutEnvSeed(s, 999)];
      const train = [trainEnvSeed(t, 0), trainEnvSeed(t, 999)];
      assert.ok(held[0] > train[1] || held[1] < train[0], `seed ${s} held out ${held} meets seed ${t} train ${train}`);
    }
  // Car-racing's pose needs its own held-out set (scripts/measure-small-recipe.ts); cartpole keeps the run's split.
  assert.deepEqual(EVAL_EPISODES, { 'cartpole-swingup': 0, 'car-racing': 100 });
});

test('measure:small refuses a bad --eval-episodes in one line with exit 2, before collecting any episode', () => {
  for (const bad of ['-1', '2.5', 'x', '']) {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-measure-heldout-'));
    try {
      const r = measure(ws, `--eval-episodes=${bad}`); // '=': parseArgs reads a bare '-1' as an option
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stderr.trim(), `measure:small: --eval-episodes must be a whole number ≥ 0, got '${bad}'`);
      assert.equal(existsSync(join(ws, 'datasets')), false, 'nothing collected');
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }
});
