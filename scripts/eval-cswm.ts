/**
 * C-SWM on 2D Shapes end to end (issue 16): collect the training and evaluation sets with the C-SWM recipes
 * (`oneiro collect --recipe cswm-shapes-train / cswm-shapes-eval`, at a reduced size by default), train the
 * object-graph family through the shared runner, evaluate Hits@1 and MRR at 1, 5 and 10 steps on the separate
 * evaluation set exactly as the reference eval.py ranks them (`oneiro eval RUN --dataset`), and print them next
 * to the paper's row. Claim 1: Hits@1 at 1 step >= 99 % on the held-out evaluation episodes; exit 1 if a claim fails.
 * The paper's budget (1000 × 100 training steps, hidden 512, batch 1024, 100 epochs ≈ 9800 updates) does not
 * fit 2 shared CPU cores; the default budget below is stated in the output.
 * Claim 2: Hits@1 at 10 steps >= 95 % (paper 99.9) and above copy-state (the start frame's encoding as the
 * prediction), i.e. the transition adds something and carries the objects over 10 steps (a half-bound 4-channel
 * extractor passes "above copy-state" alone: 53.1 vs 43.8). Also printed: the slot binding (does slot k track object k on the evaluation episodes?).
 * Measured 2026-11-30 (wasm, nice 10, 2 shared cores), defaults below, seed 0, extractor 32 channels: collect 53 s,
 * train 1500 updates 1167 s (load average 8-16), eval 36 s, goal 23 s. Hits@1 / MRR at k = 1: 100.0 / 100.0,
 * k = 5: 99.9 / 99.9, k = 10: 99.3 / 99.6 (paper 100/100, 100/100, 99.9/100); copy-state 99.9 / 100.0, 87.1 / 92.5,
 * 53.0 / 67.0; random 0.1 / 0.75; slot binding 1.00; goal CEM 95 % vs random 0 % (20 trials): PASS. With --seed 1
 * (train 892 s, load 9-10): 100.0 / 99.8 / 97.9 vs copy-state 99.8 / 86.9 / 53.9, binding 1.00, goal CEM 100 %: PASS.
 * Before: the extractor at hidden 64 / 16 = 4 channels. The earlier session's run (load 12-17): Hits@1 99.1 / 74.3
 * / 39.8 vs copy-state 99.3 / 75.1 / 42.9, goal CEM 5 %: FAIL. Rerun with --extractor-channels 4 (train 789 s, load
 * 10-12): 100.0 / 83.4 / 53.1 vs copy-state 99.3 / 73.9 / 43.8, goal CEM 35 % vs random 5 %, slot binding 0.35 (a
 * moved object's change mostly in slots its action does not reach): passes claim 2 narrowly, far below the paper.
 * `npm run eval:cswm -- [--train-episodes 200] [--eval-episodes 1000] [--steps 1500] [--batch 256] [--hidden 64]
 * [--extractor-channels 32] [--lr 0.001] [--seed 0] [--workspace DIR] [--json]`
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../core/tensor/backend.ts';
import { run as collect } from '../core/cli/commands/collect.ts';
import { createRun, trainRun } from '../core/runs/trainer.ts';
import { evaluateRun } from '../core/runs/evaluate.ts';
import { openRunModel } from '../core/runs/load.ts';
import { measureGoalReaching } from '../core/runs/goal-reaching.ts';
import { runDirOf } from '../core/runs/run-dir.ts';
import { parseFlags } from './claim.ts';
import { openDataset, readEpisode } from '../core/data/dataset.ts';
import { SlotBinding, movedObjects } from '../core/models/object-graph/binding.ts';
import type { ObjectGraphLatentModel } from '../core/models/object-graph/latent-model.ts';

const { values } = parseFlags('eval:cswm', {
  options: {
    'train-episodes': { type: 'string', default: '200' },
    'eval-episodes': { type: 'string', default: '1000' },
    steps: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '256' },
    hidden: { type: 'string', default: '64' },
    /** The extractor's width; 32 is the paper's (hidden 512 / 16): hidden 64 / 16 = 4 leaves the slots unbound. */
    'extractor-channels': { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '0' },
    'goal-trials': { type: 'string', default: '20' },
    /** Evaluate an already trained run of --workspace instead of collecting and training (its budget flags must match). */
    run: { type: 'string' },
    workspace: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const num = (k: keyof typeof values) => {
  const v = Number(values[k]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number, got '${values[k]}'`);
  return v;
};
const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// Kipf et al. 2020 (ICLR), Table 1, 2D Shapes, C-SWM: Hits@1 / MRR in %.
const PAPER: Record<number, { hits: number; mrr: number }> = {
  1: { hits: 100, mrr: 100 },
  5: { hits: 100, mrr: 100 },
  10: { hits: 99.9, mrr: 100 },
};

const t0 = performance.now();
const backend = await initBackend();
const workspace = values.workspace ?? mkdtempSync(join(tmpdir(), 'oneiro-cswm-eval-'));
const quiet = async (f: () => Promise<number>) => {
  const out = console.log;
  console.log = () => {};
  try {
    return await f();
  } finally {
    console.log = out;
  }
};
const trainEpisodes = num('train-episodes');
const evalEpisodes = num('eval-episodes');
let id: string;
let dir: string;
let tCollect = 0;
let tTrain = 0;
if (values.run) {
  id = values.run;
  dir = runDirOf(workspace, id);
} else {
  log(
    `collecting ${trainEpisodes} training episodes × 100 steps (seed 1) and ${evalEpisodes} evaluation episodes × 10 steps (seed 2)`,
  );
  await quiet(() =>
    collect([
      '--recipe',
      'cswm-shapes-train',
      '--episodes',
      String(trainEpisodes),
      '--dataset',
      'shapes-train',
      '--workspace',
      workspace,
      '--json',
    ]),
  );
  await quiet(() =>
    collect([
      '--recipe',
      'cswm-shapes-eval',
      '--episodes',
      String(evalEpisodes),
      '--dataset',
      'shapes-eval',
      '--workspace',
      workspace,
      '--json',
    ]),
  );
  tCollect = (performance.now() - t0) / 1000;

  const overrides = {
    model: { hiddenDim: num('hidden'), extractorChannels: num('extractor-channels') },
    train: { batch: num('batch'), lr: num('lr') },
  };
  const created = await createRun({
    workspace,
    family: 'object-graph',
    preset: 'cswm-shapes',
    dataset: 'shapes-train',
    steps: num('steps'),
    seed: Number(values.seed),
    overrides,
    train: { checkpointEvery: 500, logEvery: 50 },
  });
  ({ id, dir } = created);
  log(`training ${id} (${JSON.stringify(overrides)}, ${num('steps')} steps) on ${backend.name}`);
  const t1 = performance.now();
  const result = await trainRun(dir, {
    log,
    tensorboard: false,
    onMetrics: (m) => {
      if (typeof m['model/loss'] === 'number' && m.step % 100 === 0)
        log(
          `step ${m.step}: loss ${m['model/loss'].toFixed(4)} (positive ${Number(m['model/positive']).toFixed(4)} vs copy-state ${Number(m['model/copy']).toFixed(4)}, negative ${Number(m['model/negative']).toFixed(4)})`,
        );
    },
  });
  tTrain = (performance.now() - t1) / 1000;
  if (result.state !== 'completed') {
    console.error(`training did not complete: ${result.state} ${result.message ?? ''}`);
    process.exit(1);
  }
}
const t2 = performance.now();
const report = await evaluateRun(dir, { evalDataset: 'shapes-eval' });
const tEval = (performance.now() - t2) / 1000;

// Behaviour: the goal CEM planner toward a goal frame 3 random moves away, success measured in the env.
const t3 = performance.now();
const opened = await openRunModel(dir);
const goal = measureGoalReaching(opened.model.latent!(), 'shapes-2d', {
  trials: num('goal-trials'),
  goalSteps: 3,
  maxSteps: 10,
  seed: Number(values.seed),
});
// Diagnosis (why a transition can or cannot beat copy-state): does slot k track object k on the evaluation episodes?
const t4 = performance.now();
const og = (opened.model.latent!() as ObjectGraphLatentModel).model;
const binding = new SlotBinding(og.config.model.numObjects, og.config.model.embeddingDim);
const evalSet = openDataset(workspace, 'shapes-eval');
for (let i = 0; i < evalSet.meta.episodes.length; i++) {
  const ep = readEpisode(evalSet, i);
  const state = ep.extra?.state;
  if (!state) throw new Error(`evaluation episode ${i} has no 'state' array (the shapes-2d object positions)`);
  binding.add(
    og.encodeEpisode(ep),
    movedObjects(state.data as Float32Array, ep.imageShape[0], og.config.model.numObjects),
  );
}
const tBinding = (performance.now() - t4) / 1000;
opened.model.dispose();
const tGoal = (performance.now() - t3) / 1000;

const rows = [1, 5, 10].map((k) => {
  const h = report.metrics[`hits_at_1@${k}`];
  const m = report.metrics[`mrr@${k}`];
  return {
    k,
    hits: h.model,
    mrr: m.model,
    paperHits: PAPER[k].hits,
    paperMrr: PAPER[k].mrr,
    randomHits: h.baselines!['random-ranking'],
    randomMrr: m.baselines!['random-ranking'],
    copyHits: h.baselines!['copy-state'],
    copyMrr: m.baselines!['copy-state'],
  };
});
const budget =
  `reduced budget: ${trainEpisodes} of the paper's 1000 training episodes (× 100 steps), ${evalEpisodes} of its 10,000 evaluation episodes (× 10 steps), ` +
  `${num('steps')} updates at batch ${num('batch')} (paper: 100 epochs ≈ 9800 at batch 1024), hidden ${num('hidden')} (paper 512), extractor ${num('extractor-channels')} channels (paper 32), lr ${num('lr')} (paper 5e-4); ` +
  'small extractor, 5 slots, embedding 2, σ 0.5, hinge 1 as the paper';
const hits1 = rows[0].hits;
// Two claims: the paper's number, and that the transition model adds something over copying the start state
// (at 10 steps, where the dynamics matter most); a model whose encoder alone separates states passes the first only.
const r10 = rows[2];
const beatsCopy = r10.hits > r10.copyHits;
const pass = hits1 >= 99 && r10.hits >= 95 && beatsCopy;
const times = {
  collect_s: tCollect,
  train_s: tTrain,
  eval_s: tEval,
  goal_s: tGoal,
  binding_s: tBinding,
  total_s: (performance.now() - t0) / 1000,
};
if (values.json)
  console.log(
    JSON.stringify({
      run: id,
      backend: backend.name,
      budget,
      rows,
      goal,
      binding: { diagonal: binding.diagonal(), shares: binding.shares() },
      times,
      pass,
    }),
  );
else {
  console.log(`C-SWM, 2D Shapes (run ${id}, ${backend.name}); ${budget}`);
  console.log('  k   Hits@1   MRR     | paper Hits@1  MRR  | random Hits@1  MRR  | copy-state Hits@1  MRR');
  for (const r of rows)
    console.log(
      `  ${String(r.k).padStart(2)}  ${r.hits.toFixed(1).padStart(6)}  ${r.mrr.toFixed(1).padStart(6)}  | ${r.paperHits.toFixed(1).padStart(12)}  ${r.paperMrr.toFixed(1).padStart(5)} | ${r.randomHits.toFixed(2).padStart(13)}  ${r.randomMrr.toFixed(2).padStart(5)} | ${r.copyHits.toFixed(1).padStart(17)}  ${r.copyMrr.toFixed(1).padStart(5)}`,
    );
  console.log(
    `goal reaching (CEM on the energy to a goal frame 3 random moves away, ≤ 10 env steps, ${goal.trials} trials): planner ${goal.planner.toFixed(0)} % (mean ${goal.plannerSteps.toFixed(1)} steps), random policy ${goal.random.toFixed(0)} %`,
  );
  console.log(
    `slot binding (share of a moved object's encoded change in its own slot, mean over objects; 1 = slot k is object k, ${(1 / og.config.model.numObjects).toFixed(1)} = spread over all slots): ${binding.diagonal().toFixed(2)}; rows = moved object, columns = slot:`,
  );
  for (const row of binding.shares()) console.log(`  ${row.map((v) => v.toFixed(2)).join(' ')}`);
  console.log(
    `time: ${values.run ? `collect and train: earlier (--run ${id})` : `collect ${tCollect.toFixed(0)} s, train ${tTrain.toFixed(0)} s`}, eval ${tEval.toFixed(0)} s, goal ${tGoal.toFixed(0)} s, binding ${tBinding.toFixed(0)} s, total ${times.total_s.toFixed(0)} s`,
  );
  // The gate is the paper's number; whether the transition model adds anything is the copy-state comparison.
  for (const r of rows)
    if (r.hits <= r.copyHits)
      console.log(
        `note: at ${r.k} step(s) the model (${r.hits.toFixed(1)} %) does not beat copy-state (${r.copyHits.toFixed(1)} %, the start frame's encoding as the prediction): its transition adds nothing at this budget`,
      );
  console.log(
    `claim: Hits@1 at 1 step >= 99 % on held-out evaluation episodes, and Hits@1 at 10 steps >= 95 % and above copy-state`,
  );
  console.log(
    `verdict: ${pass ? 'PASS' : 'FAIL'} (Hits@1@1 ${hits1.toFixed(2)} %; @10 ${r10.hits.toFixed(1)} % vs copy-state ${r10.copyHits.toFixed(1)} %)`,
  );
}
if (!pass) process.exitCode = 1;
