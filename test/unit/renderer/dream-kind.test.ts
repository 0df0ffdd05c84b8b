import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dreamKindLabel, dreamKindRequest } from '../../../renderer/src/lib/dream-kind.ts';
import { validateRequest } from '../../../core/contract/validate.ts';

const where = { runId: 'rssm-1', episode: 0, start: 3, horizon: 10 };

test('each dream kind asks for what it names, in a request the contract takes', () => {
  assert.deepEqual(dreamKindRequest('mode', 0.7, 8), {});
  assert.deepEqual(dreamKindRequest('sample', 0.7, 8), { temperature: 0.7 });
  assert.deepEqual(dreamKindRequest('mean', 0.7, 8), { temperature: 0.7, samples: 8 });
  for (const kind of ['mode', 'sample', 'mean'] as const) {
    const r = validateRequest('dreams:openloop', { ...where, ...dreamKindRequest(kind, 0.7, 8) });
    assert.equal(r.ok, true, `${kind}: ${r.ok ? '' : r.error.message}`);
  }
});

test('the shown dream is labelled from the reply: τ 0 is the point prediction', () => {
  assert.equal(dreamKindLabel({ temperature: 0, samples: null }), 'point prediction');
  assert.equal(dreamKindLabel({ temperature: null, samples: null }), 'point prediction');
  assert.equal(dreamKindLabel({ temperature: 0.5, samples: null }), 'sample at τ 0.5');
  assert.equal(dreamKindLabel({ temperature: 1.5, samples: 8 }), 'mean of 8 at τ 1.5');
});
