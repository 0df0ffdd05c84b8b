import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { collectWorkspace } from '../../integration/world-models-fixture.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { openRunModel, type OpenedRun } from '../../../core/runs/load.ts';
import { readProbeMeta, trainRunProbe } from '../../../core/runs/probe.ts';
import { DreamService } from '../../../core/runs/dreams.ts';
import { RunPixelViews } from '../../../core/runs/pixel-view.ts';
import { latentOpenLoop } from '../../../core/models/latent-openloop.ts';
import { FrameRetrieval } from '../../../core/models/frame-retrieval.ts';
import { readEpisode, openDataset } from '../../../core/data/dataset.ts';
import { splitEpisodes } from '../../../core/data/replay.ts';
import { evaluateRun } from '../../../core/runs/evaluate.ts';

// Models that decode no pixels, shown anyway (issue 15 item 2): the probe decoder (trained on stop-gradient
// features, never touching the model) and nearest-frame retrieval, through the generic latent open loop. The
// pixel-less model here is a real RSSM trained with image scale 0: its decoder never learned, so its LoadedModel
// reports pixels 'none' (core/models/rssm/family.ts) exactly as a contrastive or prototype RSSM will.

const { workspace, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 4, size: 32, maxSteps: 24 });
const tiny = { train: { steps: 3, batch: 2, length: 8 } };
let blind = '';
let sighted = '';

before(async () => {
  const a = await createRun({
    workspace,
    family: 'rssm',
    preset: 'debug',
    dataset,
    // With an actor, so the actor's own imagined rollout is shown through the probe too.
    overrides: { ...tiny, loss: { imageScale: 0 }, behavior: 'actor-critic', actorCritic: { horizon: 3 } },
    train: { checkpointEvery: 3 },
  });
  const b = await createRun({ workspace, family: 'rssm', preset: 'debug', dataset, overrides: tiny });
  assert.equal((await trainRun(a.dir)).state, 'completed');
  assert.equal((await trainRun(b.dir)).state, 'completed');
  blind = a.dir;
  sighted = b.dir;
});

after(() => rmSync(workspace, { recursive: true, force: true }));

const snapshot = () =>
  new Map(Object.values(tf.engine().state.registeredVariables).map((v) => [v.name, v.dataSync().slice()]));

test('an RSSM with image scale 0 declares pixels none and has no pixel methods; a reconstructing one has both', async () => {
  const a = await openRunModel(blind);
  const b = await openRunModel(sighted);
  try {
    assert.equal(a.model.pixels, 'none');
    assert.equal(a.model.openloop, undefined);
    assert.equal(a.model.dreamSession, undefined);
    assert.equal(a.model.latent!().decode, undefined, 'its latent view offers no decode either');
    assert.equal(b.model.pixels, 'decoder');
    assert.equal(typeof b.model.openloop, 'function');
    assert.equal(typeof b.model.dreamSession, 'function');
  } finally {
    a.model.dispose();
    b.model.dispose();
  }
});

test("probe training leaves every model weight bit-identical and the run's checkpoints untouched; no tensors leak", async () => {
  const opened = await openRunModel(blind);
  try {
    const ckDir = join(blind, 'checkpoints');
    const hashes = () =>
      readdirSync(ckDir)
        .sort()
        .map(
          (f) =>
            `${f}:${createHash('sha256')
              .update(readFileSync(join(ckDir, f)))
              .digest('hex')}`,
        );
    const filesBefore = hashes();
    const weights = snapshot();
    assert.ok(weights.size > 10, `the model's variables are registered (${weights.size})`);
    const n0 = tf.memory().numTensors;
    const losses: number[] = [];
    const meta = await trainRunProbe(opened, {
      preset: 'debug',
      overrides: { steps: 60 },
      onStep: (_s, l) => losses.push(l),
    });
    assert.equal(tf.memory().numTensors, n0, 'the probe, its optimiser and its batches are freed');
    const after = snapshot();
    for (const [name, data] of weights) {
      const now = after.get(name);
      assert.ok(now, `variable ${name} still exists`);
      assert.ok(Buffer.from(now.buffer).equals(Buffer.from(data.buffer)), `variable ${name} is bit-identical`);
    }
    assert.deepEqual(hashes(), filesBefore, 'checkpoint files unchanged');
    assert.equal(meta.checkpointStep, opened.checkpoint.globalStep);
    assert.equal(readProbeMeta(blind)?.frames, meta.frames);
    // It learned something: the error over its last tenth is well below its first step's.
    assert.ok(meta.loss < losses[0] * 0.7, `probe loss fell from ${losses[0]} to ${meta.loss}`);
  } finally {
    opened.model.dispose();
  }
});

