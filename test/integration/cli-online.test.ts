import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `oneiro train --model rssm --env NAME --online`: PlaNet's loop from the CLI, then eval and dream of the online run.
const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const cli = (ws: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8' });

test('an online rssm run collects its own episodes, checkpoints, and can be evaluated and dreamed', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-online-'));
  try {
    const r = cli(
      ws,
      'train',
      '--model',
      'rssm',
      '--env',
      'cartpole-swingup',
      '--online',
      '--preset',
      'debug',
      '--steps',
      '12',
      // Episodes are held out by a hash of their id (never "the last N"); at the default fraction 0.1 the
      // first held-out online id is number 24, so the runner adds one dedicated held-out episode to score.
      '--set',
      'online.episodeSteps=30',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.state, 'completed');
    assert.equal(out.step, 12);
    const runDir = join(ws, 'runs', out.run);
    const eps = readdirSync(join(runDir, 'episodes')).filter((f) => f.endsWith('.npz'));
    assert.ok(eps.length >= 1, 'the online run stores the episodes it collected');
    assert.deepEqual(
      eps.filter((f) => f.endsWith('-heldout.npz')),
      ['00003-heldout.npz'],
      'after 3 debug seed episodes, one dedicated held-out episode',
    );

    const ev = cli(ws, 'eval', out.run, '--json');
    assert.equal(ev.status, 0, ev.stderr.slice(-2000));
    const report = JSON.parse(ev.stdout.trim().split('\n').pop()!);
    assert.equal(report.episodes, 1, 'eval scores the one held-out episode');
    const metrics = report.metrics;
    for (const h of [1, 5, 10]) {
      const m = metrics[`openloop_mse@${h}`];
      assert.ok(Number.isFinite(m.model));
      assert.ok(Number.isFinite(m.baselines['copy-last-frame']) && Number.isFinite(m.baselines['mean-frame']));
    }
    const png = join(ws, 'd.png');
    const dr = cli(ws, 'dream', out.run, '--episode', '0', '--start', '2', '--horizon', '6', '--out', png);
    assert.equal(dr.status, 0, dr.stderr.slice(-2000));
    assert.ok(existsSync(png));
    // The strip of the mean of 3 sampled dreams (τ 1 by default) says so, and is another dream than the point one.
    const where = [out.run, '--episode', '0', '--start', '2', '--horizon', '6', '--json'];
    const point = JSON.parse(cli(ws, 'dream', ...where, '--out', join(ws, 'p.png')).stdout);
    const mean = cli(ws, 'dream', ...where, '--samples', '3', '--out', join(ws, 'm.png'));
    assert.equal(mean.status, 0, mean.stderr.slice(-2000));
    const m = JSON.parse(mean.stdout);
    assert.deepEqual([m.samples, m.temperature, point.samples, point.temperature], [3, 1, null, 0]);
    // The flag reaches the dream: the mean of 3 is not the mean of 1 (one sample), nor the point prediction.
    const one = JSON.parse(cli(ws, 'dream', ...where, '--samples', '1', '--out', join(ws, 'o.png')).stdout);
    assert.notDeepEqual(m.mse, one.mse);
    assert.notDeepEqual(one.mse, point.mse);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('online flags are checked: --env needs --online, not with --dataset, and only for families that plan', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-online-'));
  try {
    let r = cli(ws, 'train', '--model', 'rssm', '--env', 'cartpole-swingup');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--env NAME and --online/);
    r = cli(ws, 'train', '--model', 'rssm', '--env', 'cartpole-swingup', '--online', '--dataset', 'x');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /either --dataset/);
    r = cli(ws, 'train', '--model', 'world-models', '--env', 'car-racing', '--online');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not supported by this family/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
