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
