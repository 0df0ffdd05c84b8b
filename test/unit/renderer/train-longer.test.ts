import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offersTrainLonger, suggestedSteps } from '../../../renderer/src/lib/train-longer.ts';

test('"Train to N steps" is offered on the statuses runs:resume takes with steps, not on a live run', () => {
  for (const s of ['completed', 'paused', 'stopped', 'crashed'] as const) assert.equal(offersTrainLonger(s), true, s);
  for (const s of ['created', 'queued', 'starting', 'running', 'failed'] as const)
    assert.equal(offersTrainLonger(s), false, s);
});

test('the prefilled budget doubles the run total and is never below the steps done', () => {
  assert.equal(suggestedSteps({ step: 600, totalSteps: 600 }), 1200);
  assert.equal(suggestedSteps({ step: 300, totalSteps: 600 }), 1200);
  // no total known (a run that never started a trainer): from the steps done, at least 2
  assert.equal(suggestedSteps({ step: 0, totalSteps: null }), 2);
  assert.equal(suggestedSteps({ step: 50, totalSteps: null }), 100);
});