test('the latent open loop with the decoder as renderer reproduces the family’s own open loop', async () => {
  const opened = await openRunModel(sighted);
  try {
    const ep = opened.data.heldOut[0];
    const o = { start: 6, horizon: 8, context: 3, temperature: 0, seed: 0, features: true };
    const own = await opened.model.openloop!(ep, o);
    const wm = opened.model.latent!();
    const n0 = tf.memory().numTensors;
    const viaLatent = latentOpenLoop(wm, ep, o, (f) => wm.decode!(f));
    assert.equal(tf.memory().numTensors, n0, 'latentOpenLoop frees its states and features');
    assert.deepEqual(viaLatent.contextIndices, own.contextIndices);
    assert.deepEqual(viaLatent.dreamIndices, own.dreamIndices);
    assert.deepEqual(viaLatent.truth, own.truth);
    let maxDiff = 0;
    for (let i = 0; i < own.dream.length; i++) maxDiff = Math.max(maxDiff, Math.abs(own.dream[i] - viaLatent.dream[i]));
    assert.ok(maxDiff <= 2, `dreams agree to rounding (max |Δ| = ${maxDiff})`);
    own.reward!.forEach((r, i) => assert.ok(Math.abs(r - viaLatent.reward![i]) < 1e-4, `reward ${i}`));
    const fa = own.features!.data;
    const fb = viaLatent.features!.data;
    assert.equal(fb.length, fa.length);
    let fd = 0;
    for (let i = 0; i < fa.length; i++) fd = Math.max(fd, Math.abs(fa[i] - fb[i]));
    assert.ok(fd < 1e-4, `the dream's features agree (max |Δ| = ${fd})`);
  } finally {
    opened.model.dispose();
  }
});

test('retrieval returns the nearest bank frame, never one of an excluded episode', () => {
  const feats = new Float32Array([0, 0, 1, 0, 0, 1, 5, 5]);
  const frames = Uint8Array.from({ length: 4 * 3 }, (_, i) => Math.floor(i / 3) * 10 + 1); // 1×1 frames
  const r = new FrameRetrieval(2, feats, frames, Int32Array.from([0, 0, 1, 2]), 1);
  const q = tf.tensor2d([0.9, 0.1, 0, 0.8, 4, 4.5], [3, 2]);
  const only = new FrameRetrieval(2, feats.slice(0, 4), frames.slice(0, 6), Int32Array.from([0, 0]), 1);
  const n0 = tf.memory().numTensors;
  assert.deepEqual(r.nearest(q), [1, 2, 3]);
  assert.deepEqual(r.nearest(q, 0), [2, 2, 3], 'episode 0 rows skipped');
  assert.deepEqual(Array.from(r.render(q)), [11, 11, 11, 21, 21, 21, 31, 31, 31]);
  assert.deepEqual(only.nearest(q, 0), [-1, -1, -1], 'nothing left to retrieve');
  assert.deepEqual(Array.from(only.render(q, 0)), new Array(9).fill(0));
  assert.equal(tf.memory().numTensors, n0);
  q.dispose();
  r.dispose();
  only.dispose();
});

