import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { parseFromWorker } from './protocol.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/**
 * Starting worker processes (a trainer per run, collect jobs) behind one interface, so the service
 * does not know whether it runs in web mode (`child_process.fork` with `--import tsx`) or in the
 * desktop app (Electron `utilityProcess`, injected by electron/main.ts — core never imports Electron).
 */

export interface WorkerCallbacks {
  onMessage(msg: FromWorker): void;
  /** The worker sent something that is not a protocol message (it is then killed: not trusted). */
  onProtocolError(why: string): void;
  onLine(stream: 'stdout' | 'stderr', line: string): void;
  /** Exactly once. `signal` is null for utilityProcess, which reports only a code. */
  onExit(code: number | null, signal: string | null): void;
}

export interface WorkerHandle {
  readonly pid: number | undefined;
  send(msg: ToWorker): void;
  /** Hard kill (SIGKILL where signals exist). */
  kill(): void;
}

export interface WorkerLauncher {
  /** 'queue': runs go to the job queue (core/queue/launcher.ts) and are trained by remote workers. */
  readonly kind: 'fork' | 'utility' | 'queue';
  spawn(name: string, cb: WorkerCallbacks): WorkerHandle;
}

export const TRAINER_ENTRY = fileURLToPath(new URL('./entry.ts', import.meta.url));
/** The same entry behind a tsx loader, for utilityProcess (no execArgv needed). */
export const TRAINER_ENTRY_MJS = fileURLToPath(new URL('./entry.mjs', import.meta.url));

/** Splits a byte stream into lines (a trainer's stdout/stderr become onRunLog events). */
export function pipeLines(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      // The wasm backend can print megabyte-long minified lines on an exception: keep the head.
      if (line.trim()) onLine(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    }
    if (buf.length > 64 * 1024) {
      onLine(`${buf.slice(0, 2000)}…`);
      buf = '';
    }
  });
  stream.on('end', () => {
    if (buf.trim()) onLine(buf.slice(0, 2000));
    buf = '';
  });
}

/**
 * Workers run below normal scheduling priority: training saturates every core, and the host that
 * serves the UI must win the CPU when it needs it (issue 6: event-loop p99 < 50 ms while runs train).
 */
export const WORKER_NICE = 10;

function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, WORKER_NICE);
  } catch {
    /* not permitted here: the worker keeps normal priority */
  }
}

function deliver(raw: unknown, cb: WorkerCallbacks, kill: () => void): void {
  const r = parseFromWorker(raw);
  if (r.ok) cb.onMessage(r.msg);
  else {
    cb.onProtocolError(r.why);
    kill();
  }
}

export interface ForkOptions {
  entry?: string;
  /** Default: ['--import', 'tsx'] so the TypeScript entry runs without a build step. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

export function forkLauncher(opts: ForkOptions = {}): WorkerLauncher {
  return {
    kind: 'fork',
    spawn(name, cb) {
      const child = fork(opts.entry ?? TRAINER_ENTRY, [name], {
        execArgv: opts.execArgv ?? ['--import', 'tsx'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, ...opts.env, ONEIRO_WORKER: name },
        serialization: 'advanced',
      });
      let exited = false;
      lowerPriority(child.pid);
      const kill = () => {
        if (!exited) child.kill('SIGKILL');
      };
      pipeLines(child.stdout, (l) => cb.onLine('stdout', l));
      pipeLines(child.stderr, (l) => cb.onLine('stderr', l));
      child.on('message', (raw) => deliver(raw, cb, kill));
      child.on('error', (e) => cb.onLine('stderr', `worker process error: ${e.message}`));
      child.on('exit', (code, signal) => {
        exited = true;
        cb.onExit(code, signal);
      });
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (!exited && child.connected) child.send(msg);
        },
        kill,
      };
    },
  };
}

/** The slice of Electron's `utilityProcess` module this needs (structural, so core stays Electron-free). */
export interface UtilityProcessLike {
  fork(
    modulePath: string,
    args?: string[],
    options?: {
      serviceName?: string;
      stdio?: 'pipe' | 'ignore' | 'inherit';
      execArgv?: string[];
      env?: NodeJS.ProcessEnv;
    },
  ): UtilityChildLike;
}
export interface UtilityChildLike {
  readonly pid: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
}

/** Desktop: `utilityProcess.fork(entry)` with entry = core/trainer/entry.mjs (registers tsx, runs entry.ts). */
export function utilityLauncher(
  utilityProcess: UtilityProcessLike,
  entry: string,
  env?: NodeJS.ProcessEnv,
): WorkerLauncher {
  return {
    kind: 'utility',
    spawn(name, cb) {
      const child = utilityProcess.fork(entry, [name], {
        serviceName: `oneiro ${name}`,
        stdio: 'pipe',
        env: { ...process.env, ...env, ONEIRO_WORKER: name },
      });
      let exited = false;
      lowerPriority(child.pid);
      const kill = () => {
        if (!exited) child.kill();
      };
      pipeLines(child.stdout, (l) => cb.onLine('stdout', l));
      pipeLines(child.stderr, (l) => cb.onLine('stderr', l));
      child.on('message', (raw) => deliver(raw, cb, kill));
      child.on('exit', (code) => {
        exited = true;
        cb.onExit(code, null);
      });
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          if (!exited) child.postMessage(msg);
        },
        kill,
      };
    },
  };
}
