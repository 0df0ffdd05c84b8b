import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { intFlag, noPositionals, numberFlag, onePositional } from '../../core/cli/args.ts';

// The shared flag and positional checks of the CLI commands: their messages are what a user sees.

test('intFlag: fallback when absent, the integer when in range, else a message with its bounds', () => {
  assert.equal(intFlag('n', undefined, 7, 1, 9), 7);
  assert.equal(intFlag('n', '3', 7, 1, 9), 3);
  assert.throws(() => intFlag('n', '2.5', 7, 1, 9), { message: "--n must be an integer >= 1 and <= 9, got '2.5'" });
  assert.throws(() => intFlag('n', '10', 7, 1, 9), { message: "--n must be an integer >= 1 and <= 9, got '10'" });
  assert.throws(() => intFlag('n', '0', 7, 1), { message: "--n must be an integer >= 1, got '0'" });
  assert.throws(() => intFlag('n', 'x', 7), { message: "--n must be an integer, got 'x'" });
});

test('numberFlag: fallback when absent, the number when finite and in range, else a message with its interval', () => {
  assert.equal(numberFlag('t', undefined, 0.5, 0, 10), 0.5);
  assert.equal(numberFlag('t', '2.5', 0, 0, 10), 2.5);
  assert.throws(() => numberFlag('t', '11', 0, 0, 10), { message: "--t must be a number in [0, 10], got '11'" });
  assert.throws(() => numberFlag('t', 'Infinity', 0), {
    message: "--t must be a number in [-Infinity, Infinity], got 'Infinity'",
  });
});

test('onePositional returns the one argument; none or two name the command and its help', () => {
  assert.equal(onePositional('dream', ['run-1'], 'RUN id'), 'run-1');
  assert.throws(() => onePositional('dream', [], 'RUN id'), {
    message: "dream: expected one RUN id, got none (see 'oneiro dream --help')",
  });
  assert.throws(() => onePositional('render', ['a', 'b'], 'DATASET name'), {
    message: "render: expected one DATASET name, got a b (see 'oneiro render --help')",
  });
});

test('noPositionals accepts none and names any that came', () => {
  noPositionals('serve', []);
  assert.throws(() => noPositionals('serve', ['x', 'y']), {
    message: "serve takes no positional arguments, got 'x y' (see 'oneiro serve --help')",
  });
});

test('oneiro runs and oneiro worker refuse positional arguments through noPositionals, pointing to their help', () => {
  for (const [cmd, args] of [
    ['runs', ['x']],
    ['worker', ['x', 'y']],
  ] as const) {
    const r = spawnSync(process.execPath, ['bin/oneiro.mjs', cmd, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr.trim(),
      `oneiro ${cmd}: ${cmd} takes no positional arguments, got '${args.join(' ')}' (see 'oneiro ${cmd} --help')`,
    );
  }
});