test('the dream service shows a pixel-less run by retrieval, then through its probe, labelled; decoder refused', async () => {
  // A fresh probe state: the earlier test may have trained one.
  rmSync(join(blind, 'probe'), { recursive: true, force: true });
  const svc = new DreamService(workspace);
  const runId = blind.split('/').at(-1)!;
  const ds = openDataset(workspace, dataset);
  // A training episode: its own frames are in the retrieval bank, and must not be picked for its dream.
  const { train } = splitEpisodes(ds, 0.1);
  const episode = train[0];
  const req = { runId, episode, start: 5, horizon: 6, seed: 0 };
  try {
    const r1 = await svc.openloop(req);
    assert.equal(r1.pixels, 'retrieval');
    assert.match(r1.pixelsNote ?? '', /decodes no pixels and run \S+ has no probe decoder/);
    // Every retrieved dream frame is a real frame of another training episode (at the model's size: 32 px here).
    const S = r1.dream.shape[1];
    const px = S * S * 3;
    const others = train.filter((i) => i !== episode).map((i) => readEpisode(ds, i));
    const key = (a: Uint8Array) => Buffer.from(a).toString('base64');
    const pool = new Set(
      others.flatMap((e) =>
        Array.from({ length: e.imageShape[0] }, (_, t) => key(e.image.subarray(t * px, (t + 1) * px))),
      ),
    );
    for (let i = r1.context; i < r1.truth.shape[0]; i++)
      assert.ok(
        pool.has(key(r1.dream.data.subarray(i * px, (i + 1) * px))),
        `dream row ${i} is a frame of another episode`,
      );

    await assert.rejects(svc.openloop({ ...req, view: 'decoder' }), /decodes no pixels/);
    const info0 = await svc.probe({ runId, train: false });
    assert.equal(info0.modelPixels, 'none');
    assert.equal(info0.probe, null);
    const info = await svc.probe({ runId, train: true, steps: 20 });
    assert.equal(info.problem, null);
    assert.equal(info.probe?.steps, 20);

    const r2 = await svc.openloop(req);
    assert.equal(r2.pixels, 'probe');
    assert.equal(r2.pixelsNote, null);
    assert.ok(
      r2.mse.every((v) => Number.isFinite(v)),
      'pixel error against the truth per step',
    );
    // Repeated calls keep the tensor count flat (the probe is loaded once and cached with the model).
    const n0 = tf.memory().numTensors;
    await svc.openloop(req);
    await svc.openloop({ ...req, view: 'retrieval' });
    const n1 = tf.memory().numTensors;
    await svc.openloop(req);
    await svc.openloop({ ...req, view: 'retrieval' });
    assert.equal(tf.memory().numTensors, n1, 'open loops in both views leave no tensors');
    assert.ok(n1 >= n0);

    const im = await svc.imagine({ runId, episode, start: 5, horizon: 4, sample: false, seed: 0 });
    assert.equal(im.pixels, 'probe', "the actor's dream is drawn by the probe decoder, and says so");
    assert.equal(im.frames.data.length, 5 * px);
    const f = await svc.reset({ runId, episode, step: 4, seed: 0 });
    assert.equal(f.pixels, 'probe');
    const s1 = await svc.step({ sessionId: f.sessionId, action: [0.5] });
    assert.equal(s1.t, 1);
    assert.equal(s1.frame.data.length, px);
    const ex = await svc.exportStrip({
      source: { kind: 'openloop', ...req },
      format: 'png',
      fps: 10,
      scale: 1,
    });
    assert.match(ex.fileName, /-probe-/, 'the export says it was drawn by the probe decoder');
  } finally {
    svc.close();
  }
});

