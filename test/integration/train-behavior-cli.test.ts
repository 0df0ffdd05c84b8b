import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const oneiro = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ONEIRO_TEST: '1' } });

test(
  'oneiro train --model rssm --behavior actor-critic --env cartpole-swingup --online trains the actor online',
  { timeout: 600_000 },
  () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-cli-behavior-'));
    try {
      const r = oneiro([
        'train',
        '--model',
        'rssm',
        '--behavior',
        'actor-critic',
        '--env',
        'cartpole-swingup',
        '--online',
        '--preset',
        'debug',
        '--steps',
        '3',
        '--workspace',
        ws,
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      assert.equal(out.state, 'completed');
      const metrics = readFileSync(join(ws, 'runs', out.run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(
        metrics.some((m) => Number.isFinite(m['model/actor_loss'])),
        'actor-critic losses logged',
      );
      assert.ok(Number.isFinite(out.last['model/eval_return']), 'the actor was scored in the env at the end');
      const config = JSON.parse(readFileSync(join(ws, 'runs', out.run, 'config.json'), 'utf8'));
      assert.equal(config.model.behavior, 'actor-critic');
      assert.ok(readdirSync(join(ws, 'runs', out.run, 'episodes')).length >= 3, 'prefill episodes stored with the run');
      const bad = oneiro([
        'train',
        '--model',
        'rssm',
        '--behavior',
        'ppo',
        '--env',
        'cartpole-swingup',
        '--online',
        '--workspace',
        ws,
      ]);
      assert.equal(bad.status, 2, 'a usage error');
      assert.match(
        bad.stderr.trim(),
        /^oneiro train: --behavior 'ppo' is not known: expected one of cem, actor-critic, plan2explore, lexa$/,
      );
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
