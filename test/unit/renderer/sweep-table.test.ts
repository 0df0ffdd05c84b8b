import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SweepRow } from '../../../core/contract/channels.ts';
import { finalValue, overlay, overlayKeys, sortRows, sweepColumns } from '../../../renderer/src/lib/sweep-table.ts';
import { appendPoints, emptySeries } from '../../../renderer/src/lib/series.ts';

const row = (runId: string, over: Partial<SweepRow> = {}): SweepRow => ({
  runId,
  seed: 0,
  fields: {},
  status: 'completed',
  step: 10,
  totalSteps: 10,
  job: 'completed',
  attempts: 1,
  worker: 'w:1',
  message: null,
  last: {},
  eval: null,
  ...over,
});

test('sweepColumns: config fields, states, eval measures, then the last losses (losses first)', () => {
  const rows = [
    row('a', {
      fields: { lr: 0.1 },
      last: { kl: 1, 'vae/loss': 2 },
      eval: { checkpointStep: 10, metrics: { mse: 0.5 } },
    }),
    row('b', { fields: { lr: 0.01 }, last: { kl: 3 } }),
  ];
  const ids = sweepColumns(['lr'], rows).map((c) => c.id);
  assert.deepEqual(ids, [
    'run',
    'field:lr',
    'seed',
    'status',
    'job',
    'worker',
    'step',
    'eval:mse',
    'last:vae/loss',
    'last:kl',
  ]);
});

test('finalValue: the eval measure where evaluated, the last logged value otherwise, null when neither', () => {
  const r = row('a', { last: { loss: 2 }, eval: { checkpointStep: 1, metrics: { mse: 0.5, r2: null } } });
  assert.equal(finalValue(r, 'mse', 'eval'), 0.5);
  assert.equal(finalValue(r, 'r2', 'eval'), null);
  assert.equal(finalValue(r, 'loss', 'last'), 2);
  assert.equal(finalValue(row('b'), 'mse', 'eval'), null);
});

test('sortRows: by any column, both directions, rows without a value last either way', () => {
  const rows = [
    row('a', { last: { loss: 2 } }),
    row('b', { last: {} }),
    row('c', { last: { loss: 1 } }),
    row('d10', { last: { loss: 3 } }),
  ];
  const cols = sweepColumns([], rows);
  const loss = cols.find((c) => c.id === 'last:loss');
  assert.deepEqual(
    sortRows(rows, loss, 1).map((r) => r.runId),
    ['c', 'a', 'd10', 'b'],
  );
  assert.deepEqual(
    sortRows(rows, loss, -1).map((r) => r.runId),
    ['d10', 'a', 'c', 'b'],
  );
  const run = cols.find((c) => c.id === 'run');
  assert.deepEqual(
    sortRows([row('r10'), row('r9')], run, 1).map((r) => r.runId),
    ['r9', 'r10'],
    'names compare numerically',
  );
});

test('overlay: one key of several runs on the union of their steps, gaps as null', () => {
  const a = appendPoints(emptySeries(), [
    { step: 1, time: null, phase: null, values: { loss: 5 } },
    { step: 2, time: null, phase: null, values: { loss: 4, kl: 1 } },
  ]);
  const b = appendPoints(emptySeries(), [
    { step: 2, time: null, phase: null, values: { loss: 3 } },
    { step: 3, time: null, phase: null, values: { loss: 2 } },
  ]);
  assert.deepEqual(overlayKeys([a, b, undefined]), ['loss', 'kl']);
  assert.deepEqual(
    overlay(
      [
        { runId: 'a', series: a },
        { runId: 'b', series: b },
        { runId: 'c', series: undefined },
      ],
      'loss',
    ),
    {
      x: [1, 2, 3],
      lines: [
        { runId: 'a', values: [5, 4, null] },
        { runId: 'b', values: [null, 3, 2] },
        { runId: 'c', values: [null, null, null] },
      ],
    },
  );
});
