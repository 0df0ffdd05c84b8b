import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeHostEventLoop } from '../../core/host/eventloop-probe.ts';

// Issue 6: the host stays responsive while runs train — event-loop delay p99 < 50 ms with two runs
// training in their own processes and a client talking to the host over the WebSocket.
test('host event-loop delay p99 < 50 ms with two runs training', { timeout: 240_000 }, async (t) => {
  const r = await probeHostEventLoop({ runs: 2, windowMs: 8000 });
  t.diagnostic(
    `host-eventloop p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; ${r.requests} requests, ${r.metricEvents} metric events; run steps ${r.steps.join(', ')}`,
  );
  assert.ok(
    r.steps.every((s) => s > 0),
    'both runs were training',
  );
  assert.ok(r.metricEvents > 2 && r.requests > 20, 'the client was talking to the host throughout');
  assert.ok(r.p99 < 50, `p99 ${r.p99.toFixed(1)} ms`);
});
