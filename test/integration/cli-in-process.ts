import { main } from '../../core/cli/main.ts';

/**
 * `oneiro … --workspace WS` run in this process (no child's 1–2 s of startup): its exit code, what it printed on
 * stdout and on stderr (console.error and the progress bar).
 */
export async function oneiroInProcess(
  workspace: string,
  ...args: string[]
): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const [e, l, w] = [console.error, console.log, process.stderr.write];
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main([...args, '--workspace', workspace]);
    return { code, stderr: err.join('\n'), stdout: out.join('\n') };
  } finally {
    [console.error, console.log, process.stderr.write] = [e, l, w];
  }
}

/**
 * A tiny cartpole dataset `cp` (32 px) and a debug RSSM run trained on it, in process: the run id. `collect` and
 * `train` add flags (e.g. ['--seed', '5'], ['--checkpoint-every', '1']).
 */
export async function tinyRssmRun(
  workspace: string,
  opts: { episodes: number; steps: number; collect?: string[]; train?: string[] },
): Promise<string> {
  const c = await oneiroInProcess(
    workspace,
    'collect',
    '--env',
    'cartpole-swingup',
    '--episodes',
    String(opts.episodes),
    '--dataset',
    'cp',
    '--size',
    '32',
    ...(opts.collect ?? []),
  );
  if (c.code !== 0) throw new Error(`collect: ${c.stderr.slice(-2000)}`);
  const t = await oneiroInProcess(
    workspace,
    'train',
    '--model',
    'rssm',
    '--dataset',
    'cp',
    '--preset',
    'debug',
    '--steps',
    String(opts.steps),
    '--json',
    ...(opts.train ?? []),
  );
  if (t.code !== 0) throw new Error(`train: ${t.stderr.slice(-2000)}`);
  return JSON.parse(t.stdout.trim().split('\n').pop()!).run;
}
