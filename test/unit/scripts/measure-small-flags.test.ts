import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (override: string) => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-measure-flags-'));
  try {
    return spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/measure-small.ts',
        'rssm',
        '--episodes',
        '1',
        '--workspace',
        ws,
        '--override',
        override,
      ],
      { encoding: 'utf8', env: { ...process.env, ONEIRO_WASM_THREADS: '1' } },
    );
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
};

test('measure:small refuses an out-of-range --override value in one line with exit code 2, naming the key', () => {
  const r = run('{"train":{"lr":-1}}');
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^measure:small: --override: .*train\.lr/);
});

test('measure:small refuses an --override that is not a JSON object in one line with exit code 2', () => {
  for (const bad of ['{"train":', '[1]']) {
    const r = run(bad);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^measure:small: --override must be a JSON object/);
  }
});

/** measure-small with one bad flag: refused with exit 2 in the one line `message`, before collecting any episode. */
function refusedBeforeCollecting(family: string, flag: string, bad: string, message: string): void {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-measure-flags-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/measure-small.ts', family, '--workspace', ws, flag, bad],
      { encoding: 'utf8', env: { ...process.env, ONEIRO_WASM_THREADS: '1' } },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), message);
    assert.equal(existsSync(join(ws, 'datasets')), false, 'nothing collected');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

test('measure:small refuses a bad --vae-steps / --rnn-steps in one line with exit 2, before collecting any episode', () => {
  for (const [flag, bad] of [
    ['--rnn-steps', 'abc'],
    ['--vae-steps', '0'],
  ])
    refusedBeforeCollecting(
      'world-models',
      flag,
      bad,
      `measure:small: ${flag} must be a positive whole number, got '${bad}'`,
    );
});

test('measure:small refuses a bad --samples in one line with exit 2, before collecting any episode', () => {
  for (const bad of ['0', '257'])
    refusedBeforeCollecting(
      'rssm',
      '--samples',
      bad,
      `measure:small: --samples must be a whole number from 1 to 256, got '${bad}'`,
    );
});
