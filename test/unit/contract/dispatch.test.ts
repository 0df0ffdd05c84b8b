import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatcher } from '../../../core/contract/validate.ts';
import { createDirectClient } from '../../../core/contract/direct.ts';
import { buildBridge } from '../../../core/contract/bridge.ts';
import { clientFromBridge, WorkbenchError } from '../../../core/contract/client.ts';
import type { WorkbenchApi, WorkbenchEventSource } from '../../../core/contract/client.ts';
import { CHANNEL_METHODS, CHANNEL_NAMES, EVENT_NAMES } from '../../../core/contract/names.ts';
import type { ChannelName } from '../../../core/contract/names.ts';
import { REPLIES, REQUESTS, EVENT_SAMPLES } from './samples.ts';

/** A fake service answering the sample reply of each channel, recording what it received. */
function fakeApi(overrides: Partial<Record<string, (req: any) => Promise<unknown>>> = {}) {
  const received: [string, unknown][] = [];
  const api: Record<string, unknown> = {};
  for (const c of CHANNEL_NAMES) {
    const m = CHANNEL_METHODS[c];
    api[m] =
      overrides[m] ??
      (async (req: unknown) => {
        received.push([c, req]);
        return REPLIES[c as ChannelName];
      });
  }
  return { api: api as unknown as WorkbenchApi, received };
}

function fakeEvents(): WorkbenchEventSource & { emit(e: string, p: unknown): void } {
  const ls = new Map<string, Set<(p: unknown) => void>>();
  return {
    subscribe(e, l) {
      if (!ls.has(e)) ls.set(e, new Set());
      ls.get(e)!.add(l as never);
      return () => ls.get(e)!.delete(l as never);
    },
    subscribeAll() {
      return () => {};
    },
    emit(e, p) {
      for (const l of ls.get(e) ?? []) l(p);
    },
  };
}

test('dispatch: unknown channels, bad payloads and throwing services become error replies', async () => {
  const internal: string[] = [];
  const { api, received } = fakeApi({
    startRun: async () => {
      throw Object.assign(new Error('run wm-1 is already running'), { code: 'conflict' });
    },
    getRun: async () => {
      const e = new Error('no run named x');
      e.name = 'UserError';
      throw e;
    },
    stopRun: async () => {
      throw new TypeError('boom');
    },
    listRuns: async () => [{ id: 1 }],
  });
  const dispatch = createDispatcher(api, { onInternalError: (c) => internal.push(c) });
  const u = await dispatch('runs:explode', {});
  assert.ok(!u.ok && u.error.code === 'unknown_channel' && /runs:explode/.test(u.error.message));
  const n = await dispatch(42, {});
  assert.ok(!n.ok && n.error.code === 'unknown_channel');
  const bad = await dispatch('dreams:openloop', { runId: 'a', episode: 0, start: 0, horizon: 9999 });
  assert.ok(!bad.ok && bad.error.code === 'invalid_request' && bad.error.field === 'payload.horizon');
  assert.equal(received.length, 0, 'the service never sees an invalid request');
  const conflict = await dispatch('runs:start', { runId: 'wm-1' });
  assert.ok(!conflict.ok && conflict.error.code === 'conflict');
  const user = await dispatch('runs:get', { runId: 'x' });
  assert.ok(!user.ok && user.error.code === 'invalid_request' && user.error.message === 'no run named x');
  const boom = await dispatch('runs:stop', { runId: 'wm-1' });
  assert.ok(!boom.ok && boom.error.code === 'internal');
  const drift = await dispatch('runs:list', {});
  assert.ok(!drift.ok && drift.error.code === 'internal' && /does not match the contract/.test(drift.error.message));
  assert.deepEqual(internal, ['runs:stop', 'runs:list']);
  const good = await dispatch('datasets:frames', { dataset: 'demo', episode: 0, start: 0, count: 2 });
  assert.ok(good.ok);
  assert.deepEqual(received.at(-1), [
    'datasets:frames',
    { dataset: 'demo', episode: 0, start: 0, count: 2, stride: 1 },
  ]);
});

test('direct client: every method reaches the service; errors reject with WorkbenchError(code, field)', async () => {
  const { api, received } = fakeApi();
  const events = fakeEvents();
  const client = createDirectClient(api, events);
  assert.equal(client.transport, 'direct');
  for (const c of CHANNEL_NAMES) {
    const r = await (client as any)[CHANNEL_METHODS[c]](REQUESTS[c]);
    assert.ok(r !== undefined, c);
  }
  assert.equal(received.length, CHANNEL_NAMES.length);
  await assert.rejects(
    client.createRun({ family: 'world-models' }),
    (e: unknown) => e instanceof WorkbenchError && e.code === 'invalid_request' && e.field === 'payload.dataset',
  );
  const seen: unknown[] = [];
  const off = client.onMetrics((p) => seen.push(p));
  events.emit('onMetrics', EVENT_SAMPLES.onMetrics);
  off();
  events.emit('onMetrics', EVENT_SAMPLES.onMetrics);
  assert.equal(seen.length, 1);
  // Calls with no argument work for channels without required fields.
  assert.equal((await client.listRuns()).length, 1);
});

test('preload bridge: exactly the contract methods and onX, envelopes unwrapped by clientFromBridge', async () => {
  const { api } = fakeApi();
  const dispatch = createDispatcher(api);
  const listeners = new Map<string, (p: unknown) => void>();
  const bridge = buildBridge(
    (c, p) => dispatch(c, p),
    (e, l) => {
      listeners.set(e, l);
      return () => listeners.delete(e);
    },
  );
  assert.deepEqual(Object.keys(bridge).sort(), [...Object.values(CHANNEL_METHODS), ...EVENT_NAMES].sort());
  assert.ok(Object.isFrozen(bridge));
  for (const v of Object.values(bridge)) assert.equal(typeof v, 'function');
  const env = await bridge.listDatasets();
  assert.ok(env.ok);
  const client = clientFromBridge(bridge);
  await assert.rejects(
    client.runMetrics({ runId: '../x' }),
    (e: unknown) => e instanceof WorkbenchError && e.field === 'payload.runId',
  );
  let got: unknown = null;
  const off = client.onRunStatus((p) => {
    got = p;
  });
  listeners.get('onRunStatus')!(EVENT_SAMPLES.onRunStatus);
  assert.deepEqual(got, EVENT_SAMPLES.onRunStatus);
  off();
  assert.equal(listeners.has('onRunStatus'), false);
  assert.throws(() => (bridge as any).onMetrics('not a function'), /expects a listener function/);
});
