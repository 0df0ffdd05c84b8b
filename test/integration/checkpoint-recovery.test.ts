import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectWorkspace } from './world-models-fixture.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { checkpointsDir } from '../../core/runs/run-dir.ts';
import { latestCheckpointName, listCheckpoints } from '../../core/runs/checkpoints.ts';
import { createWorkbenchService } from '../../core/service/service.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { createDirectClient } from '../../core/contract/direct.ts';
import { WorkbenchError } from '../../core/contract/client.ts';
import { sweepPath, sweepsDir, type SweepRecord } from '../../core/queue/sweep.ts';

// Hardening issue, item 5: a corrupt latest checkpoint falls back to the newest intact one (eval and
// resume say so); a checkpoint of another shape is a one-line error naming the tensor.
const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const cli = (ws: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1' },
  });

/** A tiny debug RSSM run trained 6 steps with a checkpoint every 2: it keeps steps 2, 4 and 6. */
async function tinyRun(): Promise<{ ws: string; id: string; dir: string }> {
  const { workspace: ws, dataset } = collectWorkspace({ env: 'car-racing', episodes: 3, size: 32, maxSteps: 24 });
  const { id, dir } = await createRun({
    workspace: ws,
    family: 'rssm',
    preset: 'debug',
    dataset,
    backend: 'cpu',
    overrides: { train: { batch: 2, length: 8 } },
    steps: 6,
    train: { checkpointEvery: 2, logEvery: 1 },
  });
  const first = await trainRun(dir, { backend: 'cpu' });
  assert.equal(first.state, 'completed');
  return { ws, id, dir };
}

