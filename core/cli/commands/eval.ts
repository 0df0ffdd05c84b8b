import { parseCommand, workspaceDir, intFlag } from '../args.ts';
import { resolveRunDir } from '../../runs/run-dir.ts';
import { evaluateRun } from '../../runs/evaluate.ts';
import { UserError } from '../../util/errors.ts';

export const summary = 'held-out metrics of a run against baselines';

const HELP = `usage: oneiro eval RUN [--seed S] [--workspace DIR] [--json]

Evaluates the run's latest checkpoint on its held-out episodes (never trained on). Every metric is
reported next to a baseline (world-models: recon_mse vs the mean frame; rnn_nll vs a standard normal;
openloop_mse@1/5/10/20 (pixels) vs copying the last real frame; openloop_latent@k vs copying the last
latent; controller_return vs a random policy in the real env). With --json:
{"run", "episodes", "checkpoint_step", "metrics": {NAME: {"model", "baseline", "baseline_name"}}}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('eval', argv, { seed: { type: 'string' } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UserError(
      `eval: expected one RUN id, got ${positionals.length ? positionals.join(' ') : 'none'} (see 'oneiro eval --help')`,
    );
  const dir = resolveRunDir(workspaceDir(values.workspace), positionals[0]);
  const report = await evaluateRun(dir, {
    seed: intFlag('seed', values.seed, 0, 0),
    ...(values.backend ? { backend: values.backend } : {}),
  });
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  console.log(`run ${report.run} · checkpoint step ${report.checkpoint_step} · ${report.episodes} held-out episodes`);
  const names = Object.keys(report.metrics);
  const w = Math.max(...names.map((n) => n.length));
  for (const n of names) {
    const m = report.metrics[n];
    const better = (m.lower_is_better ?? true) ? m.model < m.baseline : m.model > m.baseline;
    console.log(
      `  ${n.padEnd(w)}  model ${fmt(m.model)}  ${m.baseline_name} ${fmt(m.baseline)}  ${better ? 'better' : 'WORSE'} than baseline`,
    );
  }
  return 0;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}
