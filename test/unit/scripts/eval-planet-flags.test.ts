import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// eval:planet read its numbers with Number() unchecked: '--steps x' trained NaN steps, '--size 48' failed deep in
// the encoder. Each bad value is now one line naming the flag, exit code 2, before any backend loads.
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/eval-planet.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_WASM_THREADS: '1' },
  });

test('eval:planet refuses a bad --steps, --episodes, --seed or --size in one line with exit code 2', () => {
  for (const [flag, value, expected] of [
    ['--steps', 'x', /^eval:planet: --steps must be a number >= 1, got 'x'$/],
    ['--episodes', '0', /^eval:planet: --episodes must be a number >= 1, got '0'$/],
    ['--seed', '-1', /^eval:planet: --seed must be a number >= 0, got '-1'$/],
    ['--size', '48', /^eval:planet: --size must be 32 or 64, got '48'$/],
    ['--size', '128', /^eval:planet: --size must be a number in \[32, 64\], got '128'$/],
  ] as const) {
    const r = run(`${flag}=${value}`);
    assert.equal(r.status, 2, `${flag} ${value}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], expected);
  }
});