test('a corrupt latest checkpoint: eval and resume take the newest intact one with a warning', async () => {
  const { ws, id, dir } = await tinyRun();
  try {
    const latest = latestCheckpointName(dir)!;
    assert.equal(latest, 'ckpt-00000006');
    assert.deepEqual(
      listCheckpoints(dir).map((c) => c.globalStep),
      [2, 4, 6],
    );
    // Corrupt the latest tensors file (truncated mid-data, as a full disk or a kill during a copy leaves it).
    const file = join(checkpointsDir(dir), `${latest}.safetensors`);
    truncateSync(file, Math.floor(readFileSync(file).length / 2));

    const ev = cli(ws, 'eval', id, '--json', '--backend', 'cpu');
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(
      ev.stderr,
      /warning: checkpoint ckpt-00000006 cannot be used .*; using the newest intact checkpoint ckpt-00000004 \(step 4\)/,
    );
    assert.equal(JSON.parse(ev.stdout.trim().split('\n').pop()!).checkpoint_step, 4);

    // Resume: the run continues from step 4 and says why.
    const logs: string[] = [];
    const resumed = await trainRun(dir, { backend: 'cpu', log: (m) => logs.push(m) });
    assert.ok(
      logs.some((l) => /warning: checkpoint ckpt-00000006 cannot be used/.test(l)),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((l) => /resuming .* at model step 4/.test(l)),
      logs.join('\n'),
    );
    assert.equal(resumed.state, 'completed');
    assert.equal(resumed.step, 6);

    // A checkpoint of another shape: one line naming the tensor, its shape and the expected one.
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.model.rssm.deter = 40;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const bad = cli(ws, 'eval', id, '--backend', 'cpu');
    assert.equal(bad.status, 2, bad.stderr);
    const lines = bad.stderr.trim().split('\n');
    assert.equal(lines.length, 1, bad.stderr);
    assert.match(lines[0], /checkpoint tensor 'model\/[\w/]+' has shape \[[\d,]+\], the model expects \[[\d,]+\]/);
    assert.ok(bad.stderr.length < 400, `${bad.stderr.length} bytes`);

    // An internal error on resume (a checkpoint whose JSON state is null): one line for the user, the
    // stack in the run's train.log, and the run (which has checkpoints) is kept.
    cfg.model.rssm.deter = 32;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const metaPath = join(checkpointsDir(dir), `${latestCheckpointName(dir)}.json`);
    writeFileSync(metaPath, JSON.stringify({ ...JSON.parse(readFileSync(metaPath, 'utf8')), state: null }));
    const crash = cli(ws, 'train', '--resume', id, '--backend', 'cpu');
    assert.equal(crash.status, 1, crash.stderr);
    const last = crash.stderr.trim().split('\n').at(-1)!;
    assert.match(last, /^oneiro train: internal error \(TypeError: .*\); the full stack is in .*train\.log$/);
    assert.ok(!/^\s+at /m.test(crash.stderr), 'no stack on stderr');
    assert.match(readFileSync(join(dir, 'train.log'), 'utf8'), /TypeError: [^\n]+\n\s+at /);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

/** Every file of a run folder, by name, as bytes (a refusal must leave them all as they were). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (f.isFile()) out.set(join(f.parentPath, f.name), readFileSync(join(f.parentPath, f.name)));
  return out;
}

/** `oneiro eval` refused in one line with exit 2, the run folder byte-identical. */
function refused(ws: string, dir: string, args: string[], message: RegExp): void {
  const before = snapshot(dir);
  const r = cli(ws, 'eval', ...args, '--backend', 'cpu');
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, '');
  assert.deepEqual(snapshot(dir), before, 'a refusal leaves every file of the run as it was');
}

test('oneiro eval --checkpoint STEP scores that kept checkpoint, never another', async () => {
  const { ws, id, dir } = await tinyRun();
  const evalJson = (...args: string[]) => {
    const r = cli(ws, 'eval', id, '--json', '--backend', 'cpu', '--context', '5', ...args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no fallback warning');
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  try {
    const latest = evalJson();
    assert.equal(latest.checkpoint_step, 6);
    const older = evalJson('--checkpoint', '2');
    assert.equal(older.checkpoint_step, 2);
    assert.equal(older.openloop_context, 5, 'combines with --context');
    // The same held-out data and baselines, the older weights: the model's numbers move, the baselines do not.
    assert.equal(older.metrics.recon_mse.baseline, latest.metrics.recon_mse.baseline);
    assert.notEqual(older.metrics.recon_mse.model, latest.metrics.recon_mse.model);
    assert.deepEqual(evalJson('--checkpoint', '6'), latest, 'the latest by step is the default eval');

    refused(
      ws,
      dir,
      [id, '--checkpoint', '5'],
      /^oneiro eval: run \S+ has no checkpoint at step 5; it keeps steps 2, 4, 6$/m,
    );
    refused(ws, dir, [id, '--goals', '--checkpoint', '3'], /has no checkpoint at step 3; it keeps steps 2, 4, 6$/m);
    refused(ws, dir, [id, '--checkpoint', '-1'], /Option '--checkpoint' argument is ambiguous/);
    for (const bad of ['x', '-1', '1.5'])
      refused(
        ws,
        dir,
        [id, `--checkpoint=${bad}`],
        new RegExp(`--checkpoint must be an integer >= 0, got '${bad.replace('.', '\\.')}'`),
      );

    // A corrupt chosen checkpoint is an error naming it; the default eval still takes the latest.
    const file = join(checkpointsDir(dir), 'ckpt-00000004.safetensors');
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    refused(ws, dir, [id, '--checkpoint', '4'], /checkpoint ckpt-00000004 \(step 4\) cannot be used/);
    assert.equal(evalJson().checkpoint_step, 6);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test("oneiro eval --average-checkpoints S1,S2: the mean of those checkpoints' weights, named in the report", async () => {
  const { ws, id, dir } = await tinyRun();
  const evalJson = (...args: string[]) => {
    const r = cli(ws, 'eval', id, '--json', '--backend', 'cpu', '--context', '5', ...args);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  try {
    const at = (s: number) => evalJson('--checkpoint', String(s));
    const [two, four, six] = [at(2), at(4), at(6)];
    const avg = evalJson('--average-checkpoints', '6,2,4');
    assert.deepEqual(avg.averaged_checkpoints, [2, 4, 6]);
    assert.equal(avg.checkpoint_step, 6, 'the newest of them');
    assert.equal(six.averaged_checkpoints, undefined, 'a single checkpoint names none');
    // Other weights than any one of them (the model's numbers move), the same held-out data (baselines do not).
    for (const one of [two, four, six]) {
      assert.notEqual(avg.metrics.recon_mse.model, one.metrics.recon_mse.model);
      assert.equal(avg.metrics.recon_mse.baseline, one.metrics.recon_mse.baseline);
    }
    assert.notEqual(evalJson('--average-checkpoints', '4,6').metrics.recon_mse.model, avg.metrics.recon_mse.model);

    refused(
      ws,
      dir,
      [id, '--average-checkpoints', '2,5'],
      /^oneiro eval: run \S+ has no checkpoint at step 5; it keeps steps 2, 4, 6$/m,
    );
    refused(ws, dir, [id, '--average-checkpoints', '2,x'], /^oneiro eval: --average-checkpoints: 'x' is not a step/m);
    refused(ws, dir, [id, '--average-checkpoints', '4'], /--average-checkpoints: give at least 2 steps/);
    refused(
      ws,
      dir,
      [id, '--average-checkpoints', '2,4', '--checkpoint', '4'],
      /it takes no --checkpoint \(use one or the other\)/,
    );
    refused(ws, dir, [id, '--average-checkpoints', '2,4', '--goals'], /it takes no --goals/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('runs:eval { checkpointStep } (Runs view): that kept checkpoint, in the dream server; the final measures stay the latest', async () => {
  const { ws, id } = await tinyRun();
  // A sweep listing the run: its row shows the measures the host stored as the run's final (latest) ones.
  const sweep: SweepRecord = {
    id: 's',
    name: 's',
    created: new Date().toISOString(),
    file: 's.yaml',
    family: 'rssm',
    preset: 'debug',
    dataset: null,
    env: null,
    fields: [],
    runs: [{ runId: id, seed: 0, fields: {} }],
  };
  mkdirSync(sweepsDir(ws), { recursive: true });
  writeFileSync(sweepPath(ws, 's'), JSON.stringify(sweep));
  const service = createWorkbenchService({ workspace: ws, host: 'direct', launcher: forkLauncher(), backend: 'cpu' });
  const client = createDirectClient(service.api, service.events);
  const final = async () => (await client.getSweep({ sweepId: 's' })).rows[0].eval;
  const refusedAt = (field: string, message: RegExp) => (e: unknown) =>
    e instanceof WorkbenchError && e.code === 'invalid_request' && e.field === field && message.test(e.message);
  try {
    const latest = await client.runEval({ runId: id });
    assert.equal(latest.checkpointStep, 6);
    const stored = await final();
    assert.equal(stored?.checkpointStep, 6);

    const older = await client.runEval({ runId: id, checkpointStep: 2 });
    assert.equal(older.checkpointStep, 2);
    assert.equal(older.metrics.recon_mse.baseline, latest.metrics.recon_mse.baseline);
    assert.notEqual(older.metrics.recon_mse.model, latest.metrics.recon_mse.model);
    assert.deepEqual(await final(), stored, "an older checkpoint is not stored as the run's final measures");

    await assert.rejects(
      client.runEval({ runId: id, checkpointStep: 5 }),
      refusedAt('payload.checkpointStep', /^run \S+ has no checkpoint at step 5; it keeps steps 2, 4, 6$/),
    );
    await assert.rejects(client.runEval({ runId: id, checkpointStep: -1 }), refusedAt('payload.checkpointStep', /./));
    await assert.rejects(client.runEval({ runId: id, checkpoint: 2 } as never), refusedAt('payload', /checkpoint/));
    // The dream server survived the refusals and still answers from its cache.
    assert.deepEqual(await client.runEval({ runId: id, checkpointStep: 2 }), older);
    assert.deepEqual(await final(), stored);
  } finally {
    await service.close();
    rmSync(ws, { recursive: true, force: true });
  }
});
