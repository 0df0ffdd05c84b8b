// Issue 11: does M use its actions? World Models' teacher-forced next-z NLL and reward error are reported beside
// the same M fed the episode's actions shuffled in time. An M that ignores its actions scores the same on both;
// one whose LSTM reads the actions scores differently.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import { randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { Rng } from '../../../core/util/rng.ts';
import { namedParams, disposeParams } from '../../../core/models/nn.ts';
import { worldModelsFamily } from '../../../core/models/world-models/family.ts';
import { resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import { initVae } from '../../../core/models/world-models/vae.ts';
import { initMdnRnn } from '../../../core/models/world-models/mdn-rnn.ts';

before(async () => {
  await initBackend();
});

async function metricsWith(actionWeight: number | null) {
  const env = makeEnv('cartpole-swingup', { size: 32, maxSteps: 40 });
  const eps = [0, 1].map((i) => rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(i)), i).episode);
  const config = resolveWorldModelsConfig('debug', { controller: { enabled: false } });
  const Z = config.vae.zDim;
  const vae = initVae(config.vae, new Rng(1));
  const rnn = initMdnRnn(config.rnn, { zDim: Z, actionDim: 1 }, new Rng(2));
  // The LSTM input rows of the action (after the zDim rows of z): zero = an M blind to its actions.
  const wx = rnn['rnn/lstm/wx'] as tf.Variable;
  if (actionWeight !== null)
    tf.tidy(() => {
      const [inDim, G] = wx.shape;
      const rows = tf.fill([inDim - Z, G], actionWeight);
      wx.assign(tf.concat([tf.slice(wx, [0, 0], [Z, G]), rows], 0));
    });
  const data = {
    dataset: 'mem',
    env: 'cartpole-swingup',
    actionSpace: env.actionSpace,
    imageSize: 32,
    train: [eps[0]],
    heldOut: [eps[1]],
  };
  const loaded = await worldModelsFamily.loadModel(
    { config, seed: 0, data, runDir: null, log: () => {} },
    { tensors: { ...namedParams(vae), ...namedParams(rnn) }, state: {} },
  );
  disposeParams(vae);
  disposeParams(rnn);
  const m = await loaded.evaluate([eps[1]], { seed: 0, trainEpisodes: [eps[0]] });
  loaded.dispose();
  return m;
}

test("rnn_nll and reward_mse carry a 'shuffled actions' baseline: equal to the model's for an M blind to actions, not for one that reads them", async () => {
  const blind = await metricsWith(0);
  for (const k of ['rnn_nll', 'reward_mse']) {
    const s = blind[k].baselines?.['shuffled actions'];
    assert.ok(Number.isFinite(s), `${k}: a finite shuffled-actions baseline`);
    assert.ok(Math.abs(s! - blind[k].model) < 1e-9, `${k}: blind M ${blind[k].model} vs shuffled ${s}`);
    // `baseline` stays the strongest of the baselines (README "Evaluation").
    assert.equal(blind[k].baseline, Math.min(...Object.values(blind[k].baselines!)));
    assert.equal(blind[k].baselines![blind[k].baseline_name], blind[k].baseline);
  }
  const reads = await metricsWith(2);
  for (const k of ['rnn_nll', 'reward_mse']) {
    const s = reads[k].baselines!['shuffled actions'];
    assert.ok(
      Math.abs(s - reads[k].model) > 1e-6,
      `${k}: an M that reads its actions ${reads[k].model} vs shuffled ${s}`,
    );
  }
});
