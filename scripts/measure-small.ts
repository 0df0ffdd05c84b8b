/**
 * Issue 11 item 2: one measured run of a family's `small` preset on cartpole-swingup (64×64), reporting what
 * `oneiro eval` reports that matters here — the foreground-weighted open-loop error at 10 steps against the
 * mean frame, and the state probe's R² on cart position and cos/sin of the pole angle — with the wall time.
 * Usage: node --import tsx scripts/measure-small.ts FAMILY [--steps N] [--vae-steps N --rnn-steps N]
 *        [--minutes M] [--episodes 12] [--seed 3] [--workspace DIR]
 * --minutes M stops training after M minutes of wall time (checkpoint written) and evaluates what was learnt.
 * (World Models runs without its controller phase here: item 2 measures the model, not the controller.)
 * Exits 1 when a target of issue 11 item 2 is not met (fg@10 ≤ 50% of the mean frame's; R² ≥ 0.8 on the three).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEnv } from '../core/envs/registry.ts';
import { makePolicy } from '../core/agents/random-agents.ts';
import { rolloutEpisode } from '../core/agents/rollout.ts';
import { addEpisode, createDataset, datasetExists } from '../core/data/dataset.ts';
import { createRun, trainRun } from '../core/runs/trainer.ts';
import { evaluateRun } from '../core/runs/evaluate.ts';
import { initBackend } from '../core/tensor/backend.ts';
import { Rng } from '../core/util/rng.ts';
import { parseFlags } from './claim.ts';

const { values, positionals } = parseFlags('measure:small', {
  allowPositionals: true,
  options: {
    steps: { type: 'string' },
    'vae-steps': { type: 'string' },
    'rnn-steps': { type: 'string' },
    minutes: { type: 'string' },
    episodes: { type: 'string', default: '12' },
    seed: { type: 'string', default: '3' },
    workspace: { type: 'string' },
  },
});
const family = positionals[0];
if (family !== 'rssm' && family !== 'world-models') {
  console.error('usage: measure-small.ts rssm|world-models [--steps N] [--vae-steps N --rnn-steps N]');
  process.exit(2);
}
const ws = values.workspace ?? mkdtempSync(join(tmpdir(), 'oneiro-small-'));
const episodes = Number(values.episodes);
const seed = Number(values.seed);
const backend = (await initBackend()).name;
const dataset = `cartpole-${episodes}-s${seed}`;
if (!datasetExists(ws, dataset)) {
  const env = makeEnv('cartpole-swingup', { size: 64 });
  const ds = createDataset(ws, dataset, {
    env: 'cartpole-swingup',
    observationShape: [64, 64, 3],
    actionSpace: env.actionSpace as { kind: 'box'; shape: number[]; low: number[]; high: number[] },
    source: { kind: 'collect', policy: 'random', seed },
  });
  const rng = new Rng(seed);
  for (let i = 0; i < episodes; i++)
    addEpisode(ds, rolloutEpisode(env, makePolicy('random', env.actionSpace, rng), seed * 1000 + i).episode);
}
const overrides =
  family === 'world-models'
    ? {
        controller: { enabled: false },
        ...(values['vae-steps'] ? { vae: { steps: Number(values['vae-steps']) } } : {}),
        ...(values['rnn-steps'] ? { rnn: { steps: Number(values['rnn-steps']) } } : {}),
      }
    : {};
const run = await createRun({
  workspace: ws,
  family,
  preset: 'small',
  dataset,
  seed,
  overrides,
  train: { checkpointEvery: 50, logEvery: 10 },
  ...(values.steps ? { steps: Number(values.steps) } : {}),
});
const t0 = performance.now();
const budget = new AbortController();
const timer = values.minutes ? setTimeout(() => budget.abort(), Number(values.minutes) * 60000) : null;
const res = await trainRun(run.dir, { log: (l) => console.error(l), signal: budget.signal });
if (timer) clearTimeout(timer);
const trainMin = (performance.now() - t0) / 60000;
if (res.state !== 'completed' && !budget.signal.aborted) {
  console.error(`training ended ${res.state}: ${res.message ?? ''}`);
  process.exit(1);
}
const t1 = performance.now();
const report = await evaluateRun(run.dir);
const evalMin = (performance.now() - t1) / 60000;
const m = report.metrics;
const fg = m['openloop_fg_mse@10'];
const r2 = (k: string) => m[`probe_r2/${k}@0`];
const rows = [
  ['openloop_fg_mse@10', fg],
  ['openloop_mse@10', m['openloop_mse@10']],
  ['recon_fg_mse', m.recon_fg_mse],
  ['probe_r2/cart position@0', r2('cart position')],
  ['probe_r2/cos pole angle@0', r2('cos pole angle')],
  ['probe_r2/sin pole angle@0', r2('sin pole angle')],
  ['probe_r2@10', m['probe_r2@10']],
] as const;
console.log(
  `${family} small on ${dataset} (backend ${backend}, run ${run.id}): trained ${trainMin.toFixed(1)} min to step ${report.checkpoint_step}${budget.signal.aborted ? ' (stopped by --minutes)' : ''}, evaluated ${evalMin.toFixed(1)} min (wall clock on a shared machine)`,
);
for (const [k, v] of rows)
  if (v)
    console.log(
      `  ${k.padEnd(28)} model ${v.model.toFixed(5)}  ${Object.entries(v.baselines ?? {})
        .map(([b, x]) => `${b} ${x.toFixed(5)}`)
        .join('  ')}`,
    );
for (const n of report.notes) console.log(`  note: ${n}`);
// A uniform grey dream beats the mean frame on the foreground alone (the background colour is far from the
// objects'), so the foreground target only counts when the full-frame error is not worse than the mean frame's.
const full = m['openloop_mse@10'];
const fgOk =
  !!fg &&
  fg.model <= 0.5 * (fg.baselines?.['mean-frame'] ?? NaN) &&
  !!full &&
  full.model <= (full.baselines?.['mean-frame'] ?? NaN);
const r2Ok = ['cart position', 'cos pole angle', 'sin pole angle'].every((k) => (r2(k)?.model ?? -1) >= 0.8);
console.log(
  `  target fg@10 ≤ 50% of mean-frame (and full-frame@10 ≤ mean-frame): ${fgOk ? 'met' : 'NOT met'}; R² ≥ 0.8 on the three: ${r2Ok ? 'met' : 'NOT met'}`,
);
console.log(JSON.stringify({ family, trainMin, evalMin, steps: res, report }));
process.exit(fgOk && r2Ok ? 0 : 1);
