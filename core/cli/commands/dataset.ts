import { existsSync, readdirSync } from 'node:fs';
import { parseCommand, workspaceDir, intFlag, requireFlag } from '../args.ts';
import { Progress } from '../progress.ts';
import {
  exportDataset,
  listDatasets,
  openDataset,
  removeDataset,
  datasetsDir,
  cleanLeftovers,
  type DatasetActionSpace,
} from '../../data/dataset.ts';
import { importIntoDataset } from '../../data/dataset-import.ts';
import { inspectDataset, type DatasetStats } from '../../data/dataset-stats.ts';
import { detectFormat, type ImportFormat } from '../../data/import-dreamer.ts';
import { UserError } from '../../util/errors.ts';
import { printable } from '../../util/printable.ts';

export const summary = 'list | inspect | import | export | rm Dreamer-compatible datasets';

const HELP = `usage: oneiro dataset <subcommand> [--workspace DIR] [--json]

  list                                   datasets in <workspace>/datasets
  inspect NAME                           episode lengths, return distribution, action statistics
  import DIR --name NAME [--format dreamer|dreamerv3] [--num-actions N] [--env ENV]
                                         import a Dreamer episode folder (v1/v2, NM512, V-D4RL) or a
                                         DreamerV3 replay folder (format detected from file names if omitted);
                                         --env defaults to the env an Oneiro export recorded (oneiro-dataset.json)
  export NAME --to DIR                   copy the episodes out as Dreamer .npz files, plus oneiro-dataset.json
                                         (env name, action space) so importing them back keeps both
  rm NAME                                delete a dataset (also one whose dataset.json is unreadable)

Import reads regular files only and skips bad ones by name (unreadable, non-finite rewards or actions, ...).
One episode file may inflate to at most ONEIRO_MAX_EPISODE_BYTES bytes (default 1073741824 = 1 GiB; members
that declare or inflate to more are refused); raise it for very long episodes, e.g. ONEIRO_MAX_EPISODE_BYTES=4294967296.

--workspace DIR (default ONEIRO_WORKSPACE or ~/.oneiro); --json prints machine-readable output.`;

const OPTIONS = {
  name: { type: 'string' },
  format: { type: 'string' },
  'num-actions': { type: 'string' },
  env: { type: 'string' },
  to: { type: 'string' },
} as const;

