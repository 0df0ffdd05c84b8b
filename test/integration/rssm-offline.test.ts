import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../core/tensor/backend.ts';
import { makeEnv } from '../../core/envs/registry.ts';
import { addEpisode, createDataset } from '../../core/data/dataset.ts';
import { seededEpisodeName } from '../../core/data/episode-file.ts';
import { randomPolicy } from '../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../core/agents/rollout.ts';
import { Rng } from '../../core/util/rng.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { evaluateRun } from '../../core/runs/evaluate.ts';

// Offline RSSM (debug preset) on a dataset of a built-in env through the shared run machinery:
// held-out 10-step open-loop image MSE must beat copy-last-frame.
const ENV = 'cartpole-swingup';
const EPISODES = Number(process.env.RSSM_IT_EPISODES ?? 24);
const STEPS = Number(process.env.RSSM_IT_STEPS ?? 600);

test(
  `rssm offline on ${ENV}: 10-step open-loop MSE below copy-last-frame on held-out episodes`,
  { timeout: 300_000 },
  async () => {
    await initBackend();
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-rssm-'));
    try {
      const env = makeEnv(ENV, { size: 32 });
      const ds = createDataset(ws, 'cp', {
        env: ENV,
        observationShape: [32, 32, 3],
        actionSpace: env.actionSpace as { kind: 'box'; shape: number[]; low: number[]; high: number[] },
        source: { kind: 'test' },
      });
      // Names from (seed, index): the held-out split hashes file names, so random names drew another split each run.
      for (let i = 0; i < EPISODES; i++) {
        const ep = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), 100 + i).episode;
        addEpisode(ds, ep, { file: seededEpisodeName(ep, 0, i) });
      }
      const t0 = Date.now();
      const { dir } = await createRun({
        workspace: ws,
        family: 'rssm',
        preset: 'debug',
        dataset: 'cp',
        steps: STEPS,
        train: { checkpointEvery: STEPS, logEvery: 50 },
      });
      const tensorsBefore = tf.memory().numTensors;
      const result = await trainRun(dir, { log: () => {} });
      assert.equal(result.state, 'completed', result.message);
      const trainSec = (Date.now() - t0) / 1000;
      // A per-step leak would leave >= STEPS tensors. (nn.ts's Adam constructor leaves its 2·#params zerosLike
      // initial tensors registered once per model — reported to the World Models helper; not per step.)
      const left = tf.memory().numTensors - tensorsBefore;
      assert.ok(left < STEPS / 2, `training left ${left} tensors behind over ${STEPS} steps`);
      const afterTrain = tf.memory().numTensors;
      const report = await evaluateRun(dir);
      const leftEval = tf.memory().numTensors - afterTrain;
      assert.ok(leftEval < STEPS / 2, `evaluation left ${leftEval} tensors behind`);
      const m = report.metrics['openloop_mse@10'];
      console.log(
        `rssm offline ${ENV}: ${EPISODES} episodes, ${STEPS} steps in ${trainSec.toFixed(0)} s; held-out ${report.episodes} episodes:`,
        JSON.stringify(report.metrics),
      );
      assert.ok(m, 'openloop_mse@10 reported');
      const copyLast = m.baselines!['copy-last-frame'];
      assert.ok(m.model < copyLast, `openloop_mse@10 ${m.model} should be below copy-last-frame ${copyLast}`);
      for (const h of [1, 5, 10, 20, 50]) assert.ok(report.metrics[`openloop_mse@${h}`], `openloop_mse@${h} reported`);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
