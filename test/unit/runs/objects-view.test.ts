import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { collectWorkspace } from '../../integration/world-models-fixture.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { openRunModel } from '../../../core/runs/load.ts';
import { DreamService } from '../../../core/runs/dreams.ts';
import { openDataset, readEpisode } from '../../../core/data/dataset.ts';
import { validateReply, validateRequest } from '../../../core/contract/validate.ts';
import { CONTRACT } from '../../../core/contract/channels.ts';
import type { ObjectGraphLatentModel } from '../../../core/models/object-graph/latent-model.ts';
import { objectView, retrievePrediction } from '../../../core/models/object-graph/object-view.ts';

// `objects:view` (issue 16 item 4) on a tiny debug object-graph run: the reply carries exactly what the model's
// object view computes (masks as grey images, slots, edges), and the k-step retrieval ranks among the dataset's
// real frames; other families are refused in one line.

const { workspace, dataset } = collectWorkspace({ env: 'shapes-2d', episodes: 3, size: 50, maxSteps: 7 });
let og = '';
let other = '';

before(async () => {
  await initBackend();
  const a = await createRun({
    workspace,
    family: 'object-graph',
    preset: 'debug',
    dataset,
    overrides: { train: { steps: 3, batch: 4 } },
    train: { checkpointEvery: 3 },
  });
  assert.equal((await trainRun(a.dir, { log: () => {}, tensorboard: false })).state, 'completed');
  og = a.dir.split('/').at(-1)!;
  // Never trained: a non-C-SWM run is refused before any weights are needed.
  other = (await createRun({ workspace, family: 'rssm', preset: 'debug', dataset })).dir.split('/').at(-1)!;
});

after(() => rmSync(workspace, { recursive: true, force: true }));

const req = (r: object) => CONTRACT['objects:view'].request.parse(r);

test('objects:view returns the slot masks as grey images, the slots, edges and trace the model computes', async () => {
  const svc = new DreamService(workspace);
  const r = await svc.objectsView(req({ runId: og, episode: 1, step: 2, k: 2 }));
  assert.equal(validateReply('objects:view', r), null, 'the reply passes its schema');
  const opened = await openRunModel(`${workspace}/runs/${og}`);
  const model = (opened.model.latent!() as ObjectGraphLatentModel).model;
  try {
    const ep = readEpisode(openDataset(workspace, dataset), 1);
    const v = objectView(model, ep, 2);
    const K = v.numObjects;
    const m = v.maskSide;
    assert.deepEqual(r.masks.shape, [K, m, m, 3]);
    for (let i = 0; i < K * m * m; i++) {
      const g = Math.round(v.masks[i] * 255);
      assert.deepEqual(Array.from(r.masks.data.subarray(i * 3, i * 3 + 3)), [g, g, g], `mask pixel ${i}`);
    }
    assert.deepEqual(Array.from(r.slots), Array.from(v.slots));
    assert.deepEqual(Array.from(r.edges), Array.from(v.edges));
    assert.deepEqual(Array.from(r.trace), Array.from(model.encodeEpisode(ep)));
    const F = 50 * 50 * 3;
    assert.deepEqual(r.frame.data, ep.image.slice(2 * F, 3 * F));
  } finally {
    opened.model.dispose();
    svc.close();
  }
});

test('objects:view retrieval: rank and nearest frame over every frame of the dataset, k clamped, none at the end', async () => {
  const svc = new DreamService(workspace);
  const r = await svc.objectsView(req({ runId: og, episode: 1, step: 2, k: 2 }));
  const opened = await openRunModel(`${workspace}/runs/${og}`);
  const model = (opened.model.latent!() as ObjectGraphLatentModel).model;
  try {
    const ds = openDataset(workspace, dataset);
    const eps = [1, 0, 2].map((i) => readEpisode(ds, i));
    const expect = retrievePrediction(
      model,
      eps,
      eps.map((e) => model.encodeEpisode(e)),
      0,
      2,
      2,
    );
    const x = r.retrieval!;
    assert.equal(x.k, 2);
    assert.equal(x.rank, expect.trueRank);
    assert.equal(x.candidates, 3 * 8);
    assert.equal(x.retrievedEpisode, [1, 0, 2][expect.nearest.episode]);
    assert.equal(x.retrievedStep, expect.nearest.row);
    const F = 50 * 50 * 3;
    const got = readEpisode(ds, x.retrievedEpisode).image.slice(x.retrievedStep * F, (x.retrievedStep + 1) * F);
    assert.deepEqual(x.retrieved.data, got, 'the retrieved frame is the real frame it names');
    assert.deepEqual(x.truth.data, eps[0].image.slice(4 * F, 5 * F));
    const late = await svc.objectsView(req({ runId: og, episode: 1, step: 6, k: 5 }));
    assert.equal(late.retrieval!.k, 1, 'k clamped to the episode end');
    const before = tf.memory().numTensors;
    const last = await svc.objectsView(req({ runId: og, episode: 1, step: 7, k: 1 }));
    assert.equal(last.retrieval, null, 'nothing lies ahead of the last frame');
    assert.equal(tf.memory().numTensors, before, 'a cached-model call leaves no tensors');
  } finally {
    opened.model.dispose();
  }
});

test('objects:view refuses a run of another family, a frame past the episode, and k 0, each in one line', async () => {
  const svc = new DreamService(workspace);
  await assert.rejects(svc.objectsView(req({ runId: other, episode: 0, step: 0 })), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'conflict');
    assert.match(e.message, /is a rssm run: the objects view shows object-graph \(C-SWM\) runs only/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  await assert.rejects(
    svc.objectsView(req({ runId: og, episode: 0, step: 8 })),
    /payload\.step: episode 0 has 8 frames/,
  );
  const bad = validateRequest('objects:view', { runId: og, episode: 0, step: 0, k: 0 });
  assert.equal(bad.ok, false);
});

test('DreamService: an unknown run is not_found and a run without a checkpoint a conflict, each naming the run', async () => {
  const svc = new DreamService(workspace);
  const refused = (code: string, re: RegExp) => (e: Error & { code?: string }) => {
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  };
  const missing = refused('not_found', /^no run 'nope' in the workspace$/);
  await assert.rejects(svc.evaluate({ runId: 'nope' }), missing);
  await assert.rejects(svc.objectsView(req({ runId: 'nope', episode: 0, step: 0 })), missing);
  await assert.rejects(
    svc.openloop(CONTRACT['dreams:openloop'].request.parse({ runId: 'nope', episode: 0, start: 0, horizon: 1 })),
    missing,
  );
  const untrained = refused('conflict', new RegExp(`^run ${other} has no checkpoint yet: start it and wait`));
  await assert.rejects(svc.evaluate({ runId: other }), untrained);
  await assert.rejects(
    svc.openloop(CONTRACT['dreams:openloop'].request.parse({ runId: other, episode: 0, start: 0, horizon: 1 })),
    untrained,
  );
});
