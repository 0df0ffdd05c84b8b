/**
 * PlaNet's online loop on a built-in control task, then CEM (no exploration noise) against random actions in
 * the real env. `npm run eval:planet -- [--env cartpole-swingup] [--steps 2000] [--episodes 5] [--seed 0]
 * [--preset debug] [--size 32] [--workspace DIR] [--json]`.
 * Training goes through the shared run machinery (core/runs) with the RSSM family's online session:
 * seed episodes with random actions, then one planner episode (noise 0.3) every `online.trainEvery` steps.
 * Claim: the CEM planner's mean real-env return beats uniform random actions on the same env seeds; the script
 * prints the table and exits 1 when it does not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../core/tensor/backend.ts';
import { makeEnv } from '../core/envs/registry.ts';
import { createRun, trainRun } from '../core/runs/trainer.ts';
import { loadCheckpoint } from '../core/runs/checkpoints.ts';
import { readRunConfig } from '../core/runs/run-dir.ts';
import { assignParams } from '../core/models/nn.ts';
import { parseRssmConfig, withActionDim } from '../core/models/rssm/config.ts';
import { actionDimOf } from '../core/models/rssm/family.ts';
import { onlineTrainData } from '../core/runs/episode-store.ts';
import { RssmLatentModel } from '../core/models/rssm/latent-model.ts';
import { createRssmModel, disposeRssmModel } from '../core/models/rssm/world-model.ts';
import { CemPlanner } from '../core/agents/cem.ts';
import { LatentAgent } from '../core/agents/latent-agent.ts';
import { randomPolicy } from '../core/agents/random-agents.ts';
import { rolloutEpisode } from '../core/agents/rollout.ts';
import { Rng } from '../core/util/rng.ts';
import { checkBeats, flagError, numFlag, pairedDifference, summarize, parseFlags } from './claim.ts';

const { values } = parseFlags('eval:planet', {
  options: {
    env: { type: 'string', default: 'cartpole-swingup' },
    steps: { type: 'string', default: '2000' },
    episodes: { type: 'string', default: '5' },
    seed: { type: 'string', default: '0' },
    preset: { type: 'string', default: 'debug' },
    size: { type: 'string', default: '32' },
    workspace: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
// Checked before the backend loads: a bad flag is one line and exit 2 (claim.ts), never NaN steps or a stack.
const steps = numFlag('eval:planet', 'steps', values.steps, 1);
const nEval = numFlag('eval:planet', 'episodes', values.episodes, 1);
const seed = numFlag('eval:planet', 'seed', values.seed, 0);
// The encoder and decoder kernels below are laid out for these two sizes only.
const size = numFlag('eval:planet', 'size', values.size, 32, 64);
if (size !== 32 && size !== 64) flagError('eval:planet', `--size must be 32 or 64, got '${values.size}'`);
const log = (m: string) => process.stderr.write(`${m}\n`);

const backend = await initBackend();
const workspace = values.workspace ?? mkdtempSync(join(tmpdir(), 'oneiro-planet-'));
// A small PlaNet: the rssm-small bench size, PlaNet's planner and collection (mission-anchors §1.2), at 32×32.
const overrides = {
  image: { size },
  encoder: { depth: 16, kernels: size === 64 ? [4, 4, 4, 4] : [4, 4, 4] },
  decoder: { depth: 16, kernels: size === 64 ? [5, 5, 6, 6] : [5, 6, 6] },
  rssm: { deter: 64, hidden: 64, latent: { kind: 'gaussian', size: 16, minStd: 0.1 } },
  heads: { units: 64, layers: 2 },
  loss: { freeNats: 3, freeNatsPlacement: 'element', rewardScale: 10 },
  train: { batch: 16, length: 32, lr: 1e-3 },
  planner: { horizon: 12, candidates: 1000, topK: 100, iterations: 10 },
  online: { seedEpisodes: 5, trainEvery: 100, explorationNoise: 0.3, actionRepeat: 8, episodeSteps: 125 },
};
const { id, dir } = await createRun({
  workspace,
  family: 'rssm',
  preset: values.preset!,
  dataset: null,
  env: values.env!,
  seed,
  steps,
  overrides,
  backend: backend.name,
  train: { checkpointEvery: 500, logEvery: 1 },
});
log(`run ${id} in ${dir} (backend ${backend.name})`);
const t0 = Date.now();
const trainReturns: number[] = [];
const result = await trainRun(dir, {
  data: onlineTrainData(values.env!, size),
  log,
  onMetrics: (m) => {
    const r = m['model/train_return'];
    if (typeof r === 'number') trainReturns.push(r);
    if (m.step % 250 === 0 && typeof m['model/model_loss'] === 'number')
      log(
        `step ${m.step}: loss ${Number(m['model/model_loss']).toFixed(1)} image ${Number(m['model/image_loss']).toFixed(1)} reward ${Number(m['model/reward_loss']).toFixed(3)} kl ${Number(m['model/kl']).toFixed(2)}`,
      );
  },
});
const trainMin = (Date.now() - t0) / 60000;
log(`training ${result.state} at step ${result.step} in ${trainMin.toFixed(1)} min`);
if (result.state !== 'completed') {
  console.error(`training ended ${result.state}: ${result.message ?? ''}`);
  process.exit(1);
}

// Real-env evaluation: CEM without noise vs uniform random actions, same env seeds.
const config = withActionDim(parseRssmConfig(readRunConfig(dir).model), actionDimOf(makeEnv(values.env!).actionSpace));
const ck = loadCheckpoint(dir)!;
const model = createRssmModel(config, seed);
assignParams(model.params, ck.tensors, 'model/');
tf.dispose(Object.values(ck.tensors));
const env = makeEnv(values.env!, {
  size,
  actionRepeat: config.online.actionRepeat,
  maxSteps: config.online.episodeSteps,
});
const cem: number[] = [];
const random: number[] = [];
const t1 = Date.now();
for (let i = 0; i < nEval; i++) {
  const envSeed = 50_000 + i;
  const wm = new RssmLatentModel(model.params, config, env.actionSpace);
  const agent = new LatentAgent(wm, new CemPlanner(config.planner), {
    noise: 0,
    seed: envSeed,
    frameSize: size,
    explore: false,
  });
  cem.push(rolloutEpisode(env, agent, envSeed).ret);
  agent.dispose();
  random.push(rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(envSeed)), envSeed).ret);
  log(`eval episode ${i}: cem ${cem[i].toFixed(1)}, random ${random[i].toFixed(1)}`);
}
const msPerAction = (Date.now() - t1) / (nEval * config.online.episodeSteps);
disposeRssmModel(model);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const out = {
  run: id,
  env: values.env,
  backend: backend.name,
  train_steps: result.step,
  train_minutes: Number(trainMin.toFixed(1)),
  episodes_collected: trainReturns.length + config.online.seedEpisodes,
  train_returns: trainReturns.map((r) => Number(r.toFixed(1))),
  eval_episodes: nEval,
  cem_return_mean: mean(cem),
  random_return_mean: mean(random),
  cem_returns: cem,
  random_returns: random,
  ms_per_eval_action_incl_random: Number(msPerAction.toFixed(1)),
};
const claim = 'CEM planning in the trained PlaNet model beats random actions in the real env';
if (!values.json)
  console.log(
    `PlaNet online on ${values.env} (${result.step} train steps, ${out.episodes_collected} episodes collected, ${trainMin.toFixed(1)} min, ${backend.name})`,
  );
const paired = pairedDifference(cem, random);
const holds = checkBeats(claim, summarize('cem (no noise)', cem), summarize('random', random), !values.json, paired);
if (values.json) console.log(JSON.stringify({ ...out, claim, claim_holds: holds, paired }));
