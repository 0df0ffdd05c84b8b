import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectWorkspace } from './world-models-fixture.ts';

// `oneiro train --set / --config` through the families' one config path; refusals leave no run
// folder and print one line (tests-and-configs issue item 2; hardening issue items 4 and 7).
const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const cli = (ws: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1', ONEIRO_BACKEND: 'wasm' },
  });
const runFolders = (ws: string) => (existsSync(join(ws, 'runs')) ? readdirSync(join(ws, 'runs')) : []);
const oneLine = (s: string) => s.trim().split('\n').filter(Boolean);

test('train --set and --config: overrides reach the run config; bad ones are refused with no run folder left', () => {
  const { workspace: ws, dataset } = collectWorkspace({ env: 'car-racing', episodes: 3, size: 32, maxSteps: 24 });
  try {
    const base = ['train', '--dataset', dataset, '--preset', 'debug', '--steps', '1'];
    // A misspelled field on every family, from --set and from a config file.
    for (const [model, key] of [
      ['rssm', 'loss.klBalnce'],
      ['world-models', 'rnn.hiden'],
    ]) {
      const r = cli(ws, ...base, '--model', model, '--set', `${key}=0.5`);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${key.replace('.', '\\.')}: unknown field`));
    }
    writeFileSync(join(ws, 'bad.yaml'), 'loss:\n  klBalnce: 0.5\n');
    let r = cli(ws, ...base, '--model', 'rssm', '--config', join(ws, 'bad.yaml'));
    assert.match(r.stderr, /loss\.klBalnce: unknown field/);
    writeFileSync(join(ws, 'hostile.json'), '{"__proto__": {"t": 1}}');
    r = cli(ws, ...base, '--model', 'rssm', '--config', join(ws, 'hostile.json'));
    assert.match(r.stderr, /__proto__/);
    // Upper bounds and the memory estimate, before any folder is made.
    r = cli(ws, ...base, '--model', 'rssm', '--set', 'rssm.deter=1e7');
    assert.match(r.stderr, /rssm\.deter: 10000000 is too large, expected at most 8192/);
    r = cli(ws, ...base, '--model', 'rssm', '--set', 'rssm.deter=8192', '--set', 'train.batch=4096');
    assert.equal(r.status, 2, r.stderr);
    assert.equal(oneLine(r.stderr).length, 1, r.stderr);
    assert.match(
      r.stderr,
      /needs about [\d.]+ GB to train on wasm .* the wasm32 heap is 4\.0 GB: use a smaller preset/,
    );
    // A dataset that does not exist.
    r = cli(ws, 'train', '--model', 'rssm', '--preset', 'debug', '--dataset', 'nope');
    assert.equal(r.status, 2, r.stderr);
    assert.deepEqual(runFolders(ws), [], 'no refused train leaves a run folder');

    // A good config file plus --set (which wins); the stored config holds both.
    writeFileSync(join(ws, 'good.yaml'), 'rssm:\n  deter: 24\ntrain.batch: 4\nheads: {units: 16}\n');
    r = cli(ws, ...base, '--model', 'rssm', '--config', join(ws, 'good.yaml'), '--set', 'rssm.deter=16');
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    // The progress line shows the phase's own headline metric (the rssm's model_loss).
    assert.match(r.stderr, /model: 1\/1 in [\d.]+ s model_loss -?[\d.]+/);
    const out = { run: runFolders(ws)[0] };
    const model = JSON.parse(readFileSync(join(ws, 'runs', out.run, 'config.json'), 'utf8')).model;
    assert.equal(model.rssm.deter, 16);
    assert.equal(model.train.batch, 4);
    assert.equal(model.heads.units, 16);
    assert.equal(model.train.steps, 1);
    // --set cannot be combined with --resume.
    r = cli(ws, 'train', '--resume', out.run, '--set', 'rssm.deter=8');
    assert.match(r.stderr, /--set cannot be combined with --resume/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('train --probe trains the probe decoder of a run that decodes no pixels once training completes', () => {
  const { workspace: ws, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 3, size: 32, maxSteps: 20 });
  try {
    const base = ['train', '--model', 'rssm', '--dataset', dataset, '--preset', 'debug', '--steps', '2'];
    const tiny = ['--set', 'train.batch=2', '--set', 'train.length=8', '--json'];
    let r = cli(ws, ...base, '--set', 'objective=contrastive', ...tiny, '--probe');
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const out = JSON.parse(oneLine(r.stdout).at(-1)!);
    assert.equal(out.probe.steps, 20, "the debug run's probe preset");
    const meta = JSON.parse(readFileSync(join(ws, 'runs', out.run, 'probe', 'probe.json'), 'utf8'));
    assert.deepEqual([meta.checkpointStep, meta.loss], [2, out.probe.loss]);
    // A reconstructing run has its own decoder: --probe trains nothing, and without --probe nothing either.
    r = cli(ws, ...base, ...tiny, '--probe');
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const rec = JSON.parse(oneLine(r.stdout).at(-1)!);
    assert.equal(rec.probe, undefined);
    assert.equal(existsSync(join(ws, 'runs', rec.run, 'probe')), false);
    r = cli(ws, ...base, '--set', 'objective=contrastive', ...tiny);
    const plain = JSON.parse(oneLine(r.stdout).at(-1)!);
    assert.equal(existsSync(join(ws, 'runs', plain.run, 'probe')), false, 'no probe without --probe');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a train that fails after its run folder was made (a one-episode dataset) removes the folder', () => {
  const { workspace: ws, dataset } = collectWorkspace({ env: 'car-racing', episodes: 1, size: 32, maxSteps: 12 });
  try {
    const r = cli(ws, 'train', '--model', 'rssm', '--preset', 'debug', '--dataset', dataset, '--steps', '1');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /has 1 episode\(s\): a run needs at least 2/);
    assert.deepEqual(runFolders(ws), []);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('train --help lists each family with its own presets and the override flags', () => {
  const r = cli('/nonexistent-ws', 'train', '--help');
  assert.equal(r.status, 0);
  assert.match(
    r.stdout,
    /rssm: planet \| dreamerv1 \| dreamerv2 \| small \| debug \| cvrl \| dreamerpro \| cvrl-debug \| dreamerpro-debug \| default/,
  );
  assert.match(r.stdout, /world-models: default \| small \| debug/);
  assert.match(r.stdout, /--set KEY=VALUE/);
  assert.match(r.stdout, /--config FILE/);
});