test('RunPixelViews: auto takes the decoder of a decoding model and the probe only when it matches the checkpoint', async () => {
  const a: OpenedRun = await openRunModel(sighted);
  const b: OpenedRun = await openRunModel(blind);
  const va = new RunPixelViews(a);
  const vb = new RunPixelViews(b);
  try {
    assert.equal(va.choose(), 'decoder');
    assert.equal(vb.choose(), 'probe', 'the previous test trained a probe on this checkpoint');
    // A probe of another checkpoint is stale: auto falls back to retrieval, and asking for it says why.
    const stale = new RunPixelViews({ ...b, checkpoint: { ...b.checkpoint, globalStep: b.checkpoint.globalStep + 1 } });
    assert.equal(stale.choose(), 'retrieval');
    assert.throws(() => stale.probe(), /trained on checkpoint step \d+, the run is at step \d+/);
  } finally {
    va.dispose();
    vb.dispose();
    a.model.dispose();
    b.model.dispose();
  }
});

test('oneiro eval of a pixel-less run says why it has no pixel measures and still probes its state', async () => {
  const r = await evaluateRun(blind);
  assert.ok(
    r.notes.some((n) => /decodes no pixels: no open-loop pixel measures/.test(n)),
    r.notes.join(' | '),
  );
  assert.equal(
    Object.keys(r.metrics).filter((k) => k.startsWith('openloop_mse')).length,
    0,
    'no pixel measures of frames the model never drew',
  );
  assert.ok(
    Object.keys(r.metrics).some((k) => /^probe_r2\/.*@\d+$/.test(k) && !k.endsWith('@0')),
    `the state probe reads the open-loop features through the latent view (${Object.keys(r.metrics).join(', ')})`,
  );
});

test('oneiro dream / oneiro probe on a pixel-less run: labelled views, one-line refusals', () => {
  const bin = new URL('../../../bin/oneiro.mjs', import.meta.url).pathname;
  const runId = blind.split('/').at(-1)!;
  const out = join(workspace, 'strip.png');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args, '--workspace', workspace], {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_TEST: '1' },
    });
  const dream = (...more: string[]) =>
    cli('dream', runId, '--episode', '0', '--start', '4', '--horizon', '5', '--out', out, ...more);
  const refused = dream('--view', 'decoder');
  assert.equal(refused.status, 2, 'a user error');
  assert.match(
    refused.stderr,
    /^oneiro dream: run \S+ \(rssm\) decodes no pixels: view it through its probe decoder or by retrieval\n$/,
  );
  const bad = dream('--view', 'pixels');
  assert.match(bad.stderr, /--view must be one of auto, decoder, probe, retrieval, got 'pixels'/);
  const p = cli('probe', runId, '--preset', 'debug', '--steps', '5', '--json');
  assert.equal(p.status, 0, p.stderr);
  const info = JSON.parse(p.stdout.trim());
  assert.equal(info.model_pixels, 'none');
  assert.equal(info.config.steps, 5);
  const viaProbe = dream('--json');
  assert.equal(viaProbe.status, 0, viaProbe.stderr);
  assert.equal(JSON.parse(viaProbe.stdout.trim()).pixels, 'probe');
  const viaRetrieval = dream('--view', 'retrieval');
  assert.equal(viaRetrieval.status, 0, viaRetrieval.stderr);
  assert.match(viaRetrieval.stdout, /frames from the retrieval \(nearest real frame\)/);
});

test('oneiro eval --context: the protocol reaches the report (openloop_context) and a bad value is one line, exit 2', () => {
  const bin = new URL('../../../bin/oneiro.mjs', import.meta.url).pathname;
  const runId = sighted.split('/').at(-1)!;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [bin, 'eval', runId, ...args, '--workspace', workspace], {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_TEST: '1' },
    });
  const three = cli('--context', '3', '--json');
  assert.equal(three.status, 0, three.stderr);
  const r = JSON.parse(three.stdout.trim());
  assert.equal(r.openloop_context, 3);
  assert.ok(
    r.notes.some((n: string) => /filtered from the 3 real frames/.test(n)),
    r.notes.join(' | '),
  );
  const dflt = cli();
  assert.equal(dflt.status, 0, dflt.stderr);
  assert.match(dflt.stdout, /open loop filtered from the episode's first frame/);
  const bad = cli('--context', 'all');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "oneiro eval: --context must be 'episode' or a whole number of frames from 1, got 'all'\n");
});
