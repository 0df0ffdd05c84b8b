/**
 * Starts the real web host (`oneiro serve --port 0`) on a fresh temporary workspace and reads the URL it
 * prints (it carries the session token). The host runs as its own process, as a user would start it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../../', import.meta.url).pathname;

export interface RunningHost {
  url: string;
  workspace: string;
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function startHost(timeoutMs = 90_000): Promise<RunningHost> {
  const workspace = mkdtempSync(join(tmpdir(), 'oneiro-e2e-'));
  const proc = spawn(
    process.execPath,
    [join(ROOT, 'bin/oneiro.mjs'), 'serve', '--port', '0', '--workspace', workspace],
    {
      cwd: ROOT,
      env: { ...process.env, ONEIRO_WORKSPACE: workspace, BROWSER: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`oneiro serve printed no URL within ${timeoutMs} ms. Output:\n${out.slice(-3000)}`)),
      timeoutMs,
    );
    const onData = () => {
      const m = /(https?:\/\/(?:127\.0\.0\.1|localhost):\d+\/\S*token=[^\s"']+)/.exec(out);
      if (m) done(null, m[1]);
    };
    const onExit = (code: number | null) =>
      done(new Error(`oneiro serve exited with code ${code} before printing its URL. Output:\n${out.slice(-3000)}`));
    function done(err: Error | null, u?: string) {
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.stderr!.off('data', onData);
      proc.off('exit', onExit);
      if (err) {
        proc.kill('SIGKILL');
        rmSync(workspace, { recursive: true, force: true });
        reject(err);
      } else resolve(u!);
    }
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', onExit);
  });

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(workspace, { recursive: true, force: true });
  };
  return { url, workspace, proc, output: () => out, stop };
}
