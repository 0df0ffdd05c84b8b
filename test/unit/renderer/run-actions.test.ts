import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemas } from '../../../core/contract/index.ts';
import { EXTENDABLE, RESUMABLE, offersRunAction } from '../../../core/contract/run-lifecycle.ts';
import { offersTrainLonger } from '../../../renderer/src/lib/train-longer.ts';

test('the Runs view offers Resume exactly where runs:resume takes it: paused, stopped, crashed; never a failed (diverged) run', () => {
  for (const s of schemas.RunStatus.options) {
    assert.equal(offersRunAction('resume', s), RESUMABLE.includes(s), s);
    assert.equal(offersTrainLonger(s), EXTENDABLE.includes(s), s);
  }
  assert.deepEqual([...RESUMABLE].sort(), ['crashed', 'paused', 'stopped']);
  assert.equal(offersRunAction('resume', 'failed'), false);
  assert.equal(offersTrainLonger('failed'), false, 'nor trained longer: it diverges again at the same step');
  assert.equal(offersRunAction('resume', 'completed'), false, 'a completed run trains on only with more steps');
  assert.equal(offersTrainLonger('completed'), true);
});

test('Start only on a created run, Pause only on a running one, Stop on any live or queued run', () => {
  const offered = (a: Parameters<typeof offersRunAction>[0]) =>
    schemas.RunStatus.options.filter((s) => offersRunAction(a, s)).sort();
  assert.deepEqual(offered('start'), ['created']);
  assert.deepEqual(offered('pause'), ['running']);
  assert.deepEqual(offered('stop'), ['paused', 'queued', 'running', 'starting']);
});
