import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { collectWorkspace } from '../../integration/world-models-fixture.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { readMetrics } from '../../../core/runs/metrics.ts';
import { EVENTS_PROTO, frameRecord, maskedCrc32c, readEventFile, readRecords } from '../../../core/runs/tfevents.ts';
import { checkpointDreamStrip, DREAM_TAG, pngSize } from '../../../core/runs/tensorboard.ts';
import { getFamily } from '../../../core/models/registry.ts';
import { loadCheckpoint } from '../../../core/runs/checkpoints.ts';
import { loadDataForRun } from '../../../core/runs/trainer.ts';
import { readRunConfig } from '../../../core/runs/run-dir.ts';

// TensorBoard event files of a run, read back by an independent reader: Debian's python3-protobuf
// with the protos compiled by protoc, and the reader's own CRC-32C (test/fixtures/tensorboard).
const READER = new URL('../../fixtures/tensorboard/read_events.py', import.meta.url).pathname;
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import google.protobuf'], { stdio: 'ignore' }).status === 0,
);

interface Row {
  step: number;
  what: string;
  file_version?: string;
  status?: number;
  scalars?: Record<string, number>;
  image?: { tag: string; width: number; height: number; colorspace: number; png: boolean; bytes: number };
}

function pyRead(files: string[]): { status: number | null; rows: Row[]; stderr: string } {
  assert.ok(PYTHON, 'no python3 with google.protobuf: apt-get install python3-protobuf (.ci/run does)');
  const r = spawnSync(PYTHON, [READER, EVENTS_PROTO, ...files], { encoding: 'utf8' });
  assert.notEqual(r.error?.message.includes('ENOENT'), true, 'protoc missing: apt-get install protobuf-compiler');
  const rows =
    r.status === 0
      ? r.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Row)
      : [];
  return { status: r.status, rows, stderr: r.stderr };
}

const eventFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => join(dir, f));

const small = {
  vae: { steps: 6, batch: 8 },
  rnn: { steps: 6, batch: 4, seqLen: 8, hidden: 16 },
  controller: { enabled: false },
};
const { workspace, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 3, size: 32, maxSteps: 30 });

test('masked CRC-32C: the standard check value and TensorBoard mask', () => {
  // crc32c("123456789") = 0xe3069283; Mask = ((c >> 15) | (c << 17)) + 0xa282ead8 (mod 2^32).
  const c = 0xe3069283;
  const want = ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
  assert.equal(maskedCrc32c(Buffer.from('123456789')), want);
  const rec = frameRecord(Buffer.from('hello'));
  assert.equal(rec.length, 8 + 4 + 5 + 4);
  assert.deepEqual(Buffer.from(readRecords(rec)[0]).toString(), 'hello');
});

