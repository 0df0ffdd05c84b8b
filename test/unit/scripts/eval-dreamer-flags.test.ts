import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('eval:dreamer refuses an invalid --override value in one line with exit code 2, no stack trace', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/eval-dreamer.ts', '--override', '{"actorCritic":{"startAfter":-1}}'],
    { encoding: 'utf8', env: { ...process.env, ONEIRO_WASM_THREADS: '1' } },
  );
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^eval:dreamer: --override: .*actorCritic\.startAfter/);
});
