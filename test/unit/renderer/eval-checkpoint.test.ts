import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chosenStep, evalRequest, keptSteps } from '../../../renderer/src/lib/eval-checkpoint.ts';

test('the Evaluation panel lists the kept steps newest first and defaults to the latest', () => {
  const steps = keptSteps([{ step: 200 }, { step: 600 }, { step: 400 }]);
  assert.deepEqual(steps, [600, 400, 200]);
  assert.equal(chosenStep(null, steps), 600);
  assert.equal(chosenStep(200, steps), 200);
  // A pick the run no longer keeps (retention removed it, or another run is selected) falls back to the latest.
  assert.equal(chosenStep(100, steps), 600);
  assert.equal(chosenStep(null, []), null);
});

test('the latest is asked without a step (the final measures); an older kept one by its step', () => {
  const steps = [600, 400, 200];
  assert.deepEqual(evalRequest('r', 600, steps), { runId: 'r' });
  assert.deepEqual(evalRequest('r', null, []), { runId: 'r' });
  assert.deepEqual(evalRequest('r', 200, steps), { runId: 'r', checkpointStep: 200 });
});
