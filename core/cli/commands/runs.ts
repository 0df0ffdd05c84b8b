import { noPositionals, parseCommand, workspaceDir } from '../args.ts';
import { listRuns, observedState, RUN_STATES } from '../../runs/run-dir.ts';

export const summary = 'list runs in the workspace';

const HELP = `usage: oneiro runs [--workspace DIR] [--json]

Lists runs with family, preset, dataset, status (${RUN_STATES.join(' | ')}) and progress, and the run each
started from ('oneiro train --from RUN --phase P': FROM, when any run did).
A run whose status says running but whose trainer process is gone (killed, out of memory) is shown as crashed.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('runs', argv, {});
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  noPositionals('runs', positionals);
  const ws = workspaceDir(values.workspace);
  const runs = listRuns(ws);
  if (values.json) {
    console.log(
      JSON.stringify(
        runs.map((r) => ({
          id: r.id,
          family: r.family,
          preset: r.preset,
          dataset: r.dataset,
          ...(r.from ? { from: r.from } : {}),
          created: r.created,
          state: observedState(r.status),
          phase: r.status?.phase ?? null,
          step: r.status?.step ?? 0,
          totalSteps: r.status?.totalSteps ?? 0,
          ...(r.status?.message ? { message: r.status.message } : {}),
        })),
      ),
    );
    return 0;
  }
  if (!runs.length) {
    console.log(`no runs in ${ws} (start one with 'oneiro train --model world-models --dataset NAME')`);
    return 0;
  }
  // A FROM column (the run a run started from, `oneiro train --from`, and the phase it started at) when there is one.
  const forked = runs.some((r) => r.from);
  const rows = runs.map((r) => [
    r.id,
    r.family,
    r.preset,
    r.dataset ?? '-',
    observedState(r.status),
    `${r.status?.step ?? 0}/${r.status?.totalSteps ?? 0}`,
    r.status?.phase ?? '-',
    ...(forked ? [r.from ? `${r.from.run} at ${r.from.phase}` : '-'] : []),
  ]);
  const head = ['RUN', 'FAMILY', 'PRESET', 'DATASET', 'STATE', 'STEP', 'PHASE', ...(forked ? ['FROM'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  for (const row of [head, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
  return 0;
}
