import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { oneiroInProcess } from './cli-in-process.ts';

// `oneiro eval --json` on a tiny debug run: the documented shape (README "Evaluation") of every metric.
const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const cli = (ws: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8' });

test('oneiro eval --json: metrics with baselines maps, foreground and state-probe measures, notes', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-evaljson-'));
  try {
    let r = cli(ws, 'collect', '--env', 'cartpole-swingup', '--episodes', '4', '--dataset', 'cp', '--size', '32');
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    r = cli(ws, 'train', '--model', 'rssm', '--dataset', 'cp', '--preset', 'debug', '--steps', '2', '--json');
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const run = JSON.parse(r.stdout.trim().split('\n').pop()!).run;
    const ev = cli(ws, 'eval', run, '--json');
    assert.equal(ev.status, 0, ev.stderr.slice(-2000));
    const report = JSON.parse(ev.stdout.trim().split('\n').pop()!);
    assert.deepEqual(Object.keys(report).sort(), [
      'checkpoint_step',
      'episodes',
      'foreground_fraction',
      'metrics',
      'notes',
      'openloop_context',
      'probe_calibration',
      'run',
    ]);
    assert.equal(report.openloop_context, 'episode', 'dreams filtered from the episode’s first frame by default');
    assert.ok(report.foreground_fraction > 0 && report.foreground_fraction < 0.5);
    for (const [name, m] of Object.entries(report.metrics) as [string, Record<string, unknown>][]) {
      assert.equal(typeof m.model, 'number', `${name}.model`);
      assert.equal(typeof m.baseline, 'number', `${name}.baseline`);
      assert.equal(typeof m.baseline_name, 'string', `${name}.baseline_name`);
    }
    const fg = report.metrics['openloop_fg_mse@10'];
    assert.deepEqual(Object.keys(fg.baselines).sort(), ['copy-last-frame', 'mean-frame']);
    assert.equal(fg.baseline, Math.min(fg.baselines['copy-last-frame'], fg.baselines['mean-frame']));
    assert.equal(fg.baselines[fg.baseline_name], fg.baseline);
    const probe = report.metrics['probe_r2/cart position@10'];
    assert.equal(probe.baseline_name, 'random-init model');
    assert.equal(probe.lower_is_better, false);
    assert.ok(report.metrics['probe_r2/sin pole angle@0']);
    // The MLP probe reads every variable the ridge reads at @0, against the same random-init twin; not the dream (@10).
    assert.deepEqual(
      Object.keys(report.metrics).filter((n) => n.startsWith('probe_mlp_r2') && !n.endsWith('@0')),
      [],
    );
    for (const k of Object.keys(report.metrics).filter((n) => /^probe_r2(\/|@)/.test(n) && n.endsWith('@0'))) {
      const mlp = report.metrics[k.replace('probe_r2', 'probe_mlp_r2')];
      assert.ok(mlp, `probe_mlp_r2 beside ${k}`);
      assert.equal(mlp.baseline_name, 'random-init model');
      assert.equal(mlp.lower_is_better, false);
    }
    // The probe's read by true value: per probe variable, bins over every held-out frame, in order.
    const probed = Object.keys(report.metrics)
      .filter((k) => /^probe_r2\/.*@0$/.test(k))
      .map((k) => k.slice('probe_r2/'.length, -'@0'.length));
    assert.deepEqual(Object.keys(report.probe_calibration).sort(), probed.sort());
    for (const [name, bins] of Object.entries(report.probe_calibration) as [string, Record<string, number>[]][]) {
      assert.deepEqual(Object.keys(bins[0]).sort(), ['error_share', 'hi', 'lo', 'n', 'read', 'truth'], name);
      assert.ok(
        bins.every((b, i) => i === 0 || b.truth > bins[i - 1].truth),
        `${name}: ordered`,
      );
    }
    assert.ok(report.metrics.openloop_reward_mse.baselines['shuffled actions'] >= 0);
    assert.ok(report.notes.some((n: string) => /foreground/.test(n)));
    // Pixel errors carry their ratio to the mean frame's interval over held-out episodes: one held out here (4
    // episodes, 10 %), so its ends are not measurable — null, never a made-up number. One every run: `oneiro
    // collect` names episodes from (seed, index); with clock-and-uuid names 1 run in 19 held out two and failed.
    assert.equal(report.episodes, 1);
    assert.equal(fg.ratio_baseline, 'mean-frame');
    assert.deepEqual(fg.ratio_ci95, [null, null]);
    // On all four episodes of the dataset (--dataset): lo ≤ model / mean-frame ≤ hi, for every pixel error.
    const all = cli(ws, 'eval', run, '--dataset', 'cp', '--json');
    assert.equal(all.status, 0, all.stderr.slice(-2000));
    const four = JSON.parse(all.stdout.trim().split('\n').pop()!);
    assert.equal(four.episodes, 4);
    for (const name of ['openloop_fg_mse@10', 'openloop_mse@10', 'recon_fg_mse']) {
      const m = four.metrics[name];
      const ratio = m.model / m.baselines[m.ratio_baseline];
      const [lo, hi] = m.ratio_ci95;
      assert.ok(lo <= ratio + 1e-12 && ratio <= hi + 1e-12 && lo < hi, `${name}: ${ratio} in [${lo}, ${hi}]`);
    }
    // The human-readable form prints every baseline and the notes.
    const txt = cli(ws, 'eval', run);
    assert.equal(txt.status, 0, txt.stderr.slice(-2000));
    assert.match(txt.stdout, /openloop_fg_mse@10 .*mean-frame/);
    assert.match(
      txt.stdout,
      /openloop_fg_mse@10 .* \/ mean-frame \S+ \[n\/a, n\/a\]/,
      'the ratio; no interval from one episode',
    );
    assert.match(txt.stdout, /note: state probe/);
    assert.match(txt.stdout, /probe_mlp_r2\/cart position@0 .*random-init model/);
    assert.match(txt.stdout, /probe read by true value[^\n]*\n +cart position +\S+→\S+ \(\d+ %\)/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('oneiro eval --samples K: the RSSM dream’s predictive mean, apart from its mode, the same on a second run, tensors freed; a bad K is one line', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-predmean-'));
  try {
    let r = await oneiroInProcess(ws, 'collect', '--env', 'cartpole-swingup', '--episodes', '4', '--dataset', 'cp');
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    r = await oneiroInProcess(ws, 'train', '--model', 'rssm', '--dataset', 'cp', '--preset', 'debug', '--steps', '2');
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const run = readdirSync(join(ws, 'runs'))[0];
    const evalJson = async () => {
      const e = await oneiroInProcess(ws, 'eval', run, '--json', '--samples', '3', '--dataset', 'cp');
      assert.equal(e.code, 0, e.stderr.slice(-2000));
      return JSON.parse(e.stdout.trim().split('\n').pop()!);
    };
    const a = await evalJson();
    const tensors = tf.memory().numTensors;
    for (const h of [1, 5, 10])
      for (const k of ['mse', 'fg_mse']) {
        const mode = a.metrics[`openloop_${k}@${h}`];
        const mean = a.metrics[`openloop_predmean_${k}@${h}`];
        // Its samples are not its mode: the mean of three differs from the mode dream, on the same baselines.
        assert.notEqual(mean.model, mode.model, `${k}@${h}`);
        assert.deepEqual(mean.baselines, mode.baselines, `${k}@${h}`);
        assert.equal(mean.ratio_baseline, 'mean-frame');
      }
    assert.ok(a.notes.some((n: string) => n.startsWith('openloop_predmean_*: the pixel-wise mean of 3 dreams')));
    assert.deepEqual((await evalJson()).metrics, a.metrics, 'seeded: the same samples on a second eval');
    assert.equal(tf.memory().numTensors, tensors, 'the sampled open loops free their tensors');
    const bad = await oneiroInProcess(ws, 'eval', run, '--samples', '0');
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr.trim(),
      "oneiro eval: --samples must be a whole number of sampled dreams from 1 to 256, got '0'",
    );
    const goals = await oneiroInProcess(ws, 'eval', run, '--goals', '--samples', '2');
    assert.equal(goals.code, 2);
    assert.match(goals.stderr.trim(), /^oneiro eval: --goals scores the agent in its env: it takes no --samples/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
