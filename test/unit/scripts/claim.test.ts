import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { checkBeats, summarize } from '../../../scripts/claim.ts';

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
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], re);
  }
});
