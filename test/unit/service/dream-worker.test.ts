import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DreamWorkerClient } from '../../../core/service/dream-worker.ts';
import { ServiceError } from '../../../core/service/errors.ts';
import { FakeLauncher } from './fake-launcher.ts';

// The host side of the dream server: lazy start, calls correlated by id, error codes kept, a dead
// server failing what was in flight and being replaced on the next call.

const tick = () => new Promise((r) => setTimeout(r, 0));

test('calls wait for the server, travel with ids, and keep their error codes', async () => {
  const launcher = new FakeLauncher();
  const dreams = new DreamWorkerClient('/ws', launcher, 'cpu');
  assert.equal(launcher.workers.length, 0, 'started lazily');
  const p1 = dreams.frame({ sessionId: 'a' });
  const p2 = dreams.step({ sessionId: 'a', action: [1] });
  const w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  assert.deepEqual(w.received[0], { type: 'start', job: { kind: 'dream', workspace: '/ws', backend: 'cpu' } });
  w.say({ type: 'started', backend: 'cpu' });
  await tick();
  const calls = w.received.slice(1) as { type: 'call'; id: number; method: string; req: unknown }[];
  assert.deepEqual(
    calls.map((c) => [c.type, c.method]),
    [
      ['call', 'frame'],
      ['call', 'step'],
    ],
  );
  assert.notEqual(calls[0].id, calls[1].id);
  // Replies may come in any order.
  w.say({
    type: 'reply',
    id: calls[1].id,
    ok: false,
    error: { code: 'invalid_request', message: 'payload.action: expected 3 values', field: 'payload.action' },
  });
  w.say({ type: 'reply', id: calls[0].id, ok: true, value: { sessionId: 'a', t: 4 } });
  assert.deepEqual(await p1, { sessionId: 'a', t: 4 });
  await assert.rejects(
    p2,
    (e: unknown) => e instanceof ServiceError && e.code === 'invalid_request' && e.field === 'payload.action',
  );
  assert.equal(launcher.workers.length, 1, 'one server for all calls');
});

test('a dying server fails the calls in flight; the next call starts a new one', async () => {
  const launcher = new FakeLauncher();
  const dreams = new DreamWorkerClient('/ws', launcher);
  const p = dreams.reset({ runId: 'r', episode: 0, step: 0, seed: 0 });
  const w = launcher.last();
  w.say({ type: 'ready', pid: w.pid });
  w.say({ type: 'started', backend: 'wasm' });
  await tick();
  w.line('RuntimeError: memory access out of bounds');
  w.exit(null, 'SIGKILL');
  await assert.rejects(
    p,
    (e: unknown) =>
      e instanceof ServiceError &&
      e.code === 'internal' &&
      /dream server exited \(SIGKILL\): RuntimeError/.test(e.message),
  );
  assert.equal(dreams.pid(), undefined);
  const q = dreams.frame({ sessionId: 's' });
  assert.equal(launcher.workers.length, 2);
  const w2 = launcher.last();
  w2.say({ type: 'ready', pid: w2.pid });
  w2.say({ type: 'started', backend: 'wasm' });
  await tick();
  const call = w2.received[1] as { id: number };
  w2.say({ type: 'reply', id: call.id, ok: false, error: { code: 'not_found', message: "no dream session 's'" } });
  await assert.rejects(q, (e: unknown) => e instanceof ServiceError && e.code === 'not_found');
  // close() asks the server to stop and resolves once it has exited.
  const closing = dreams.close();
  assert.deepEqual(w2.received.at(-1), { type: 'stop' });
  w2.exit(0, null);
  await closing;
  assert.equal(dreams.pid(), undefined);
  assert.equal(await dreams.closeSession('any'), false, 'no server, no session');
});
