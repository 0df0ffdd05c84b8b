import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeHostEventLoop } from '../../core/host/eventloop-probe.ts';

// Issue 6: the host stays responsive while runs train in their own processes and a client talks to it over
// the WebSocket. The 50 ms p99 target is a speed target and lives in the bench (`host-eventloop-p99`); this
// test guards against the host doing training or model work on its own thread, which stalls it for seconds,
// with a bound loose enough for a loaded machine.
test(
  'host event-loop stays responsive (p99 well under a stall) with two runs training',
  { timeout: 240_000 },
  async (t) => {
    const r = await probeHostEventLoop({ runs: 2, windowMs: 8000 });
    t.diagnostic(
      `host-eventloop p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; ${r.requests} requests, ${r.metricEvents} metric events; run steps ${r.steps.join(', ')}`,
    );
    assert.ok(
      r.steps.every((s) => s > 0),
      'both runs were training',
    );
    assert.ok(r.metricEvents > 2 && r.requests > 20, 'the client was talking to the host throughout');
    assert.ok(r.p99 < 500, `p99 ${r.p99.toFixed(1)} ms`);
  },
);
