/**
 * The controller phase alone, on a trained World Models run's V and M: a new run starts at the controller phase
 * (seedRunFrom 'controller': V and M untouched, CMA-ES from θ = 0) with other controller settings, trains C in
 * the dream, and scores it in the real env against a random policy on tracks eval:world-models never uses. One
 * controller setting costs 1.5–3 min on 2 cores instead of a whole eval:world-models seed (15–45 min), so the
 * dream's levers (τ, population, dream length, rollouts, σ) can be compared on the same M.
 * Claim: the controller beats the random policy in mean real return on these tracks; exits 1 when it does not.
 * `node --import tsx scripts/world-models-controller-only.ts --run RUN_DIR [--generations 20] [--population 16]
 * [--temperature τ] [--dream-steps 300] [--rollouts 4] [--sigma 0.1] [--starts-along 0…1] [--episodes 5] [--eval-steps = the env's episode]
 * [--seed 0] [--json]` (the run's workspace gets the new run; unset controller flags keep the run's own).
 */
import { basename, dirname } from 'node:path';
import { loadavg } from 'node:os';
import { initBackend } from '../core/tensor/backend.ts';
import { createRun, trainRun } from '../core/runs/trainer.ts';
import { readRunConfig } from '../core/runs/run-dir.ts';
import { openRunModel } from '../core/runs/load.ts';
import { behaviorOf } from '../core/runs/trained-behavior.ts';
import { scoreInEnv } from '../core/runs/agent-session.ts';
import { checkBeats, flagError, numFlag, pairedDifference, parseFlags, summarize } from './claim.ts';
import { seedRunFrom } from '../core/runs/seed-from.ts';

const S = 'world-models-controller-only';
const { values } = parseFlags(S, {
  options: {
    run: { type: 'string' },
    generations: { type: 'string' },
    population: { type: 'string' },
    temperature: { type: 'string' },
    'dream-steps': { type: 'string' },
    rollouts: { type: 'string' },
    sigma: { type: 'string' },
    /** Fraction of dreams started along the recorded episodes with M's filtered state (controller.startsAlong). */
    'starts-along': { type: 'string' },
    episodes: { type: 'string', default: '5' },
    /** Env steps of a scored episode; default the env's own episode at the data's action repeat. */
    'eval-steps': { type: 'string' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
if (!values.run) flagError(S, '--run must name a finished World Models run directory');
const from = (() => {
  try {
    return readRunConfig(values.run!);
  } catch (e) {
    return flagError(S, `--run: ${(e as Error).message}`);
  }
})();
if (from.family !== 'world-models') flagError(S, `--run must be a World Models run, got a ${from.family} run`);
const env = from.source.env;
if (!env) flagError(S, `run ${from.id} names no env to score the controller in`);
const opt = (k: keyof typeof values, min: number, max?: number) =>
  values[k] === undefined ? {} : { [k]: numFlag(S, k, values[k] as string, min, max) };
const c = {
  ...opt('generations', 1),
  ...opt('population', 4),
  ...opt('temperature', 0.01, 10),
  ...(values['dream-steps'] === undefined ? {} : { dreamLength: numFlag(S, 'dream-steps', values['dream-steps'], 1) }),
  ...(values.rollouts === undefined ? {} : { rolloutsPerCandidate: numFlag(S, 'rollouts', values.rollouts, 1) }),
  ...(values.sigma === undefined ? {} : { sigmaInit: numFlag(S, 'sigma', values.sigma, 1e-6, 10) }),
  ...(values['starts-along'] === undefined
    ? {}
    : { startsAlong: numFlag(S, 'starts-along', values['starts-along'], 0, 1) }),
};
const episodes = numFlag(S, 'episodes', values.episodes, 1, 1000);
const seed = numFlag(S, 'seed', values.seed, 0);
// Tracks of their own: eval:world-models scores on 3_000_000 + seed + e and collects below 3_000_000 and from
// 20_000_000 up (world-models-iterate.ts), so tuning here never sees the gate's tracks.
const tracks = 7_000_000 + seed * 1000;

const t0 = performance.now();
const backend = await initBackend();
const model = from.model as { controller: Record<string, unknown> };
const { dir } = await createRun({
  workspace: dirname(dirname(values.run)),
  family: 'world-models',
  preset: from.preset,
  dataset: from.source.dataset,
  seed,
  overrides: { ...(from.model as object), controller: { ...model.controller, enabled: true, ...c } },
  backend: backend.name,
  train: { logEvery: 50 },
});
await seedRunFrom(values.run, dir, 'controller');
let dream = NaN;
const result = await trainRun(dir, {
  log: () => {},
  tensorboard: false,
  onMetrics: (r) => {
    if (typeof r['controller/dream_return_mean'] === 'number') dream = r['controller/dream_return_mean'];
  },
});
if (result.state !== 'completed') flagError(S, `the controller phase ended ${result.state}: ${result.message ?? ''}`);
const opened = await openRunModel(dir);
const tb = opened.model.trainedBehavior?.();
if (!tb || !opened.model.latent) flagError(S, `run ${basename(dir)} holds no trained controller`);
const behavior = behaviorOf(tb);
const cfg = opened.config.model as { controller: { dreamLength: number; temperature: number; population: number } };
// At the action repeat the run's data was collected at, as its M and C were trained (TrainData.actionRepeat).
const repeat = opened.data.actionRepeat ?? null;
const scored = scoreInEnv(
  env,
  {
    size: opened.model.imageSize,
    ...(repeat !== null ? { actionRepeat: repeat } : {}),
    ...(values['eval-steps'] === undefined ? {} : { maxSteps: numFlag(S, 'eval-steps', values['eval-steps'], 1) }),
  },
  opened.model.latent(),
  behavior,
  episodes,
  tracks,
  cfg.controller.dreamLength,
);
behavior.dispose();
opened.model.dispose();
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const realPrefix = meanOf(scored.agentPrefixReturns);
const randomPrefix = meanOf(scored.randomPrefixReturns);
const controller = summarize('controller', scored.agentReturns);
const random = summarize('random', scored.randomReturns);
const claim = `a controller trained only in the dream of ${from.id}'s M beats a random policy in the real env`;
const paired = pairedDifference(controller.returns, random.returns);
const holds = checkBeats(claim, controller, random, !values.json, paired);
const row = {
  from: from.id,
  run: basename(dir),
  controller: cfg.controller,
  real: controller,
  random,
  paired,
  dream_return: dream,
  real_return_over_dream_length: realPrefix,
  random_return_over_dream_length: randomPrefix,
  claim_holds: holds,
  seconds: (performance.now() - t0) / 1000,
  load_average: loadavg().map((x) => Number(x.toFixed(2))),
};
if (values.json) console.log(JSON.stringify(row));
else
  console.log(
    `  dream ${dream.toFixed(1)} over ${cfg.controller.dreamLength} steps (τ ${cfg.controller.temperature}, population ${cfg.controller.population}) vs real ${realPrefix.toFixed(1)} over as many steps (gap ${(dream - realPrefix).toFixed(1)}; random ${randomPrefix.toFixed(1)}); ${row.seconds.toFixed(0)} s, load ${row.load_average.join(' ')}`,
  );
