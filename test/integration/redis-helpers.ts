import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away redis-server for the queue tests: loopback only, in a temp folder, with the
 * persistence a queue needs (appendonly yes, fsync every write), never a system service.
 */
export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  /** SIGTERM-free hard stop (SIGKILL: what a crash or power loss does), then start again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const REDIS_AVAILABLE = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Waits until the server started in `dir` answers on `port`. The answer must name our folder: between freePort
 * closing its probe and redis binding, another test's server can take the port, and its PONG is not ours.
 * Returns false when our process exited first (it could not bind), so the caller can try another port.
 */
async function waitReady(port: number, dir: string, proc: ChildProcess, extra: string[] = []): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    const r = spawnSync('redis-cli', ['-p', String(port), ...extra, 'config', 'get', 'dir'], { encoding: 'utf8' });
    if (r.stdout?.split('\n')[1]?.trim() === dir) return true;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

export async function startRedis(
  opts: { args?: string[]; cliArgs?: string[]; port?: number } = {},
): Promise<TestRedis> {
  if (!REDIS_AVAILABLE) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run does)');
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-redis-'));
  let port = opts.port ?? (await freePort());
  let proc: ChildProcess | null = null;
  const launch = async (): Promise<boolean> => {
    const p = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        ...(opts.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    proc = p;
    return waitReady(port, dir, p, opts.cliArgs);
  };
  // A port another process bound after freePort released it: draw again (a port the caller chose is kept).
  for (let attempt = 0; !(await launch()); attempt++) {
    if (opts.port !== undefined || attempt >= 4) {
      rmSync(dir, { recursive: true, force: true }); // nothing of ours ever ran in it
      throw new Error(`redis-server could not start on port ${port}`);
    }
    port = await freePort();
  }
  const kill = () =>
    new Promise<void>((resolve) => {
      const p = proc;
      if (!p || p.exitCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async restart() {
      await kill();
      if (!(await launch())) throw new Error(`redis-server did not start again on port ${port}`);
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
