import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  forkRequest,
  offersContinueFrom,
  prefillOverrides,
  rnnStepsOf,
} from '../../../renderer/src/lib/continue-from.ts';

test('"Continue from…" is offered on completed World Models runs only', () => {
  assert.equal(offersContinueFrom({ family: 'world-models', status: 'completed' }), true);
  for (const s of ['created', 'queued', 'starting', 'running', 'paused', 'stopped', 'crashed', 'failed'] as const)
    assert.equal(offersContinueFrom({ family: 'world-models', status: s }), false, s);
  for (const f of ['rssm', 'object-graph', 'lexa'])
    assert.equal(offersContinueFrom({ family: f, status: 'completed' }), false, f);
});

test("M's budget is read from config.json's model.rnn.steps, else null", () => {
  assert.equal(rnnStepsOf({ model: { rnn: { steps: 300 } } }), 300);
  assert.equal(rnnStepsOf({ rnn: { steps: 300 } }), null, 'not at the top level');
  assert.equal(rnnStepsOf({ model: { rnn: { steps: '300' } } }), null);
  assert.equal(rnnStepsOf({ model: { rnn: { steps: 0 } } }), null);
  assert.equal(rnnStepsOf(null), null);
});

test("prefill: a hotter dream at controller; at rnn M's budget doubled, or nothing when it is unknown", () => {
  assert.equal(prefillOverrides('controller', 300), 'controller.temperature=1.5');
  assert.equal(prefillOverrides('rnn', 300), 'rnn.steps=600');
  assert.equal(prefillOverrides('rnn', null), '');
});

test('the request: overrides parsed as the New run form parses them, omitted when empty, bad text refused', () => {
  assert.deepEqual(forkRequest('wm-1', 'rnn', 'rnn.steps=600, controller.enabled=false'), {
    ok: true,
    req: { runId: 'wm-1', phase: 'rnn', overrides: { 'rnn.steps': 600, 'controller.enabled': false } },
  });
  assert.deepEqual(forkRequest('wm-1', 'controller', '  '), { ok: true, req: { runId: 'wm-1', phase: 'controller' } });
  const bad = forkRequest('wm-1', 'controller', 'controller.temperature');
  assert.equal(bad.ok, false);
  assert.match((bad as { error: string }).error, /expected key=value/);
});
