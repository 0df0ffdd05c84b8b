import { resolve } from 'node:path';
import { parseCommand, workspaceDir } from '../args.ts';
import { parseQueueUrl, queueUrlFrom, QUEUE_ENV, redact } from '../../queue/connection.ts';
import type { SweepRunRow } from '../../queue/sweep.ts';
import { UserError } from '../../util/errors.ts';
// The queue client (BullMQ), the sweep's runs (the families) and the backend (tfjs): ≈ 1 CPU s to import through
// tsx, loaded only once the command line is checked, so a refused one answers at the CLI's floor cost.

export const summary = 'enqueue a sweep of runs (grid or random over config fields and seeds); sweep status ID';

const HELP = `usage: oneiro sweep FILE.yaml|FILE.json [--queue URL] [--workspace DIR] [--json]
       oneiro sweep status ID [--json] [--queue URL]

Creates one run per point of the sweep in the workspace (which 'oneiro worker' processes share) and
enqueues a training job for each; prints the sweep id. The file (see assets/sweeps/debug.yaml):

  family: world-models        preset: debug        dataset: NAME (or env: NAME for online families)
  steps: 20                   seeds: [0, 1]
  grid:   { vae.zDim: [8, 16] }                       # every combination, or
  random: { samples: 4, seed: 0, fields: { vae.lr: { min: 1e-4, max: 1e-2, log: true }, rnn.hidden: [16, 32] } }
  overrides: { controller.enabled: false }            # fixed for every point
  train: { checkpointEvery: 10, logEvery: 1 }

  --queue URL   redis:// or rediss://; default $${QUEUE_ENV} (status works without it, minus job states)`;

function fmt(v: unknown): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(3)) : String(v);
}

export function sweepTable(fields: string[], rows: SweepRunRow[]): string {
  const lossKey = (r: SweepRunRow) => Object.keys(r.last).find((k) => k.endsWith('/loss'));
  const head = ['run', 'seed', ...fields, 'state', 'step', 'job', 'worker', 'last loss'];
  const body = rows.map((r) => {
    const k = lossKey(r);
    return [
      r.runId.split('-').slice(-1)[0],
      String(r.seed),
      ...fields.map((f) => fmt(r.fields[f])),
      r.state,
      `${r.step}/${r.totalSteps || '?'}`,
      r.job ? `${r.job}${r.attempts && r.attempts > 1 ? ` (${r.attempts} attempts)` : ''}` : '-',
      r.worker ?? '-',
      k ? `${k} ${fmt(r.last[k])}` : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('sweep', argv, { queue: { type: 'string' } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const workspace = workspaceDir(values.workspace);
  if (positionals[0] === 'status') {
    if (positionals.length !== 2)
      throw new UserError(`sweep status: expected one sweep ID (see 'oneiro sweep --help')`);
    const url = values.queue ?? process.env[QUEUE_ENV];
    const address = url ? parseQueueUrl(url) : null;
    const { checkQueue, openQueue } = await import('../../queue/jobs.ts');
    const { sweepStatus } = await import('../../queue/sweep.ts');
    let queue = address ? openQueue(address, { failFast: true }) : null;
    try {
      if (queue && address)
        await checkQueue(queue, address).catch(async (e: Error) => {
          console.error(`oneiro sweep: ${e.message}; showing the run folders only`);
          await queue?.close();
          queue = null;
        });
      const { sweep, rows } = await sweepStatus(workspace, positionals[1], queue);
      const counts: Record<string, number> = {};
      for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
      if (values.json) console.log(JSON.stringify({ sweep: sweep.id, name: sweep.name, counts, runs: rows }));
      else {
        console.log(
          `sweep ${sweep.id} (${sweep.family} ${sweep.preset} on ${sweep.dataset ?? sweep.env}): ${Object.entries(
            counts,
          )
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')}`,
        );
        console.log(sweepTable(sweep.fields, rows));
      }
      return 0;
    } catch (e) {
      if (address) throw new UserError(redact((e as Error).message, address.secrets));
      throw e;
    } finally {
      await queue?.close();
    }
  }
  if (positionals.length !== 1)
    throw new UserError(
      `expected one sweep FILE (or 'status ID'), got ${positionals.length ? positionals.join(' ') : 'none'}`,
    );
  const file = resolve(positionals[0]);
  const { launchSweep, readSweepFile } = await import('../../queue/sweep.ts');
  const spec = readSweepFile(file);
  const address = parseQueueUrl(queueUrlFrom(values.queue));
  const { initBackend } = await import('../../tensor/backend.ts');
  const { checkQueue, openQueue } = await import('../../queue/jobs.ts');
  const backend = (await initBackend(values.backend)).name;
  const queue = openQueue(address, { failFast: true });
  try {
    await checkQueue(queue, address);
    const rec = await launchSweep(queue, workspace, file, spec, backend);
    if (values.json)
      console.log(JSON.stringify({ sweep: rec.id, runs: rec.runs.map((r) => r.runId), queue: address.display }));
    else {
      console.error(
        `enqueued ${rec.runs.length} runs on ${address.display}; follow with: oneiro sweep status ${rec.id}`,
      );
      console.log(rec.id);
    }
    return 0;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(redact((e as Error).message, address.secrets));
  } finally {
    await queue.close();
  }
}
