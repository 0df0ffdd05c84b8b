import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createWorkbenchService } from '../../core/service/service.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { createDirectClient } from '../../core/contract/direct.ts';
import { loadCheckpoint } from '../../core/runs/checkpoints.ts';
import { runDirOf } from '../../core/runs/run-dir.ts';
import type { RunSummary } from '../../core/contract/channels.ts';
import { WorkbenchError } from '../../core/contract/client.ts';
import type { DreamWorkerClient } from '../../core/service/dream-worker.ts';
import { until } from './host-helpers.ts';

// Crash isolation: SIGKILL a trainer mid-run. The run shows `crashed`, the host keeps answering, the
// last checkpoint loads (as tensors and as a dreamable model), and the run resumes from it.

test(
  'a trainer killed with SIGKILL marks its run crashed; the host answers; the checkpoint loads; resume continues',
  { timeout: 300_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-crash-'));
    const service = createWorkbenchService({ workspace: ws, host: 'direct', launcher: forkLauncher() });
    const client = createDirectClient(service.api, service.events);
    try {
      await client.collectDataset({ env: 'cartpole-swingup', dataset: 'd', episodes: 3, maxSteps: 30 });
      await client.createRun({ family: 'world-models', preset: 'debug', dataset: 'd', steps: 5000, name: 'victim' });
      const statuses: RunSummary[] = [];
      client.onRunStatus((s) => statuses.push(s));
      await client.startRun({ runId: 'victim' });
      // The runner checkpoints every 200 steps: wait for the first, then a bit more training past it.
      const withCkpt = await until(
        'a checkpoint',
        async () => {
          const r = (await client.listRuns())[0];
          return r.lastCheckpoint && r.step > r.lastCheckpoint.step ? r : null;
        },
        180_000,
        200,
      );
      const pid = service.runs.trainerPid('victim');
      assert.ok(pid && pid !== process.pid, 'the trainer is its own process');
      process.kill(pid, 'SIGKILL');

      const crashed = await until('crashed status', () => statuses.find((s) => s.status === 'crashed'), 30_000);
      assert.match(crashed.message ?? '', /killed by SIGKILL/);
      assert.match(crashed.message ?? '', /last checkpoint ckpt-\d+ is intact/);
      // The host still answers, and the crash is durable (status.json), not only an event.
      const listed = (await client.listRuns()).find((r) => r.id === 'victim')!;
      assert.equal(listed.status, 'crashed');
      assert.ok(listed.lastCheckpoint && listed.lastCheckpoint.step >= withCkpt.lastCheckpoint!.step);
      assert.ok((await client.workspaceInfo()).workspace === ws);

      // The last checkpoint loads: tensors with finite values, and a model that dreams.
      const ck = loadCheckpoint(runDirOf(ws, 'victim'));
      assert.ok(ck, 'latest points at a complete checkpoint');
      const names = Object.keys(ck.tensors);
      assert.ok(names.length > 4, `tensors: ${names.join(', ')}`);
      for (const t of Object.values(ck.tensors)) assert.ok(Number.isFinite(tf.sum(tf.abs(t)).dataSync()[0]));
      tf.dispose(Object.values(ck.tensors));
      const frame = await client.dreamReset({ runId: 'victim', episode: 0, step: 2 });
      const next = await client.dreamStep({ sessionId: frame.sessionId, action: [0.3] });
      assert.equal(next.t, 1);
      assert.ok(next.frame.data.length > 0);

      // Dreams run in their own server process: killing it fails the calls in flight, not the host,
      // and the next reset starts a fresh server.
      const dreamPid = (service.dreams as DreamWorkerClient).pid();
      assert.ok(dreamPid && dreamPid !== process.pid && dreamPid !== service.runs.trainerPid('victim'));
      process.kill(dreamPid, 'SIGKILL');
      await until('dream server gone', () => (service.dreams as DreamWorkerClient).pid() === undefined, 10_000);
      await assert.rejects(
        client.dreamStep({ sessionId: frame.sessionId, action: [0.3] }),
        (e: unknown) => e instanceof WorkbenchError && e.code === 'not_found',
      );
      const again = await client.dreamReset({ runId: 'victim', episode: 0, step: 2 });
      assert.equal(again.t, 0);
      assert.notEqual((service.dreams as DreamWorkerClient).pid(), dreamPid);

      // Resume continues from the checkpoint, not from zero.
      const from = listed.lastCheckpoint!.step;
      await client.resumeRun({ runId: 'victim' });
      const resumed = await until(
        'training past the checkpoint',
        async () => {
          const r = (await client.listRuns())[0];
          return r.status === 'running' && r.step > from ? r : null;
        },
        120_000,
        200,
      );
      assert.ok(resumed.step > from);
      const stopped = await client.stopRun({ runId: 'victim' });
      assert.equal(stopped.status, 'stopped');
    } finally {
      await service.close();
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
