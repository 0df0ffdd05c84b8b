/**
 * Online Dreamer on a built-in control task at a CPU-sized model, then the actor (its mode, no exploration)
 * against uniformly random actions in the real env over 5 episodes with fixed seeds.
 * `npm run eval:dreamer -- [--env cartpole-swingup] [--steps 1000] [--episodes 5] [--seed 0] [--workspace DIR]
 * [--json]`. Exits 1 unless Dreamer's mean return beats random by at least 50 %.
 * Training goes through the shared run machinery (core/runs): random prefill episodes, then one episode
 * collected by the actor (with exploration noise) every `online.trainEvery` steps; after every world-model
 * step the actor-critic learns in imagination from the posterior states of a batch.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../core/tensor/backend.ts';
import { createRun, trainRun } from '../core/runs/trainer.ts';
import { loadRunAgent } from '../core/runs/load-agent.ts';
import { envOptionsOf, scoreInEnv } from '../core/runs/agent-session.ts';

const { values } = parseArgs({
  options: {
    env: { type: 'string', default: 'cartpole-swingup' },
    steps: { type: 'string', default: '1000' },
    episodes: { type: 'string', default: '5' },
    seed: { type: 'string', default: '0' },
    workspace: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const nEval = Number(values.episodes);
const seed = Number(values.seed);
const log = (m: string) => process.stderr.write(`${m}\n`);

const backend = await initBackend();
const workspace = values.workspace ?? mkdtempSync(join(tmpdir(), 'oneiro-dreamer-'));
// CPU-sized Dreamer: the rssm-train-small bench model at 32×32 (deter 64, stoch 16, batch 8 × 24), Dreamer v1's objective
// (free nats 3 on the mean, no continuation head: cartpole never terminates) and actor-critic (H 15, γ 0.99,
// λ 0.95, tanh-normal actor, dynamics backprop), with networks of 3×64 and learning rates raised from the
// paper's 8e-5 to 3e-4 so that a few thousand updates on a CPU can move them; PlaNet's cartpole action repeat 8.
const overrides = {
  image: { size: 32 },
  encoder: { depth: 16, kernels: [4, 4, 4] },
  decoder: { depth: 16, kernels: [5, 6, 6] },
  rssm: { deter: 64, hidden: 64, latent: { kind: 'gaussian', size: 16, minStd: 0.1 } },
  heads: { units: 64, layers: 2, cont: false },
  train: { batch: 8, length: 24, lr: 6e-4 },
  behavior: 'actor-critic',
  actorCritic: {
    horizon: 15,
    actor: { layers: 3, units: 64, lr: 3e-4 },
    critic: { layers: 3, units: 64, lr: 3e-4, slowEvery: 1, slowFraction: 1 },
    explorationNoise: 0.3,
  },
  online: { seedEpisodes: 5, trainEvery: 50, explorationNoise: 0.3, actionRepeat: 8, episodeSteps: 125 },
};
const { id, dir } = await createRun({
  workspace,
  family: 'rssm',
  preset: 'dreamerv1',
  dataset: null,
  env: values.env!,
  seed,
  steps,
  overrides,
  backend: backend.name,
  train: { checkpointEvery: 250, logEvery: 1 },
});
log(`run ${id} in ${dir} (backend ${backend.name})`);
const t0 = Date.now();
const curve: { step: number; train_return: number }[] = [];
const result = await trainRun(dir, {
  log,
  onMetrics: (m) => {
    const r = m['model/train_return'];
    if (typeof r === 'number') {
      curve.push({ step: m.step, train_return: Number(r.toFixed(1)) });
      log(`step ${m.step}: collected an episode with return ${r.toFixed(1)}`);
    }
    if (m.step % 100 === 0 && typeof m['model/actor_loss'] === 'number')
      log(
        `step ${m.step}: model ${Number(m['model/model_loss']).toFixed(1)} actor ${Number(m['model/actor_loss']).toFixed(2)} critic ${Number(m['model/critic_loss']).toFixed(2)} imagined return ${Number(m['model/imag_return']).toFixed(2)}`,
      );
  },
});
const trainMin = (Date.now() - t0) / 60000;
log(`training ${result.state} at step ${result.step} in ${trainMin.toFixed(1)} min`);

const agent = await loadRunAgent(dir);
const score = scoreInEnv(values.env!, envOptionsOf(agent.settings), agent.wm, agent.behavior, nEval, 50_000);
agent.dispose();
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const ok = score.agent >= 1.5 * score.random && score.agent > score.random;
const out = {
  run: id,
  env: values.env,
  backend: backend.name,
  train_steps: result.step,
  train_minutes: Number(trainMin.toFixed(1)),
  learning_curve: curve,
  eval_episodes: nEval,
  dreamer_return_mean: mean(score.agentReturns),
  random_return_mean: mean(score.randomReturns),
  dreamer_returns: score.agentReturns,
  random_returns: score.randomReturns,
  beats_random_by_50_percent: ok,
};
if (values.json) console.log(JSON.stringify(out));
else {
  console.log(`Dreamer online on ${values.env} (${result.step} train steps, ${trainMin.toFixed(1)} min)`);
  console.log(
    `  learning curve (step: collected return): ${curve.map((c) => `${c.step}: ${c.train_return}`).join(', ')}`,
  );
  console.log(
    `  actor (mode): mean return ${out.dreamer_return_mean.toFixed(1)} over ${nEval} episodes  [${score.agentReturns.map((r) => r.toFixed(1)).join(', ')}]`,
  );
  console.log(
    `  random:       mean return ${out.random_return_mean.toFixed(1)} over ${nEval} episodes  [${score.randomReturns.map((r) => r.toFixed(1)).join(', ')}]`,
  );
  console.log(ok ? '  PASS: Dreamer beats random by >= 50 %' : '  FAIL: Dreamer does not beat random by 50 %');
}
process.exit(ok ? 0 : 1);
