import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { bootstrapInterval } from '../../../core/util/bootstrap.ts';
import {
  budgetFlags,
  budgetOptions,
  checkBeats,
  formatPaired,
  pairedDifference,
  summarize,
} from '../../../scripts/claim.ts';

// The eval scripts (eval:planet, eval:world-models) gate on this: a failed claim must end in a non-zero exit.
test('an eval claim that fails sets a non-zero exit code; one that holds leaves it alone', () => {
  const saved = process.exitCode;
  try {
    process.exitCode = undefined;
    const low = summarize('agent', [1, 2, 3]);
    const high = summarize('random', [2, 3, 4]);
    assert.deepEqual([low.mean, low.std], [2, 1]);
    assert.equal(checkBeats('agent beats random', high, low, false), true);
    assert.equal(process.exitCode, undefined);
    assert.equal(checkBeats('agent beats random', low, high, false), false);
    assert.equal(process.exitCode, 1);
    // A tie is not a win.
    process.exitCode = undefined;
    assert.equal(checkBeats('agent beats random', low, summarize('random', [3, 2, 1]), false), false);
    assert.equal(process.exitCode, 1);
  } finally {
    process.exitCode = saved;
  }
});

test('with paired returns the claim also needs the paired interval above 0: a mean win that may be the tracks fails', () => {
  const saved = process.exitCode;
  try {
    process.exitCode = undefined;
    // Higher in mean (+0.5), but the per-track differences flip sign: the interval reaches below 0.
    const random = [-20, -30, -10, -25, -15, -35];
    const agent = [-17, -33, -7, -28, -12, -35];
    const p = pairedDifference(agent, random);
    assert.ok(p.mean > 0 && p.ci95[0] < 0, String(p.ci95));
    assert.equal(checkBeats('agent beats random', summarize('agent', agent), summarize('random', random), false), true);
    assert.equal(process.exitCode, undefined, 'without the pairs, the mean decides');
    assert.equal(
      checkBeats('agent beats random', summarize('agent', agent), summarize('random', random), false, p),
      false,
    );
    assert.equal(process.exitCode, 1);
    // A steady +2 on every track: the interval is above 0 and the claim holds.
    process.exitCode = undefined;
    const steady = random.map((r) => r + 2);
    const q = pairedDifference(steady, random);
    assert.equal(
      checkBeats('agent beats random', summarize('agent', steady), summarize('random', random), false, q),
      true,
    );
    assert.equal(process.exitCode, undefined);
  } finally {
    process.exitCode = saved;
  }
});

test('eval scripts refuse a bad flag in one line with exit code 2 (no stack): unknown, missing value, out of range', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8', timeout: 60_000 });
  for (const [args, re] of [
    [['scripts/eval-cswm.ts', '--bogus'], /^eval:cswm: Unknown option '--bogus'/],
    [
      ['scripts/eval-representations.ts', '--steps', '-5'],
      /^eval:representations: Option '--steps' argument is ambiguous/,
    ],
    [['scripts/eval-lexa.ts', '--steps', 'x'], /^eval:lexa: --steps must be a number >= 1, got 'x'$/],
    [['scripts/eval-lexa.ts', '--episodes', '0'], /^eval:lexa: --episodes must be a number >= 1, got '0'$/],
    [['scripts/eval-dreamer.ts', '--minutes', '0'], /^eval:dreamer: --minutes must be a number >= 0.1, got '0'$/],
    [['scripts/eval-dreamer.ts', '--seed=-1'], /^eval:dreamer: --seed must be a number >= 0, got '-1'$/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], re);
  }
});

test('pairedDifference: the mean of per-episode differences, its bootstrap interval, and the better/worse/equal count', () => {
  // Track difficulty dominates both policies' returns; the difference is a steady +2 on every track but one.
  const random = [-40, -10, -25, 5, -30, -15, -20, -35, 0, -45];
  const agent = random.map((r, i) => r + (i === 3 ? 0 : 2));
  const p = pairedDifference(agent, random);
  assert.equal(p.episodes, 10);
  assert.ok(Math.abs(p.mean - 1.8) < 1e-12);
  assert.deepEqual([p.better, p.worse, p.equal], [9, 0, 1]);
  // Resampling ten differences of 2 and 0 gives means on a 0.2 grid from 0 to 2; unpaired, the spread of the
  // returns (±15) would swamp a 1.8 difference, paired it is sure.
  assert.ok(p.ci95[0] > 0 && p.ci95[0] <= p.mean && p.mean <= p.ci95[1] && p.ci95[1] <= 2, String(p.ci95));
  assert.deepEqual(pairedDifference(agent, random), p, 'a fixed resampling seed: the same interval every run');
  // A difference that flips sign track by track is not significant: the interval straddles 0.
  const mixed = pairedDifference([1, -1, 2, -2, 3, -3], [0, 0, 0, 0, 0, 0]);
  assert.equal(mixed.mean, 0);
  assert.ok(mixed.ci95[0] < 0 && mixed.ci95[1] > 0, String(mixed.ci95));
  assert.match(
    formatPaired(mixed, 'a', 'b'),
    /= \+0\.0 \[−\d\.\d, \+\d\.\d\] \(95 %, includes 0: not significant\); better on 3, worse on 3, equal on 0$/,
  );
  assert.throws(() => pairedDifference([1, 2], [1]), /not one pair per episode/);
  // Session 15's seed-0 track 3: both policies reach no tile; their float sums differ in the 13th digit.
  const tie = pairedDifference([-22.807017543860336, -1], [-22.80701754385954, -2]);
  assert.deepEqual([tie.better, tie.worse, tie.equal], [1, 0, 1]);
});

test('pairedDifference: the same interval, bit for bit, as the mean of a copy of each resample (no copy made)', () => {
  // Returns whose float sums round differently in another order or by another division: summed from 0 in the
  // resample's order and divided by its length, as reducing a copy of the resample did (before session 20).
  const a = Array.from({ length: 33 }, (_, i) => Math.PI * 1e4 * Math.sin(i * 1.7) + 0.1 * i);
  const b = Array.from({ length: 33 }, (_, i) => Math.E * 1e3 * Math.cos(i * 0.9));
  const d = a.map((x, i) => x - b[i]!);
  const copyMean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const [copied] = bootstrapInterval(33, 1, (idx) => [copyMean(Array.from(idx, (i) => d[i]!))], 20261202, 2000, 1);
  const p = pairedDifference(a, b);
  assert.deepEqual(p.ci95, copied);
  assert.equal(p.mean, copyMean(d));
});

test("budgetOptions declares the online eval scripts' flags with the script's defaults; budgetFlags reads their numbers", () => {
  const options = budgetOptions({ env: 'point-goals', steps: '2000', minutes: '35' });
  const { values } = parseArgs({ args: ['--seed', '3'], options });
  assert.deepEqual(
    { ...values },
    {
      env: 'point-goals',
      steps: '2000',
      minutes: '35',
      episodes: '5',
      seed: '3',
      json: false,
    },
  );
  assert.deepEqual(budgetFlags('eval:test', values), { steps: 2000, minutes: 35, episodes: 5, seed: 3 });
});
