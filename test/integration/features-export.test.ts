import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { oneiroInProcess, tinyRssmRun } from './cli-in-process.ts';
import { readNpz } from '../../core/data/npz.ts';
import { openRunModel } from '../../core/runs/load.ts';
import { runEpisodes } from '../../core/runs/feature-bank.ts';
import { episodeState } from '../../core/runs/probe-targets.ts';
import { getEnvSpec } from '../../core/envs/registry.ts';
import { DreamService } from '../../core/runs/dreams.ts';
import { featuresDownload } from '../../core/runs/feature-export.ts';
import { isUserError } from '../../core/util/errors.ts';
import { DreamWorkerClient } from '../../core/service/dream-worker.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { decodeNpz } from '../../core/data/npz.ts';
import { validateReply, validateRequest } from '../../core/contract/validate.ts';
import type { ChannelName } from '../../core/contract/names.ts';
import type { ParsedRequestOf } from '../../core/contract/channels.ts';

// `oneiro features`: a run's filtered features and true states in one .npz, row for row what the state probe reads.
let ws = '';
let run = '';
before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'oneiro-features-'));
  run = await tinyRssmRun(ws, { episodes: 6, steps: 2 });
});
after(() => rmSync(ws, { recursive: true, force: true }));

test('oneiro features: every step of every episode, the features the model filters and the states the env recorded', async () => {
  const out = join(ws, 'all.npz');
  const tensors = tf.memory().numTensors;
  const r = await oneiroInProcess(ws, 'features', run, '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const z = readNpz(out);
  const meta = JSON.parse(new TextDecoder().decode(z.meta_json.data as Uint8Array));
  assert.deepEqual(meta.state_names, getEnvSpec('cartpole-swingup').stateNames);
  assert.equal(meta.run, run);

  const opened = await openRunModel(join(ws, 'runs', run), { episodes: false });
  try {
    const sides = [
      { held: false, eps: runEpisodes(opened.config, opened.dir, 32).train },
      { held: true, eps: runEpisodes(opened.config, opened.dir, 32).heldOut },
    ];
    assert.ok(sides[0].eps.length > 0 && sides[1].eps.length > 0, 'both sides of the split hold episodes');
    const [n, dim] = z.features.shape;
    assert.equal(info.rows, n);
    assert.equal(z.state.shape[1], 5);
    let row = 0;
    for (const side of sides)
      for (const e of side.eps) {
        const ep = e.read();
        const f = opened.model.filterFeatures(ep);
        const s = episodeState(ep)!;
        assert.equal(f.dim, dim);
        for (let t = 0; t < ep.imageShape[0]; t++, row++) {
          assert.equal(z.episode.data[row], e.index);
          assert.equal(z.step.data[row], t);
          assert.equal(z.held_out.data[row], side.held ? 1 : 0, `row ${row} on its side of the split`);
          assert.deepEqual(
            Array.from((z.features.data as Float32Array).subarray(row * dim, (row + 1) * dim)),
            Array.from(f.data.subarray(t * dim, (t + 1) * dim)),
            `features of episode ${e.index} step ${t}`,
          );
          assert.deepEqual(
            Array.from((z.state.data as Float32Array).subarray(row * 5, (row + 1) * 5)),
            Array.from(s.data.subarray(t * 5, (t + 1) * 5)),
          );
        }
      }
    assert.equal(row, n, 'no row beyond the episodes');
    assert.equal(
      info.held_out_rows,
      (z.held_out.data as Uint8Array).reduce((a, b) => a + b, 0),
    );
  } finally {
    opened.model.dispose();
  }
  assert.equal(tf.memory().numTensors, tensors, 'the command frees every tensor it made');

  const havePython = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  if (havePython) {
    // numpy reads it as the help says.
    const py = `import json, sys, numpy as np
z = np.load(sys.argv[1]); meta = json.loads(z['meta_json'].tobytes())
print(z['features'].shape[0], z['state'].shape[1], int(z['held_out'].sum()), z['held_out'].dtype, meta['state_names'][0])`;
    const p = spawnSync('python3', ['-c', py, out], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout.trim(), `${info.rows} 5 ${info.held_out_rows} bool cart position`);
  }
});

test('oneiro features --split held-out --stride 3: every third step of the episodes eval scores, only those', async () => {
  const out = join(ws, 'held.npz');
  const r = await oneiroInProcess(ws, 'features', run, '--out', out, '--split', 'held-out', '--stride', '3', '--json');
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const z = readNpz(out);
  const opened = await openRunModel(join(ws, 'runs', run), { episodes: false });
  try {
    const held = runEpisodes(opened.config, opened.dir, 32).heldOut.map((e) => e.read());
    assert.equal(
      z.features.shape[0],
      held.map((ep) => Math.ceil(ep.imageShape[0] / 3)).reduce((a, b) => a + b),
    );
  } finally {
    opened.model.dispose();
  }
  assert.ok(Array.from(z.held_out.data as Uint8Array).every((h) => h === 1));
  assert.ok(Array.from(z.step.data as Int32Array).every((s) => s % 3 === 0));
});

test('oneiro features: a bad flag is one line naming it and what was expected, and writes nothing', async () => {
  const before = readdirSync(ws).sort();
  for (const [args, says] of [
    [['--out', join(ws, 'x.npz'), '--split', 'test'], /--split must be one of all, train, held-out, got 'test'/],
    [['--out', join(ws, 'x.txt')], /ending in \.npz/],
    [['--out', join(ws, 'x.npz'), '--stride', '0'], /--stride must be an integer >= 1/],
    [['--out', join(ws, 'no-such-folder', 'x.npz')], /does not exist/],
    [['--split', 'train'], /--out is required/],
  ] as [string[], RegExp][]) {
    const r = await oneiroInProcess(ws, 'features', run, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, says);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack');
  }
  const r = await oneiroInProcess(ws, 'features', 'no-such-run', '--out', join(ws, 'x.npz'));
  assert.equal(r.code, 2);
  assert.deepEqual(readdirSync(ws).sort(), before, 'nothing written');
  assert.equal(existsSync(join(ws, 'x.npz')), false);
});

function parse<C extends ChannelName>(channel: C, payload: unknown): ParsedRequestOf<C> {
  const r = validateRequest(channel, payload);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

test("exports:features (the Runs view's button): the CLI's file, as bytes and in the workspace's exports; a step the run lacks, or a file past the budget, refused in one line; no tensor left", async () => {
  const cli = join(ws, 'cli-held.npz');
  const r = await oneiroInProcess(ws, 'features', run, '--out', cli, '--split', 'held-out', '--stride', '2');
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const want = readNpz(cli);
  const dreams = new DreamService(ws);
  const tensors = tf.memory().numTensors;
  const reply = await dreams.exportFeatures(parse('exports:features', { runId: run, split: 'held-out', stride: 2 }));
  assert.equal(validateReply('exports:features', reply), null, 'the reply fits the contract');
  assert.equal(tf.memory().numTensors, tensors, 'the export frees every tensor it made');
  const got = decodeNpz(reply.bytes);
  for (const k of ['features', 'state', 'episode', 'step', 'held_out'])
    assert.deepEqual(
      Array.from(got[k].data as ArrayLike<number>),
      Array.from(want[k].data as ArrayLike<number>),
      `${k} as the CLI writes it`,
    );
  assert.equal(reply.rows, want.features.shape[0]);
  assert.equal(reply.heldOutRows, reply.rows, 'held-out rows only');
  assert.equal(reply.checkpointStep, 2);
  assert.match(reply.fileName, new RegExp(`^features-${run}-step2-held-out-stride2-\\d{8}T\\d{6}\\.npz$`));
  assert.equal(reply.path, join(ws, 'exports', reply.fileName));
  assert.deepEqual(readNpz(reply.path).features.data, got.features.data, 'the workspace copy is the download');

  await assert.rejects(
    dreams.exportFeatures(parse('exports:features', { runId: run, checkpointStep: 999 })),
    (e: { code?: string; message: string; field?: string }) =>
      e.code === 'invalid_request' && e.field === 'payload.checkpointStep' && !e.message.includes('\n'),
  );
  await assert.rejects(
    dreams.exportFeatures(parse('exports:features', { runId: 'no-such-run' })),
    (e: { code?: string }) => e.code === 'not_found',
  );
  // Past the download's budget (256 MiB; here 4 KiB, the same code path): one line naming the way out, no file.
  const exportsBefore = readdirSync(join(ws, 'exports')).length;
  const opened = await openRunModel(join(ws, 'runs', run), { episodes: false });
  try {
    assert.throws(
      () => featuresDownload(ws, opened, parse('exports:features', { runId: run }), 4096),
      (e: Error) =>
        isUserError(e) &&
        /^the features of run \S+ pass 0\.00390625 MiB .*: pick a larger stride or one side of the split, or run `oneiro features \S+ --out FILE\.npz` \(up to 2 GiB\)$/.test(
          e.message,
        ),
    );
  } finally {
    opened.model.dispose();
  }
  assert.equal(readdirSync(join(ws, 'exports')).length, exportsBefore, 'nothing written');
  const bad = validateRequest('exports:features', { runId: run, stride: 0 });
  assert.ok(!bad.ok && bad.error.field === 'payload.stride', 'stride 0 refused before the service');
  dreams.close();
});

test(
  'exports:features through a real dream server (as the workbench runs it): the same rows arrive as bytes',
  { timeout: 180_000 },
  async () => {
    const req = parse('exports:features', { runId: run, split: 'train', stride: 4 });
    const inHost = await new DreamService(ws).exportFeatures(req);
    const dreams = new DreamWorkerClient(ws, forkLauncher());
    try {
      const viaServer = await dreams.exportFeatures(req);
      assert.ok(viaServer.bytes instanceof Uint8Array, 'bytes, not a JSON copy of them');
      assert.equal(viaServer.rows, inHost.rows);
      const [a, b] = [decodeNpz(viaServer.bytes), decodeNpz(inHost.bytes)];
      assert.deepEqual(Array.from(a.features.data as Float32Array), Array.from(b.features.data as Float32Array));
    } finally {
      await dreams.close();
    }
  },
);
