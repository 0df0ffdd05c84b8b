import { parseCommand, workspaceDir, intFlag, onePositional } from '../args.ts';
import { resolveRunDir } from '../../runs/run-dir.ts';
import type { EvalMetric } from '../../models/family.ts';
import { metricRatio } from '../../contract/eval-ratio.ts';
import { UserError } from '../../util/errors.ts';
import { calibrationText } from '../../contract/calibration-text.ts';
// The evaluation modules (models, agents, envs: ≈ 1.2 CPU s to import through tsx) load only once the flags and
// the run are known good, so a refused command line answers at the CLI's floor cost.

export const summary = 'held-out metrics of a run against baselines';

const HELP = `usage: oneiro eval RUN [--checkpoint STEP | --average-checkpoints S1,S2,...] [--seed S] [--dataset NAME] [--context episode|N] [--samples K] [--workspace DIR] [--json]
       oneiro eval RUN --goals [--checkpoint STEP] [--episodes N]   (runs trained with behavior lexa, in a goal benchmark env)

--checkpoint STEP scores the run's kept checkpoint at that global step instead of its latest (a learning curve;
a step it lacks is refused naming the steps it keeps, and a corrupt one is an error, never another step).

--average-checkpoints S1,S2,... scores the mean of the weights of the kept checkpoints at those steps (at least 2,
of one phase): stochastic weight averaging (Izmailov et al. 2018) after the fact. At a constant learning rate a
run's checkpoints wander around a basin and their scores swing; their mean sits nearer its centre. The report
names them ("averaged_checkpoints"); "checkpoint_step" is the newest. Keep enough checkpoints to average
(train.keepCheckpoints).

--dataset NAME evaluates on every episode of that dataset (same env, frame size and actions) instead of
the run's held-out episodes, e.g. C-SWM's separate evaluation set (oneiro collect --recipe cswm-shapes-eval).

--context episode|N: where each open loop starts filtering before its dream: 'episode' (default) from the
episode's first frame, as an agent acting in the env filters; N from the N real frames ending at the dream's
start (5: PlaNet's and Dreamer's context, the protocol of every report before session 11). The last 5 observed
frames are the context either way (recon_*, copy-last-frame); the report's "openloop_context" names it.

--samples K also scores the dream's predictive mean: the pixel-wise mean of K dreams sampled at temperature 1
(openloop_predmean_mse@h, openloop_predmean_fg_mse@h, against the same baselines). Under squared error the best
point prediction of an uncertain future is its mean, not its mode (openloop_*): the gap between the two says how
much of a dream's error is committing to one future. Costs K more open loops per dream.

--goals: success rate per goal of the env's goal list (point-goals, pinpad-*: judged from the state at the
episode's last step, never a reward) for the LEXA achiever given the goal image, for the explorer alone and for a
uniformly random policy on the same env seeds; --episodes N per goal (default 5). --json prints
{"env", "episodesPerGoal", "rows": [{"goal", "achiever", "explorer", "random"}], "overall": {...}}.

Evaluates the run's latest checkpoint on its held-out episodes (never trained on). Every metric is
reported next to its baselines; "baseline" is the strongest of them (the one to beat). Every family:
  openloop_mse@h, openloop_fg_mse@h   pixel error h steps into the dream, on the whole frame and on the
                                      foreground (pixels > 0.1 off the training mean frame), vs
                                      copy-last-frame and mean-frame
  openloop_fg_mse_vs_shuffled@h       does the dream use its actions? openloop_fg_mse@h (h ≥ 5) against the
                                      same dream under the actions permuted in time
  openloop_predmean_mse@h,            with --samples K: the same two for the mean of K sampled dreams
  openloop_predmean_fg_mse@h
  recon_mse, recon_fg_mse             the model's view of the frames it observed, vs mean-frame
  openloop_reward_mse                 reward head over the dream, vs train-mean reward and shuffled actions
  probe_r2[/VAR]@0, @10               R² of a ridge probe from the model's features to the true state
                                      (filtered, and after 10 open-loop steps), vs a random-init model
  probe_r2 REGION[/VAR]@0, @10        the same probe fitted and scored only where the env's frames show the
                                      state plainly (car-racing: 'on road', |track offset| ≤ the road's half width)
  probe_mlp_r2[/VAR]@0                the same targets read by an MLP (2 × 256, early-stopped on held-back
                                      training episodes), vs a random-init model: what the filtered features hold
                                      in any shape; above probe_r2, the model keeps the variable bent
  probe read by true value            per probe target, the @0 read against the true value in 8 bins: "true→read
                                      (share of the squared error)", where an R² short of 1 loses its variance
plus the family's own (world-models: rnn_nll, reward_mse (also vs shuffled actions), openloop_latent@k, controller_return;
rssm: kl, reward_mse; object-graph: hits_at_1@k, mrr@k in % for k = 1, 5, 10, the k-step prediction ranked
against the encodings of every evaluation sample's true state as C-SWM's eval.py, vs random-ranking and
copy-state, and no pixel measures: it decodes no pixels). With --json (README "Evaluation"):
{"run", "episodes", "checkpoint_step", "averaged_checkpoints"?, "openloop_context", "foreground_fraction", "notes": [...],
 "probe_calibration"?: {VAR: [{"lo", "hi", "n", "truth", "read", "error_share"}, ...]},
 "metrics": {NAME: {"model", "baseline", "baseline_name", "baselines": {NAME: value}, "lower_is_better"?,
  "ci95"?: [lo, hi] (the probe's R²: 95 % bootstrap interval over held-out episodes),
  "ratio_baseline"?, "ratio_ci95"?: [lo, hi] (pixel errors: 95 % interval of model / baselines[ratio_baseline],
  mean-frame — shuffled actions for _vs_shuffled — over held-out episodes, paired bootstrap; text: "/ mean-frame")}}}
A bound that could not be measured (fewer than 2 episodes) is null in --json, n/a in text.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('eval', argv, {
    seed: { type: 'string' },
    dataset: { type: 'string' },
    goals: { type: 'boolean' },
    episodes: { type: 'string' },
    context: { type: 'string' },
    checkpoint: { type: 'string' },
    samples: { type: 'string' },
    'average-checkpoints': { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runId = onePositional('eval', positionals, 'RUN id');
  const checkpoint =
    values.checkpoint === undefined ? {} : { checkpoint: intFlag('checkpoint', values.checkpoint, 0, 0) };
  const averageFlag = values['average-checkpoints'];
  if (averageFlag !== undefined && (values.checkpoint !== undefined || values.goals))
    throw new UserError(
      `--average-checkpoints scores the mean of several checkpoints' weights: it takes no ${values.goals ? '--goals' : '--checkpoint'} (use one or the other)`,
    );
  const average =
    averageFlag === undefined
      ? undefined
      : (await import('../../runs/checkpoint-average.ts')).parseAverageSteps(averageFlag);
  const dir = resolveRunDir(workspaceDir(values.workspace), runId);
  if (values.goals) {
    const dreamFlag = (['dataset', 'context', 'samples'] as const).find((k) => values[k] !== undefined);
    if (dreamFlag)
      throw new UserError(`--goals scores the agent in its env: it takes no --${dreamFlag} (use one or the other)`);
    const { loadRunAgent } = await import('../../runs/load-agent.ts');
    const { envOptionsOf } = await import('../../runs/agent-session.ts');
    const { evaluateGoals, formatGoalReport } = await import('../../runs/goal-eval.ts');
    const a = await loadRunAgent(dir, { ...(values.backend ? { backend: values.backend } : {}), ...checkpoint });
    try {
      if (!a.env) throw new UserError('--goals: the run names no built-in env (it trained on a dataset)');
      const r = evaluateGoals(
        a.env,
        envOptionsOf(a.settings),
        a.wm,
        a.behavior,
        intFlag('episodes', values.episodes, 5, 1, 1000),
        3_000_000 + intFlag('seed', values.seed, 0, 0),
      );
      console.log(values.json ? JSON.stringify(r) : formatGoalReport(r));
      return 0;
    } finally {
      a.dispose();
    }
  } else if (values.episodes !== undefined) throw new UserError('--episodes is an option of --goals');
  const { parseOpenLoopFilter } = await import('../../runs/openloop-measures.ts');
  const { parseSamples } = await import('../../runs/predictive-mean.ts');
  const { evaluateRun } = await import('../../runs/evaluate.ts');
  const report = await evaluateRun(dir, {
    seed: intFlag('seed', values.seed, 0, 0),
    ...(values.backend ? { backend: values.backend } : {}),
    ...(values.dataset ? { evalDataset: values.dataset } : {}),
    ...(values.context !== undefined ? { filter: parseOpenLoopFilter(values.context) } : {}),
    ...(values.samples !== undefined ? { samples: parseSamples(values.samples) } : {}),
    ...(average ? { average } : {}),
    ...checkpoint,
  });
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  console.log(
    `run ${report.run} · ${report.averaged_checkpoints ? `mean of checkpoints ${report.averaged_checkpoints.join(', ')}` : `checkpoint step ${report.checkpoint_step}`} · ${report.episodes} held-out episodes · open loop filtered from ${report.openloop_context === 'episode' ? "the episode's first frame" : `${report.openloop_context} frames before each dream`}`,
  );
  const names = Object.keys(report.metrics);
  const w = Math.max(...names.map((n) => n.length));
  for (const n of names) {
    const m = report.metrics[n];
    const better = (m.lower_is_better ?? true) ? m.model < m.baseline : m.model > m.baseline;
    const others = Object.entries(m.baselines ?? {})
      .filter(([k]) => k !== m.baseline_name)
      .map(([k, v]) => `  ${k} ${fmt(v)}`)
      .join('');
    console.log(
      `  ${n.padEnd(w)}  model ${fmt(m.model)}${m.ci95 ? ` [${fmt(m.ci95[0])}, ${fmt(m.ci95[1])}]` : ''}  ${m.baseline_name} ${fmt(m.baseline)}  ${better ? 'better' : 'WORSE'} than baseline${others}${ratioText(m)}`,
    );
  }
  const calibration = Object.entries(report.probe_calibration ?? {});
  if (calibration.length) {
    console.log('  probe read by true value (@0, every frame; true→read, share of the squared error):');
    const cw = Math.max(...calibration.map(([n]) => n.length));
    for (const [n, bins] of calibration) console.log(`    ${n.padEnd(cw)}  ${calibrationText(bins)}`);
  }
  for (const note of report.notes) console.log(`  note: ${note}`);
  return 0;
}

/** "  / mean-frame 0.6100 [0.5200, 0.7000]": the model's ratio to its ratio baseline and that ratio's interval. */
export function ratioText(m: EvalMetric): string {
  const r = metricRatio(m);
  return r ? `  / ${r.baseline} ${fmt(r.ratio)} [${fmt(r.lo)}, ${fmt(r.hi)}]` : '';
}

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}
