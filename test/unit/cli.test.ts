import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;

test('oneiro with an unknown command names the command and lists the valid ones', () => {
  const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /doctor/);
});

test('oneiro --help lists the commands', () => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const c of ['doctor', 'collect', 'train', 'eval', 'dream', 'serve', 'bench'])
    assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});
