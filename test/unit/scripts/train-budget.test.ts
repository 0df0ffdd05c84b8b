// The eval scripts' training budget (scripts/train-budget.ts): a run stops at its steps or at the clock, whichever
// comes first, and the clock is gone once training is.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../core/tensor/backend.ts';
import { createRun } from '../../../core/runs/trainer.ts';
import { trainWithin } from '../../../scripts/train-budget.ts';
import { cartpoleTrainData } from '../data/helpers.ts';

let ws = '';
let backend = '';

before(async () => {
  backend = (await initBackend()).name;
  ws = mkdtempSync(join(tmpdir(), 'oneiro-train-budget-'));
});
after(() => rmSync(ws, { recursive: true, force: true }));

/** A debug RSSM run of `steps` steps on in-memory cartpole episodes (as eval:representations trains). */
async function newRun(steps: number): Promise<string> {
  const run = await createRun({
    workspace: ws,
    family: 'rssm',
    preset: 'debug',
    dataset: null,
    env: 'cartpole-swingup',
    steps,
    backend,
    train: { checkpointEvery: 1000, logEvery: 1 },
  });
  return run.dir;
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('trainWithin: the steps end a run inside its minutes, and the clock is cleared', async () => {
  const dir = await newRun(2);
  const before = timeouts();
  const { result, minutes } = await trainWithin(dir, 30, {
    data: cartpoleTrainData(),
    backend,
    tensorboard: false,
    log: () => {},
  });
  assert.equal(result.state, 'completed');
  assert.equal(result.step, 2);
  assert.ok(minutes > 0 && minutes < 30, `${minutes}`);
  assert.equal(timeouts(), before, 'no timer left behind');
});

test('trainWithin: the minutes end a run before its steps', async () => {
  const dir = await newRun(100_000);
  const { result, minutes } = await trainWithin(dir, 0.002, {
    data: cartpoleTrainData(),
    backend,
    tensorboard: false,
    log: () => {},
  });
  assert.equal(result.state, 'paused');
  assert.ok(result.step < 100_000, `${result.step}`);
  assert.ok(minutes >= 0.002, `${minutes}`);
});
