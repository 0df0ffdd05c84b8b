// The eval scripts' training budget (scripts/train-budget.ts): a run stops at its steps or at the clock, whichever
// comes first, and the clock is gone once training is.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { addEpisode, createDataset } from '../../../core/data/dataset.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { createRun } from '../../../core/runs/trainer.ts';
import { Rng } from '../../../core/util/rng.ts';
import { trainWithin } from '../../../scripts/train-budget.ts';

let ws = '';
let backend = '';

before(async () => {
  backend = (await initBackend()).name;
  ws = mkdtempSync(join(tmpdir(), 'oneiro-train-budget-'));
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 24 });
  const ds = createDataset(ws, 'cp', {
    env: 'cartpole-swingup',
    observationShape: [32, 32, 3],
    actionSpace: env.actionSpace as { kind: 'box'; shape: number[]; low: number[]; high: number[] },
    source: { kind: 'collect', policy: 'random', seed: 0 },
  });
  const rng = new Rng(0);
  for (let i = 0; i < 4; i++) addEpisode(ds, rolloutEpisode(env, randomPolicy(env.actionSpace, rng), i).episode);
});

async function newRun(steps: number): Promise<string> {
  const run = await createRun({
    workspace: ws,
    family: 'rssm',
    preset: 'debug',
    dataset: 'cp',
    steps,
    backend,
    train: { checkpointEvery: 1000, logEvery: 1, heldOutFraction: 0.5 },
  });
  return run.dir;
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('trainWithin: the steps end a run inside its minutes, and the clock is cleared', async () => {
  const dir = await newRun(2);
  const before = timeouts();
  const { result, minutes } = await trainWithin(dir, 30, { backend, tensorboard: false, log: () => {} });
  assert.equal(result.state, 'completed');
  assert.equal(result.step, 2);
  assert.ok(minutes > 0 && minutes < 30, `${minutes}`);
  assert.equal(timeouts(), before, 'no timer left behind');
});

test('trainWithin: the minutes end a run before its steps', async () => {
  const dir = await newRun(100_000);
  const { result, minutes } = await trainWithin(dir, 0.002, { backend, tensorboard: false, log: () => {} });
  assert.equal(result.state, 'paused');
  assert.ok(result.step < 100_000, `${result.step}`);
  assert.ok(minutes >= 0.002, `${minutes}`);
});
