import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { saveCheckpoint } from '../../../core/runs/checkpoints.ts';
import { loadAveragedCheckpoint, parseAverageSteps } from '../../../core/runs/checkpoint-average.ts';

/** A run folder holding checkpoints at the given steps, written by the trainer's own saveCheckpoint. */
async function runWith(
  ckpts: { step: number; phase?: [number, string, number]; tensors: () => Record<string, tf.Tensor> }[],
) {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-avg-'));
  for (const c of ckpts) {
    const tensors = c.tensors();
    await saveCheckpoint(
      dir,
      {
        family: 'rssm',
        runId: 'r',
        backend: 'cpu',
        phaseIndex: c.phase?.[0] ?? 0,
        phase: c.phase?.[1] ?? 'model',
        step: c.phase?.[2] ?? c.step,
        globalStep: c.step,
        state: { adamT: c.step },
      },
      tensors,
      100,
    );
    tf.dispose(Object.values(tensors));
  }
  return dir;
}

test('loadAveragedCheckpoint: every float tensor is the mean over the checkpoints, the newest meta comes with it', async () => {
  await tf.setBackend('cpu');
  const w = (a: number[]) => () => ({
    'model/w': tf.tensor(a, [2, 2]),
    'model/b': tf.tensor([a[0] * 10], [1]),
    'model/mask': tf.tensor([1, 0, 1], [3], 'int32'),
  });
  const dir = await runWith([
    { step: 300, tensors: w([1, 2, 3, 4]) },
    { step: 600, tensors: w([3, 2, 1, 0]) },
    // The last checkpoint of a run is taken as its phase ends: 'done', step 0 of the phase after the last.
    { step: 900, phase: [1, 'done', 0], tensors: w([2, 5, -1, 2]) },
  ]);
  try {
    const before = tf.memory().numTensors;
    const ck = loadAveragedCheckpoint(dir, 'r', [300, 600, 900]);
    assert.deepEqual(Array.from(ck.tensors['model/w'].dataSync()), [2, 3, 1, 2]);
    assert.deepEqual(Array.from(ck.tensors['model/b'].dataSync()), [20]);
    assert.equal(ck.tensors['model/mask'].dtype, 'int32', 'a non-float tensor is kept as it is');
    assert.deepEqual(Array.from(ck.tensors['model/mask'].dataSync()), [1, 0, 1]);
    assert.equal(ck.meta.globalStep, 900);
    assert.deepEqual(ck.meta.state, { adamT: 900 });
    // Two of three: another mean, so the steps asked for are the ones averaged.
    const two = loadAveragedCheckpoint(dir, 'r', [300, 600]);
    assert.deepEqual(Array.from(two.tensors['model/w'].dataSync()), [2, 2, 2, 2]);
    assert.equal(two.meta.globalStep, 600);
    tf.dispose([...Object.values(ck.tensors), ...Object.values(two.tensors)]);
    assert.equal(tf.memory().numTensors, before, 'the checkpoints read are freed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadAveragedCheckpoint refuses, in one line, what cannot be averaged', async () => {
  await tf.setBackend('cpu');
  const dir = await runWith([
    { step: 1, phase: [0, 'vae', 1], tensors: () => ({ a: tf.tensor([1]), i: tf.tensor([1], [1], 'int32') }) },
    // The vae phase's last checkpoint names the rnn phase at its step 0: its weights are still the vae phase's.
    { step: 2, phase: [1, 'rnn', 0], tensors: () => ({ a: tf.tensor([1]), i: tf.tensor([1], [1], 'int32') }) },
    { step: 6, phase: [1, 'rnn', 1], tensors: () => ({ a: tf.tensor([1]), i: tf.tensor([1], [1], 'int32') }) },
    { step: 3, phase: [1, 'rnn', 2], tensors: () => ({ a: tf.tensor([1]), i: tf.tensor([2], [1], 'int32') }) },
    { step: 4, phase: [1, 'rnn', 3], tensors: () => ({ a: tf.tensor([1, 2]), i: tf.tensor([2], [1], 'int32') }) },
    { step: 5, phase: [1, 'rnn', 4], tensors: () => ({ b: tf.tensor([1]), i: tf.tensor([2], [1], 'int32') }) },
  ]);
  try {
    const before = tf.memory().numTensors;
    const refused = (steps: number[], message: RegExp) =>
      assert.throws(
        () => loadAveragedCheckpoint(dir, 'r', steps),
        (e: Error) => message.test(e.message) && !e.message.includes('\n'),
      );
    refused(
      [2, 6],
      /steps 2 and 6 were trained in different phases \(the phase before 'rnn' and 'rnn'\): average checkpoints of one phase/,
    );
    const vae = loadAveragedCheckpoint(dir, 'r', [1, 2]);
    tf.dispose(Object.values(vae.tensors));
    refused([3, 6], /the int32 tensor 'i' differs between steps 3 and 6; only float weights can be averaged/);
    refused([3, 4], /tensor 'a' is float32 \[2\] at step 4 and float32 \[1\] at step 3/);
    refused([4, 5], /the checkpoint at step 5 holds other tensors than step 4's/);
    refused([2, 7], /run r has no checkpoint at step 7; it keeps steps 1, 2, 3, 4, 5, 6/);
    assert.equal(tf.memory().numTensors, before, 'a refusal leaks no tensor');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseAverageSteps: distinct non-negative steps, at least 2, sorted; anything else one line naming it', () => {
  assert.deepEqual(parseAverageSteps('1500, 900,1200'), [900, 1200, 1500]);
  for (const [bad, message] of [
    ['900', /give at least 2 steps/],
    ['900,900', /step 900 is listed twice/],
    ['900,x', /'x' is not a step; expected kept checkpoint steps separated by commas/],
    ['900,-3', /'-3' is not a step/],
    ['900,1.5', /'1.5' is not a step/],
    ['900,', /'' is not a step/],
    ['__proto__,1', /'__proto__' is not a step/],
  ] as const)
    assert.throws(() => parseAverageSteps(bad), message, bad);
});
