import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { collectWorkspace } from './world-models-fixture.ts';
import { createRun } from '../../core/runs/trainer.ts';
import { openRunModel } from '../../core/runs/load.ts';
import { probeDir, readProbeMeta } from '../../core/runs/probe.ts';
import { RunPixelViews } from '../../core/runs/pixel-view.ts';
import { readStatus } from '../../core/runs/run-dir.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import type { FromWorker, Job } from '../../core/trainer/protocol.ts';

// Issue 15: a reconstruction-free run gets its probe decoder trained by its trainer process when training ends
// (TrainJob.probe, set by the workbench), and `runs:probe` training runs as a 'probe' job in a worker of its own.
// Real worker processes here (fork + tsx + tfjs); the debug probe preset keeps each one to seconds.

const { workspace, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 3, size: 32, maxSteps: 20 });
const tiny = { train: { steps: 4, batch: 2, length: 8 } };
let blind = { id: '', dir: '' };
let sighted = { id: '', dir: '' };

before(async () => {
  const common = { workspace, family: 'rssm', preset: 'debug', dataset } as const;
  blind = await createRun({ ...common, overrides: { ...tiny, objective: 'contrastive' } });
  sighted = await createRun({ ...common, overrides: tiny });
});
after(() => rmSync(workspace, { recursive: true, force: true }));

/** Runs one job in a real worker; resolves with its messages when it exits. */
function runJob(job: Job): Promise<{ msgs: FromWorker[]; code: number | null }> {
  const msgs: FromWorker[] = [];
  return new Promise((resolve) => {
    const h = forkLauncher().spawn(`test-${job.kind}`, {
      onMessage: (m) => {
        msgs.push(m);
        if (m.type === 'ready') h.send({ type: 'start', job });
      },
      onProtocolError: () => {},
      onLine: () => {},
      onExit: (code) => resolve({ msgs, code }),
    });
  });
}
const logs = (msgs: FromWorker[]) => msgs.flatMap((m) => (m.type === 'log' ? [m.line] : []));
const outcome = (msgs: FromWorker[]) => msgs.find((m) => m.type === 'done') as Extract<FromWorker, { type: 'done' }>;

test('the trainer trains the probe of a run without a decoder after it completes, and of no other run', async () => {
  const train = (runId: string) =>
    runJob({ kind: 'train', workspace, runId, resume: false, backend: 'cpu', probe: true });
  const [b, s] = [await train(blind.id), await train(sighted.id)];
  assert.equal(outcome(b.msgs).outcome, 'finished', logs(b.msgs).join('\n'));
  assert.equal(outcome(s.msgs).outcome, 'finished', logs(s.msgs).join('\n'));
  assert.equal(readStatus(blind.dir)?.state, 'completed');
  const meta = readProbeMeta(blind.dir);
  assert.ok(meta, `a probe after training; trainer log:\n${logs(b.msgs).join('\n')}`);
  assert.equal(meta.checkpointStep, 4, 'on the final checkpoint');
  assert.equal(meta.config.steps, 20, "the debug run's probe preset (debug: 20 steps)");
  assert.ok(
    logs(b.msgs).some((l) => /^probe decoder trained: 20 steps on \d+ frames, pixel MSE/.test(l)),
    logs(b.msgs).join('\n'),
  );
  assert.equal(existsSync(probeDir(sighted.dir)), false, 'a model with its own decoder gets no probe');
});

test("a 'probe' job retrains it in its own process; an open view reloads the new probe", async () => {
  const opened = await openRunModel(blind.dir);
  const views = new RunPixelViews(opened);
  try {
    const before = views.probe();
    const old = readProbeMeta(blind.dir)!;
    const r = await runJob({ kind: 'probe', workspace, runId: blind.id, steps: 3, backend: 'cpu' });
    assert.equal(outcome(r.msgs).outcome, 'finished', logs(r.msgs).join('\n'));
    const now = readProbeMeta(blind.dir)!;
    assert.equal(now.config.steps, 3);
    assert.notEqual(now.trained, old.trained);
    assert.notEqual(views.probe(), before, 'the cached probe is replaced by the retrained one');
    assert.equal(views.probe(), views.probe(), 'and cached again');
    // A run that does not exist fails the job with the reason.
    const bad = await runJob({ kind: 'probe', workspace, runId: 'no-such-run', backend: 'cpu' });
    assert.equal(outcome(bad.msgs).outcome, 'failed');
    assert.match(outcome(bad.msgs).message ?? '', /no-such-run/);
    assert.notEqual(bad.code, 0);
  } finally {
    views.dispose();
    opened.model.dispose();
  }
});
