import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRequest } from '../../../core/contract/validate.ts';
import { createWorkbenchService } from '../../../core/service/service.ts';
import { FakeLauncher, type FakeWorker } from './fake-launcher.ts';

// Issue 15: `runs:probe` with train runs the probe's training in a worker of its own ('probe' job), so the dream
// server keeps answering dream calls meanwhile (it used to train the probe itself and hold every call).

let ws = '';
before(() => (ws = mkdtempSync(join(tmpdir(), 'oneiro-probe-jobs-'))));
after(() => rmSync(ws, { recursive: true, force: true }));

const probeReq = (o: object) => {
  const r = validateRequest('runs:probe', o);
  assert.ok(r.ok);
  return r.value;
};
const tick = () => new Promise((r) => setTimeout(r, 0));
const described = (trained: string | null) => ({
  runId: 'r1',
  modelPixels: 'none',
  probe: trained ? { checkpointStep: 10, frames: 40, steps: 30, loss: 0.01, trained } : null,
  problem: trained ? null : 'run r1 has no probe decoder',
});

/** Answers the dream server's pending 'probe' calls (train must be false) with `value`. */
async function answerDescribe(w: FakeWorker, value: unknown, answered: Set<number>): Promise<number> {
  await tick();
  let n = 0;
  for (const m of w.received)
    if (m.type === 'call' && !answered.has(m.id)) {
      assert.equal(m.method, 'probe');
      assert.equal((m.req as { train: boolean }).train, false, 'the dream server is never asked to train');
      answered.add(m.id);
      w.say({ type: 'reply', id: m.id, ok: true, value });
      n++;
    }
  return n;
}

test('runs:probe train: a probe worker trains it while the dream server answers other calls; requests join', async () => {
  const launcher = new FakeLauncher();
  const service = createWorkbenchService({ workspace: ws, host: 'web', launcher });
  const answered = new Set<number>();
  try {
    const training = service.api.runProbe(probeReq({ runId: 'r1', train: true, steps: 30 }));
    const dreams = launcher.last();
    assert.equal(dreams.name, 'dreams');
    dreams.say({ type: 'ready', pid: dreams.pid });
    dreams.say({ type: 'started', backend: 'cpu' });
    assert.equal(await answerDescribe(dreams, described(null), answered), 1, 'the run is checked first');
    await tick();
    const probe = launcher.last();
    assert.equal(probe.name, 'probe-r1');
    probe.say({ type: 'ready', pid: probe.pid });
    assert.deepEqual(probe.received, [
      { type: 'start', job: { kind: 'probe', workspace: ws, runId: 'r1', steps: 30 } },
    ]);
    // While the probe trains, the dream server answers: a describe request comes back at once.
    const meanwhile = service.api.runProbe(probeReq({ runId: 'r1' }));
    assert.equal(await answerDescribe(dreams, described(null), answered), 1);
    assert.deepEqual(await meanwhile, described(null));
    // A second train request of the same run joins the running job (no second worker).
    const again = service.api.runProbe(probeReq({ runId: 'r1', train: true }));
    await answerDescribe(dreams, described(null), answered);
    await tick();
    assert.equal(launcher.workers.filter((w) => w.name === 'probe-r1').length, 1);
    probe.say({ type: 'done', outcome: 'finished', message: null });
    probe.exit(0, null);
    assert.equal(await answerDescribe(dreams, described('2026-11-30T17:00:00Z'), answered), 2);
    assert.deepEqual(await training, described('2026-11-30T17:00:00Z'));
    assert.deepEqual(await again, described('2026-11-30T17:00:00Z'));
  } finally {
    void service.close();
    for (const w of launcher.workers) w.exit(0, null);
  }
});

test('a probe job that fails is a conflict with its reason; one that dies is internal', async () => {
  const launcher = new FakeLauncher();
  const service = createWorkbenchService({ workspace: ws, host: 'web', launcher });
  const answered = new Set<number>();
  try {
    const first = service.api.runProbe(probeReq({ runId: 'r1', train: true }));
    const dreams = launcher.last();
    dreams.say({ type: 'ready', pid: dreams.pid });
    dreams.say({ type: 'started', backend: 'cpu' });
    await answerDescribe(dreams, described(null), answered);
    await tick();
    const p1 = launcher.last();
    p1.say({ type: 'done', outcome: 'failed', message: 'run r1 has no checkpoint yet' });
    p1.exit(1, null);
    await assert.rejects(first, (e: Error & { code?: string }) => {
      assert.equal(e.code, 'conflict');
      assert.match(e.message, /^probe decoder of run r1 not trained: run r1 has no checkpoint yet$/);
      return true;
    });
    const second = service.api.runProbe(probeReq({ runId: 'r1', train: true }));
    await answerDescribe(dreams, described(null), answered);
    await tick();
    const p2 = launcher.last();
    assert.notEqual(p2, p1, 'a new job after the failed one');
    p2.line('Segmentation fault');
    p2.exit(null, 'SIGSEGV');
    await assert.rejects(second, (e: Error & { code?: string }) => {
      assert.equal(e.code, 'internal');
      assert.match(e.message, /the probe job of run r1 exited \(SIGSEGV\): Segmentation fault/);
      return true;
    });
  } finally {
    void service.close();
    for (const w of launcher.workers) w.exit(0, null);
  }
});
