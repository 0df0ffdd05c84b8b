import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EVAL_EPISODES,
  MAX_SEED,
  SEED_SPAN,
  heldOutEnvSeed,
  trainEnvSeed,
} from '../../../scripts/measure-small-recipe.ts';

// timeoutMs: a refusal takes a second or two; a flag let through starts collecting and training, and the timeout
// turns that into a failed assertion (status null) instead of a hung test.
const measure = (ws: string, flags: string[], timeoutMs = 600_000) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/measure-small.ts', 'rssm', '--workspace', ws, ...flags], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_WASM_THREADS: '1' },
    timeout: timeoutMs,
  });

test('measure:small --eval-episodes N scores every evaluation on N episodes of their own, on env seeds no training episode used', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-measure-heldout-'));
  try {
    const r = measure(ws, ['--episodes', '2', '--eval-episodes', '3', '--steps', '1']);
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

test("measure:small's env seeds: no two sets (any seed it accepts, training or held out, up to SEED_SPAN episodes) share a track", () => {
  assert.equal(heldOutEnvSeed(3, 0), 5_003_000, 'the held-out tracks docs/results/small-presets.md quotes');
  const sets: [string, number, number][] = [];
  for (const s of [0, 1, 3, MAX_SEED - 1, MAX_SEED]) {
    sets.push([`train ${s}`, trainEnvSeed(s, 0), trainEnvSeed(s, SEED_SPAN - 1)]);
    sets.push([`held ${s}`, heldOutEnvSeed(s, 0), heldOutEnvSeed(s, SEED_SPAN - 1)]);
  }
  for (const [a, lo, hi] of sets)
    for (const [b, lo2, hi2] of sets)
      if (a !== b) assert.ok(hi < lo2 || hi2 < lo, `${a} [${lo}, ${hi}] meets ${b} [${lo2}, ${hi2}]`);
  // Car-racing's pose needs its own held-out set (scripts/measure-small-recipe.ts); cartpole keeps the run's split.
  assert.deepEqual(EVAL_EPISODES, { 'cartpole-swingup': 0, 'car-racing': 100 });
});

test('measure:small refuses a bad --eval-episodes, --episodes or --seed in one line with exit 2, before collecting any episode', () => {
  const cases: [string, string, string][] = [
    ...['-1', '2.5', 'x', '', '1001'].map((v): [string, string, string] => ['eval-episodes', v, 'from 0 to 1000']),
    ...['0', '1001'].map((v): [string, string, string] => ['episodes', v, 'from 1 to 1000']),
    ...['-1', '5000', 'x', '3.5', ''].map((v): [string, string, string] => ['seed', v, 'from 0 to 4999']),
  ];
  for (const [flag, bad, range] of cases) {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-measure-heldout-'));
    try {
      const r = measure(ws, [`--${flag}=${bad}`], 30_000); // '=': parseArgs reads a bare '-1' as an option
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stderr.trim(), `measure:small: --${flag} must be a whole number ${range}, got '${bad}'`);
      assert.equal(existsSync(join(ws, 'datasets')), false, 'nothing collected');
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }
});
