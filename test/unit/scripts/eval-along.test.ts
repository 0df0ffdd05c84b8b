// Evaluations along a training run (scripts/eval-along.ts, issue 11 item 2's budget table): they must not change
// what is trained, each row must be the checkpoint of its step, and its times must leave the evaluations out.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { addEpisode, createDataset } from '../../../core/data/dataset.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { createRun, trainRun } from '../../../core/runs/trainer.ts';
import { loadCheckpoint } from '../../../core/runs/checkpoints.ts';
import { evaluateRun, type EvalReport } from '../../../core/runs/evaluate.ts';
import type { EvalMetric } from '../../../core/models/family.ts';
import { Rng } from '../../../core/util/rng.ts';
import {
  fgRatioText,
  firstMet,
  formatRows,
  rowVerdict,
  trainWithEvals,
  type EvalRow,
} from '../../../scripts/eval-along.ts';

let ws = '';
let backend = '';

before(async () => {
  backend = (await initBackend()).name;
  // One dataset for every run: episode ids (hence the held-out split) are drawn anew by each collection.
  ws = mkdtempSync(join(tmpdir(), 'oneiro-eval-along-'));
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 24 });
  const ds = createDataset(ws, 'cp', {
    env: 'cartpole-swingup',
    observationShape: [32, 32, 3],
    actionSpace: env.actionSpace as { kind: 'box'; shape: number[]; low: number[]; high: number[] },
    source: { kind: 'collect', policy: 'random', seed: 0 },
  });
  const rng = new Rng(0);
  for (let i = 0; i < 6; i++) addEpisode(ds, rolloutEpisode(env, randomPolicy(env.actionSpace, rng), i).episode);
});

/** A debug RSSM run of `steps` steps on the shared dataset, a checkpoint every 2 steps. */
async function newRun(steps: number): Promise<string> {
  const run = await createRun({
    workspace: ws,
    family: 'rssm',
    preset: 'debug',
    dataset: 'cp',
    seed: 1,
    steps,
    backend,
    train: { checkpointEvery: 2, logEvery: 1, heldOutFraction: 0.5, keepCheckpoints: 10 },
  });
  return run.dir;
}

function weights(runDir: string, name?: string): Map<string, Float32Array> {
  const ck = loadCheckpoint(runDir, name)!;
  const out = new Map<string, Float32Array>();
  for (const [k, t] of Object.entries(ck.tensors)) {
    out.set(k, Float32Array.from(t.dataSync() as Float32Array));
    t.dispose();
  }
  return out;
}

test('evaluating every checkpoint leaves training bit for bit as it is without evaluations', async () => {
  const plain = await newRun(4);
  await trainRun(plain, { backend, tensorboard: false });
  const along = await newRun(4);
  const { result, rows } = await trainWithEvals(along, { backend });
  assert.equal(result.state, 'completed');
  // Every checkpoint evaluated once, each row the checkpoint of its own step.
  assert.deepEqual(
    rows.map((r) => r.step),
    [2, 4],
  );
  for (const r of rows) assert.equal(r.report.checkpoint_step, r.step);
  assert.ok(rows.every((r) => Number.isFinite(rowVerdict(r.report).fg)));
  const a = weights(plain);
  const b = weights(along);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let moved = false;
  const first = weights(plain, 'ckpt-00000002');
  for (const [k, v] of a) {
    assert.deepEqual(b.get(k), v, `tensor ${k} differs after training with evaluations`);
    if (first.get(k)!.some((x, i) => x !== v[i])) moved = true;
  }
  assert.ok(moved, 'the weights at step 4 differ from step 2: the comparison saw training happen');
});

test('rows take evaluation time out of training wall and CPU time; --eval-every skips checkpoints but not the last', async () => {
  const dir = await newRun(6);
  const busyMs = 500;
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  const { rows, trainMin } = await trainWithEvals(dir, {
    backend,
    evalEvery: 4,
    evaluate: async (d) => {
      const until = performance.now() + busyMs;
      while (performance.now() < until); // CPU-bound, so CPU time would count it too
      return evaluateRun(d, { backend });
    },
  });
  const wallMin = (performance.now() - w0) / 60000;
  const c = process.cpuUsage(c0);
  const cpuMin = (c.user + c.system) / 60e6;
  assert.deepEqual(
    rows.map((r) => r.step),
    [4, 6],
  );
  const evalMin = rows.reduce((n, r) => n + r.evalMin, 0);
  assert.ok(evalMin >= (2 * busyMs) / 60000, `evaluations took ${evalMin} min`);
  assert.ok(
    trainMin <= wallMin - evalMin + 1e-3,
    `train ${trainMin} min of wall ${wallMin} with ${evalMin} evaluating`,
  );
  assert.ok(rows[0].trainMin < rows[1].trainMin);
  // CPU: the busy loops count as evaluation CPU, and the last row's training CPU leaves both evaluations out.
  const evalCpuMin = rows.reduce((n, r) => n + r.evalCpuMin, 0);
  assert.ok(evalCpuMin >= (0.8 * 2 * busyMs) / 60000, `evaluations used ${evalCpuMin} CPU min`);
  assert.ok(rows[1].trainCpuMin <= cpuMin - evalCpuMin + 1e-3, `CPU ${rows[1].trainCpuMin} of ${cpuMin}`);
});