test('a run writes scalars and checkpoint dream strips that python3-protobuf reads back', async () => {
  const r = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset,
    overrides: small,
    train: { logEvery: 2, checkpointEvery: 4 },
  });
  const checkpoints: number[] = [];
  const res = await trainRun(r.dir, { onCheckpoint: (c) => checkpoints.push(c.step) });
  assert.equal(res.state, 'completed');
  const files = eventFiles(r.dir);
  assert.equal(files.length, 1);
  const { status, rows, stderr } = pyRead(files);
  assert.equal(status, 0, stderr);
  assert.equal(rows[0].file_version, 'brain.Event:2');
  assert.deepEqual([rows[1].what, rows[1].step, rows[1].status], ['session_log', 0, 1]);
  // Every metrics.jsonl record is a scalar event at its step with its values (float32 in the proto).
  const metrics = readMetrics(r.dir);
  const scalarRows = rows.filter((x) => x.scalars);
  assert.equal(scalarRows.length, metrics.length);
  metrics.forEach((m, i) => {
    assert.equal(scalarRows[i].step, m.step);
    for (const [k, v] of Object.entries(m)) {
      if (k === 'step' || typeof v !== 'number') continue;
      assert.ok(Math.abs(scalarRows[i].scalars![k] - Math.fround(v)) <= Math.abs(v) * 1e-6, `${k} at ${m.step}`);
    }
  });
  // Dream strips: PNG images at checkpoint steps, once the model can dream (after the RNN phase starts).
  const images = rows.filter((x) => x.image);
  assert.ok(images.length >= 1, 'at least one dream strip');
  for (const im of images) {
    assert.equal(im.image!.tag, DREAM_TAG);
    assert.equal(im.image!.png, true);
    assert.equal(im.image!.colorspace, 3);
    assert.ok(im.image!.width > im.image!.height, 'a strip is wider than tall');
    assert.ok(checkpoints.includes(im.step), `image at a checkpoint step (${checkpoints}), got ${im.step}`);
  }
  // Our own reader agrees on the image bytes' size.
  const ours = readEventFile(files[0]).filter((e) => e.summary && JSON.stringify(e).includes('image'));
  assert.equal(ours.length, images.length);

  // A corrupted CRC makes the independent reader fail (and ours).
  const buf = readFileSync(files[0]);
  buf[buf.length - 1] ^= 0xff;
  writeFileSync(files[0], buf);
  const bad = pyRead(files);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /data CRC mismatch/);
  assert.throws(() => readEventFile(files[0]), /data CRC mismatch/);
});

test('a resumed run starts a new event file with a session START at the resume step', async () => {
  const r = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset,
    overrides: small,
    train: { logEvery: 1, checkpointEvery: 4 },
  });
  const ctrl = new AbortController();
  await trainRun(r.dir, {
    signal: ctrl.signal,
    checkpointOnStop: false,
    onMetrics: (m) => {
      if (m.step === 9) ctrl.abort(); // checkpoints at 4, 6 (phase end), 8: resumes at 8
    },
  });
  await new Promise((res) => setTimeout(res, 1100)); // event file names carry whole seconds
  assert.equal((await trainRun(r.dir)).state, 'completed');
  const files = eventFiles(r.dir);
  assert.equal(files.length, 2);
  const { status, rows } = pyRead([files[1]]);
  assert.equal(status, 0);
  assert.deepEqual(
    rows.filter((x) => x.what === 'session_log').map((x) => [x.step, x.status]),
    [[8, 1]],
  );
});

test('the checkpoint dream strip frees its tensors', async () => {
  const r = await createRun({ workspace, family: 'world-models', preset: 'debug', dataset, overrides: small });
  await trainRun(r.dir, { tensorboard: false });
  const config = readRunConfig(r.dir);
  const family = await getFamily(config.family);
  const model = family.parseConfig(config.model);
  const data = loadDataForRun(config, r.dir, family, model);
  const ck = loadCheckpoint(r.dir)!;
  const ctx = { config: model, seed: 0, data, runDir: r.dir, log: () => {} };
  const ckpt = { tensors: ck.tensors, state: ck.meta.state };
  await checkpointDreamStrip(family, ctx, ckpt, () => {});
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) {
    const png = await checkpointDreamStrip(family, ctx, ckpt, (l) => assert.fail(l));
    assert.ok(png && pngSize(png).width > 0);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(Object.values(ck.tensors));
});

test('a run restarted before its first checkpoint logs each step once', async () => {
  const r = await createRun({
    workspace,
    family: 'world-models',
    preset: 'debug',
    dataset,
    overrides: small,
    train: { logEvery: 1, checkpointEvery: 100 },
  });
  const ctrl = new AbortController();
  await trainRun(r.dir, {
    signal: ctrl.signal,
    checkpointOnStop: false,
    tensorboard: false,
    onMetrics: (m) => {
      if (m.step === 3) ctrl.abort();
    },
  });
  assert.equal(readMetrics(r.dir).length, 3);
  await trainRun(r.dir, { tensorboard: false });
  const steps = readMetrics(r.dir).map((m) => m.step);
  assert.deepEqual(steps, [...new Set(steps)], 'no step logged twice');
});