function spaceText(s: DatasetActionSpace): string {
  return s.kind === 'discrete' ? `discrete(${s.n})` : `box[${s.shape.join('×')}]`;
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('dataset', argv, OPTIONS);
  const [sub, ...args] = positionals;
  if (values.help || !sub) {
    console.log(HELP);
    return sub || values.help ? 0 : 2;
  }
  const ws = workspaceDir(values.workspace);
  const json = values.json;
  // Folders of imports that were killed (Ctrl-C, a crash) are removed before anything else looks at the folder.
  cleanLeftovers(ws);
  const expectArgs = (n: number, what: string) => {
    if (args.length !== n)
      throw new UserError(
        `dataset ${sub}: expected ${what}, got ${args.length ? args.map((a) => `'${a}'`).join(' ') : 'nothing'} (see 'oneiro dataset --help')`,
      );
  };

  switch (sub) {
    case 'list': {
      expectArgs(0, 'no arguments');
      const all = listDatasets(ws);
      if (json) {
        console.log(
          JSON.stringify(
            all.map((d) =>
              'meta' in d
                ? {
                    name: d.name,
                    env: d.meta.env,
                    episodes: d.meta.counts.episodes,
                    steps: d.meta.counts.steps,
                    observationShape: d.meta.observationShape,
                    actionSpace: d.meta.actionSpace,
                    source: d.meta.source.kind ?? null,
                    created: d.meta.created,
                  }
                : d,
            ),
          ),
        );
        return 0;
      }
      if (all.length === 0) {
        console.log(`no datasets in ${datasetsDir(ws)} (create one with 'oneiro collect' or 'oneiro dataset import')`);
        return 0;
      }
      const rows = [['name', 'env', 'episodes', 'steps', 'frame', 'actions', 'source', 'created']];
      for (const d of all) {
        if ('error' in d) rows.push([d.name, 'UNREADABLE', '', '', '', '', '', printable(d.error)]);
        else {
          const m = d.meta;
          rows.push([
            d.name,
            m.env ?? '—',
            String(m.counts.episodes),
            String(m.counts.steps),
            m.observationShape.join('×'),
            spaceText(m.actionSpace),
            String(m.source.kind ?? '—'),
            m.created.slice(0, 19).replace('T', ' '),
          ]);
        }
      }
      console.log(table(rows));
      return 0;
    }

    case 'inspect': {
      expectArgs(1, 'a dataset NAME');
      const ds = openDataset(ws, args[0]);
      const progress = new Progress(
        `inspect ${args[0]}`,
        ds.meta.episodes.length,
        json || ds.meta.episodes.length < 50,
      );
      const stats = inspectDataset(ds, () => progress.tick());
      progress.finish();
      if (json) console.log(JSON.stringify(stats));
      else console.log(formatStats(stats));
      return 0;
    }

    case 'import': {
      expectArgs(1, 'a folder DIR');
      const name = requireFlag('name', values.name);
      const format = values.format;
      if (format !== undefined && format !== 'dreamer' && format !== 'dreamerv3') {
        throw new UserError(`--format must be 'dreamer' or 'dreamerv3', got '${format}'`);
      }
      const fmt: ImportFormat = format ?? detectFormat(args[0]);
      const numActions =
        values['num-actions'] === undefined ? undefined : intFlag('num-actions', values['num-actions'], 0, 1);
      const total = existsSync(args[0]) ? readdirSync(args[0]).filter((f) => f.endsWith('.npz')).length : 0;
      const progress = new Progress(`import ${fmt}`, total, json);
      const { report, dataset } = importIntoDataset(ws, name, args[0], {
        format: fmt,
        numActions,
        env: values.env ?? null,
        onFile: () => progress.tick(),
      });
      progress.finish();
      if (json) {
        console.log(JSON.stringify({ dataset: dataset ? name : null, ...report }));
      } else {
        console.log(
          `${dataset ? `imported ${report.episodes} episodes (${report.steps} steps) into dataset '${name}'` : 'imported nothing'} from ${printable(report.dir)} (format ${report.format}, ${report.files} files)`,
        );
        console.log(
          `good episodes: ${report.episodes}; bad files skipped: ${report.bad.length}${report.partial ? `; partial episodes dropped: ${report.partial}` : ''}`,
        );
        const conv = Object.entries(report.converted);
        if (conv.length) {
          console.log('converted:');
          for (const [what, n] of conv) console.log(`  ${what} (${n} episode${n === 1 ? '' : 's'})`);
        }
      }
      for (const b of report.bad) console.error(`skipped ${b.file}: ${b.reason}`);
      if (!dataset) {
        console.error(`oneiro dataset: no good episode in ${printable(report.dir)}; no dataset created`);
        return 1;
      }
      return 0;
    }

    case 'export': {
      expectArgs(1, 'a dataset NAME');
      const to = requireFlag('to', values.to);
      const ds = openDataset(ws, args[0]);
      const progress = new Progress(`export ${args[0]}`, ds.meta.episodes.length, json);
      const r = exportDataset(ds, to, () => progress.tick());
      progress.finish();
      if (json) console.log(JSON.stringify({ dataset: args[0], to, ...r }));
      else
        console.log(
          `exported ${r.files} episodes (${(r.bytes / 1e6).toFixed(1)} MB) of '${args[0]}' to ${printable(to)}`,
        );
      return 0;
    }

    case 'rm': {
      expectArgs(1, 'a dataset NAME');
      const r = removeDataset(ws, args[0]);
      if (json) console.log(JSON.stringify({ removed: args[0], ...r }));
      else
        console.log(
          `removed dataset '${args[0]}' (${'episodes' in r ? `${r.episodes} episodes` : `it was unreadable: ${r.unreadable}`})`,
        );
      return 0;
    }

    default:
      throw new UserError(`unknown subcommand '${sub}': expected list, inspect, import, export or rm`);
  }
}

function formatStats(s: DatasetStats): string {
  const lines = [
    `dataset ${s.name}${s.env ? ` (env ${s.env})` : ''}: ${s.episodes} episodes, ${s.steps} steps, frames ${s.observationShape.join('×')}, actions ${spaceText(s.actionSpace)}`,
    `source: ${JSON.stringify(s.source.kind ?? s.source)}`,
    `episode length (steps): min ${s.length.min}  median ${s.length.median}  mean ${num(s.length.mean, 1)}  max ${s.length.max}`,
    `return: min ${num(s.return.min)}  median ${num(s.return.median)}  mean ${num(s.return.mean)} ± ${num(s.return.std)}  max ${num(s.return.max)}`,
    `episodes ending in termination: ${s.terminated} of ${s.episodes}`,
  ];
  const h = s.return.histogram;
  if (h.counts.length > 1) {
    const peak = Math.max(...h.counts);
    lines.push('return histogram:');
    h.counts.forEach((c, i) =>
      lines.push(
        `  [${num(h.edges[i]).padStart(9)}, ${num(h.edges[i + 1]).padStart(9)})  ${'█'.repeat(Math.round((20 * c) / peak)).padEnd(20)} ${c}`,
      ),
    );
  }
  lines.push('actions (rows after each reset):');
  const A = s.action.mean.length;
  for (let k = 0; k < Math.min(A, 32); k++) {
    const count = s.action.counts ? `  chosen ${s.action.counts[k]}×` : '';
    lines.push(
      `  [${k}] mean ${num(s.action.mean[k], 3)}  std ${num(s.action.std[k], 3)}  min ${num(s.action.min[k], 3)}  max ${num(s.action.max[k], 3)}${count}`,
    );
  }
  if (A > 32) lines.push(`  … ${A - 32} more dimensions (--json for all)`);
  return lines.join('\n');
}
