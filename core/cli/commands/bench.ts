import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFlag, parseCommand } from '../args.ts';
import { UserError } from '../../util/errors.ts';
import type { BenchContext, BenchRow } from '../../bench/types.ts';

export const summary = 'benchmark table: median ms per step per backend';

const HELP = `usage: oneiro bench [--json] [--quick] [--backend NAME] [--only SUITE,...] [--steps N]

Runs every suite in core/bench/suites/ and prints one row per measurement (median over >= 10
steps after warm-up). --json prints ONE JSON array of rows {name, backend, median, unit, note}
on stdout (logs go to stderr). --backend measures on that backend only (default: every backend
that loads here). --only runs the named suites (file names without .ts, e.g. kernels,vae).
--quick: fewer steps, smaller batches, the chosen backend only (smoke test; rows say so).`;

const suitesDir = fileURLToPath(new URL('../../bench/suites/', import.meta.url));

export function listSuites(): string[] {
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

function formatTable(rows: BenchRow[]): string {
  const cells = rows.map((r) => [
    r.name,
    r.backend,
    Number.isFinite(r.median) ? r.median.toFixed(r.median < 10 ? 2 : 1) : '—',
    r.unit,
    r.note ?? '',
  ]);
  const head = ['name', 'backend', 'median', 'unit', 'note'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => (i === 2 ? x.padStart(w[i]) : x.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...cells.map(line)].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand(
    'bench',
    argv,
    {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      steps: { type: 'string' },
    },
    false,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const all = listSuites();
  const only = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : all;
  for (const s of only) {
    if (!all.includes(s)) throw new UserError(`--only: unknown suite '${s}'; expected some of ${all.join(', ')}`);
  }
  const steps = intFlag('steps', values.steps, values.quick ? 3 : 10, values.quick ? 1 : 10);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  // tfjs (≈ 0.3 CPU s to import) only once --only and --steps are good.
  const { BACKEND_ORDER, initBackend, isBackendName } = await import('../../tensor/backend.ts');

  // Backends to measure on: the one asked for, else every one that loads here (best first).
  let backends: string[];
  if (values.backend) {
    if (!isBackendName(values.backend))
      throw new UserError(`unknown backend '${values.backend}': expected one of ${BACKEND_ORDER.join(', ')}`);
    await initBackend(values.backend);
    backends = [values.backend];
  } else if (values.quick) {
    // Smoke test: the chosen backend only (the cpu reference would take minutes).
    backends = [(await initBackend()).name];
  } else {
    const first = await initBackend();
    backends = [];
    for (const b of BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(first.name))) {
      try {
        await initBackend(b);
        backends.push(b);
      } catch (e) {
        log(`bench: backend ${b} not available: ${(e as Error).message}`);
      }
    }
  }
  const ctx: BenchContext = {
    backends,
    steps,
    quick: values.quick ?? false,
    useBackend: async (name) => {
      await initBackend(name);
    },
    log,
  };
  const rows: BenchRow[] = [];
  for (const name of only) {
    log(`bench: suite ${name} on ${backends.join(', ')}`);
    const mod = (await import(join(suitesDir, `${name}.ts`))) as { run?: (c: BenchContext) => Promise<BenchRow[]> };
    if (typeof mod.run !== 'function') throw new Error(`bench suite ${name}.ts exports no run(ctx)`);
    rows.push(...(await mod.run(ctx)));
  }
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(rows.map((r) => ({ ...r, median: Number.isFinite(r.median) ? r.median : null })))}\n`,
    );
  } else {
    console.log(formatTable(rows));
  }
  return 0;
}
