import { printable } from '../util/printable.ts';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isUserError } from '../util/errors.ts';
import { workspaceDir } from './args.ts';
import { describeFailure, logFailure, workspaceLogFile } from './failure.ts';

function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

/**
 * The `oneiro` command line. Each command lives in core/cli/commands/<name>.ts and exports
 * `run(argv: string[]): Promise<number>` (exit code) and `summary` (one line for help).
 */
const COMMANDS: Record<string, string> = {
  doctor: 'backend in use and why better ones are not, kernel self-check, Electron/Chromium availability',
  collect: 'collect real episodes from a built-in environment into a dataset',
  dataset: 'list | inspect | import | export | rm Dreamer-compatible datasets',
  render: 'render an episode as a filmstrip PNG or an animated GIF/WebP',
  envs: 'list the built-in environments with their spaces and rewards',
  train: 'train a world model (a run) from a dataset or online in an env',
  eval: 'held-out metrics of a run against baselines',
  dream: 'render an open-loop dream strip (truth / dream / error) of a run',
  probe: "train a probe decoder on a run's frozen features (how a model without a decoder is shown)",
  features: "write a run's filtered features and the true states to .npz (your own probes, in numpy)",
  runs: 'list runs in the workspace',
  serve: 'serve the workbench in web mode (127.0.0.1, token-protected)',
  bench: 'benchmark table: median ms per step per backend, env throughput',
  worker: 'take training jobs from a Redis queue (BullMQ) into the shared workspace',
  sweep: 'enqueue a sweep of runs (grid or random over config fields and seeds); sweep status ID',
};

function usage(): string {
  const lines = [
    'usage: oneiro <command> [options]   (every command takes --workspace DIR; --help for its options)',
    '',
  ];
  for (const [name, summary] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${summary}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (!(name in COMMANDS)) {
    console.error(
      `oneiro: unknown command '${printable(name)}'. Expected one of: ${Object.keys(COMMANDS).join(', ')}.`,
    );
    return 2;
  }
  const file = fileURLToPath(new URL(`./commands/${name}.ts`, import.meta.url));
  if (!existsSync(file)) {
    console.error(`oneiro ${name}: not available in this build.`);
    return 2;
  }
  try {
    const mod = (await import(file)) as { run: (argv: string[]) => Promise<number> };
    return await mod.run(rest);
  } catch (e) {
    if (isUserError(e)) {
      console.error(`oneiro ${name}: ${printable((e as Error).message)}`);
      return 2;
    }
    // Not the user's input: one line for them, the stack to a log file (the command may name its own).
    const file =
      (e as { logFile?: string }).logFile ?? workspaceLogFile(workspaceDir(flagValue(rest, '--workspace')), name);
    logFailure(file, e, `oneiro ${argv.join(' ')}`);
    console.error(`oneiro ${name}: ${describeFailure(e, file)}`);
    return 1;
  }
}
