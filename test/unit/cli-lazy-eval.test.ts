/**
 * `oneiro eval` imports the evaluation modules only once its flags are good: a refused command line (tests spawn
 * many) then costs the CLI's floor, ≈ 1.2 CPU s, not ≈ 2.4 (session 19, measured side by side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/oneiro.mjs', import.meta.url));

test('a refused `oneiro eval` command line loads no model, agent or evaluation module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-lazy-'));
  try {
    // A module-load hook that lists every module the process loads, one line each, on stderr.
    writeFileSync(
      join(dir, 'hooks.mjs'),
      'export async function load(url, ctx, next) { process.stderr.write(`loaded ${url}\\n`); return next(url, ctx); }\n',
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${join(dir, 'hooks.mjs')}`).href)});\n`,
    );
    const r = spawnSync(
      process.execPath,
      ['--import', join(dir, 'register.mjs'), bin, 'eval', 'some-run', '--checkpoint=-1', '--workspace', dir],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /oneiro eval: --checkpoint/);
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('loaded '));
    assert.ok(
      loaded.some((l) => l.endsWith('/core/cli/commands/eval.ts')),
      'the hook sees the CLI modules load',
    );
    const heavy = loaded.filter((l) =>
      /\/core\/(runs\/(evaluate|load-agent|goal-eval)|models|agents)\/|@tensorflow/.test(l),
    );
    assert.deepEqual(heavy, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
