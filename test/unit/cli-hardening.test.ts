import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRun } from '../../core/runs/trainer.ts';
import { runDirOf, writeStatus } from '../../core/runs/run-dir.ts';
import { writeEpisode } from '../../core/data/episode-file.ts';
import { validateRequest } from '../../core/contract/validate.ts';
import { COLLECT_BOUNDS } from '../../core/contract/schemas.ts';
import { codedEpisode } from './data/helpers.ts';

// CLI leftovers of the hardening issue, each reproduced small: a dead trainer shown as running, an unbounded
// --episodes, control characters in printed file names, and `dream --out` creating folders.

const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'oneiro-cli-hard-'));
const ws = join(root, 'ws');
after(() => rmSync(root, { recursive: true, force: true }));

function oneiro(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1' },
    // An unbounded collect would run for hours: fail instead.
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('oneiro runs shows a run whose trainer died as crashed (the process is checked, not only status.json)', async () => {
  await createRun({
    workspace: ws,
    family: 'world-models',
    preset: 'debug',
    dataset: null,
    backend: 'cpu',
    id: 'dead',
  });
  await createRun({
    workspace: ws,
    family: 'world-models',
    preset: 'debug',
    dataset: null,
    backend: 'cpu',
    id: 'live',
  });
  const running = { state: 'running' as const, phase: 'vae', step: 5, totalSteps: 10, backend: 'cpu' };
  writeStatus(runDirOf(ws, 'dead'), { ...running, pid: 2 ** 22 + 12345 }); // no such process
  writeStatus(runDirOf(ws, 'live'), { ...running, pid: process.pid }); // this test: alive, and not the CLI's own
  const r = oneiro('runs', '--json');
  assert.equal(r.code, 0, r.err);
  const states = Object.fromEntries((JSON.parse(r.out) as { id: string; state: string }[]).map((x) => [x.id, x.state]));
  assert.deepEqual(states, { dead: 'crashed', live: 'running' });
  assert.match(oneiro('runs').out, /^dead\s+world-models\s+debug\s+-\s+crashed/m);
});

test('collect --episodes is bounded on the CLI exactly as on the API', () => {
  const max = COLLECT_BOUNDS.episodes;
  const api = validateRequest('datasets:collect', { env: 'shapes-2d', dataset: 'big', episodes: max + 1 });
  assert.equal(api.ok, false);
  assert.equal(validateRequest('datasets:collect', { env: 'shapes-2d', dataset: 'big', episodes: max }).ok, true);
  const r = oneiro('collect', '--env', 'shapes-2d', '--episodes', String(max + 1), '--dataset', 'big');
  assert.equal(r.code, 2);
  assert.equal(r.err, `oneiro collect: --episodes must be an integer >= 1 and <= ${max}, got '${max + 1}'\n`);
  assert.equal(existsSync(join(ws, 'datasets', 'big')), false);
});

test('file names with control characters are printed escaped', () => {
  const src = join(root, 'src');
  mkdirSync(src);
  writeEpisode(join(src, 'a.npz'), codedEpisode(1, 3));
  writeFileSync(join(src, 'b\x1b[2J\nfake line.npz'), 'not a zip');
  const r = oneiro('dataset', 'import', src, '--name', 'esc');
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.err.includes('\x1b'), 'no raw escape reaches the terminal');
  assert.match(r.err, /^skipped b\\e\[2J\\nfake line\.npz: not a readable \.npz/m);
});

test('dream --samples: a whole number of dreams to average, at a temperature that samples; refused in one line', () => {
  const base = ['dream', 'whatever', '--episode', '0', '--start', '0', '--horizon', '3', '--out', join(root, 'd.png')];
  for (const [flags, why] of [
    [['--samples', '0'], /^oneiro dream: --samples must be an integer >= 1 and <= 64, got /],
    [['--samples', '65'], /^oneiro dream: --samples must be an integer >= 1 and <= 64, got /],
    [['--samples', '4', '--temperature', '0'], /^oneiro dream: --samples needs --temperature > 0: /],
  ] as const) {
    const r = oneiro(...base, ...flags);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.err}`);
    assert.match(r.err, why);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('dream --out into a missing folder is an error, not a mkdir -p', () => {
  const out = join(root, 'no', 'such', 'dir', 'dream.png');
  const r = oneiro('dream', 'whatever', '--episode', '0', '--start', '0', '--horizon', '3', '--out', out);
  assert.equal(r.code, 2);
  assert.match(r.err, /^oneiro dream: --out .*dream\.png: folder .*\/no\/such\/dir does not exist; create it first\n$/);
  assert.equal(existsSync(join(root, 'no')), false);
});