test('a training-time budget stops the run and evaluates where it stopped', async () => {
  const dir = await newRun(20);
  const { result, rows, stoppedByBudget } = await trainWithEvals(dir, { backend, minutes: 1e-5 });
  assert.equal(stoppedByBudget, true);
  assert.equal(result.state, 'paused');
  assert.ok(result.step < 20);
  assert.equal(rows.at(-1)!.step, result.step);
});

function fakeReport(fg: number, fgMean: number, full: number, fullMean: number, r2: number[]): EvalReport {
  const metric = (model: number, baselines: Record<string, number>): EvalMetric => ({
    model,
    baseline: Object.values(baselines)[0],
    baseline_name: Object.keys(baselines)[0],
    baselines,
  });
  const metrics: Record<string, EvalMetric> = {
    'openloop_fg_mse@10': metric(fg, { 'mean-frame': fgMean, 'copy-last-frame': 1 }),
    'openloop_mse@10': metric(full, { 'mean-frame': fullMean }),
  };
  ['cart position', 'cos pole angle', 'sin pole angle'].forEach((k, i) => {
    metrics[`probe_r2/${k}@0`] = metric(r2[i], { 'random-init model': 0.1 });
  });
  return {
    run: 'r',
    episodes: 1,
    checkpoint_step: 0,
    openloop_context: 'episode',
    metrics,
    foreground_fraction: 0.01,
    notes: [],
  };
}

test('the targets: fg@10 ≤ 50% of the mean frame with the full frame not worse, and R² ≥ 0.8 on all three', () => {
  assert.equal(rowVerdict(fakeReport(0.05, 0.1, 0.001, 0.001, [0.8, 0.9, 0.85])).met, true);
  assert.equal(rowVerdict(fakeReport(0.051, 0.1, 0.001, 0.001, [0.8, 0.9, 0.85])).met, false);
  assert.equal(rowVerdict(fakeReport(0.03, 0.1, 0.0011, 0.001, [0.8, 0.9, 0.85])).met, false);
  assert.equal(rowVerdict(fakeReport(0.03, 0.1, 0.001, 0.001, [0.8, 0.79, 0.85])).met, false);
  const row = (step: number, report: EvalReport): EvalRow => ({
    step,
    trainMin: step,
    trainCpuMin: step,
    load: 0,
    evalMin: 0,
    evalCpuMin: 0,
    report,
  });
  const rows = [
    row(1, fakeReport(0.06, 0.1, 0.001, 0.001, [0.9, 0.9, 0.9])),
    row(2, fakeReport(0.04, 0.1, 0.001, 0.001, [0.9, 0.9, 0.9])),
    row(3, fakeReport(0.03, 0.1, 0.001, 0.001, [0.9, 0.9, 0.9])),
  ];
  assert.equal(firstMet(rows)?.step, 2);
  assert.equal(firstMet(rows.slice(0, 1)), null);
});

test("fg@10 / mean-frame with its interval over held-out episodes in measure-small's lines and table; reports without one, the ratio alone", () => {
  const report = fakeReport(0.03, 0.05, 0.001, 0.001, [0.9, 0.9, 0.9]);
  const fg = report.metrics['openloop_fg_mse@10'];
  assert.equal(fgRatioText(rowVerdict(report)), '0.60', 'no interval in the report');
  fg.ratio_baseline = 'mean-frame';
  fg.ratio_ci95 = [0.493, 0.7];
  assert.equal(fgRatioText(rowVerdict(report)), '0.60 [0.49, 0.70]');
  fg.ratio_ci95 = [NaN, NaN];
  assert.equal(fgRatioText(rowVerdict(report)), '0.60', 'one held-out episode: no interval');
  fg.ratio_ci95 = [0.493, 0.7];
  // The interval (read through core/contract/eval-ratio.ts) counts only when it is of the ratio to the mean frame.
  fg.ratio_baseline = 'shuffled actions';
  assert.equal(fgRatioText(rowVerdict(report)), '0.60', 'an interval of another ratio');
  fg.ratio_baseline = 'mean-frame';
  const row: EvalRow = { step: 5, trainMin: 1, trainCpuMin: 1, load: 0, evalMin: 0, evalCpuMin: 0, report };
  assert.match(formatRows([row]), /\| ratio \[95 %\] \|/);
  assert.match(formatRows([row]), /\| 0\.0300 \| 0\.0500 \| 0\.60 \[0\.49, 0\.70\] \|/);
});

test('measure-small refuses a bad --eval-every or --minutes in one line naming the flag, before any work', () => {
  for (const [flag, value] of [
    ['--eval-every', '0'],
    ['--eval-every', '2.5'],
    ['--minutes', '-1'],
  ]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/measure-small.ts', 'rssm', `${flag}=${value}`], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, `${flag} ${value}: exit ${r.status}, stderr ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`${flag} must be a positive .*got '${value}'`));
  }
});
