import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dreamFrom } from '../../../renderer/src/lib/lab-frame.ts';

test('a dream from a real frame sends the dataset, context and horizon only when the user set them', () => {
  assert.deepEqual(dreamFrom('r1', { dataset: null, episode: 2, start: 7, context: null, horizon: null }), {
    runId: 'r1',
    episode: 2,
    start: 7,
  });
  // A cleared number field binds 0 or null: both mean the model's own.
  assert.deepEqual(dreamFrom('r1', { dataset: '', episode: 0, start: 0, context: 0, horizon: 0 }), {
    runId: 'r1',
    episode: 0,
    start: 0,
  });
  assert.deepEqual(dreamFrom('r2', { dataset: 'cars', episode: 1, start: 3, context: 5, horizon: 20 }), {
    runId: 'r2',
    episode: 1,
    start: 3,
    dataset: 'cars',
    context: 5,
    horizon: 20,
  });
  assert.deepEqual(dreamFrom('r3', { dataset: 'cars', episode: 1, start: 3 }), {
    runId: 'r3',
    episode: 1,
    start: 3,
    dataset: 'cars',
  });
});
