import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createWorkbenchService, PROJECT_ROOT, type WorkbenchService } from '../../core/service/service.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { startHost, type RunningHost } from '../../core/host/server.ts';
import { connectWebSocket, type SocketCtor } from '../../core/contract/ws-client.ts';
import type { WorkbenchClient } from '../../core/contract/client.ts';
import { decodeMessage } from '../../core/contract/wire.ts';

/** A fresh workspace, the service with forked trainers, and the web host on a free port. */
export async function startTestHost(
  opts: { staticDir?: string | null } = {},
): Promise<{ ws: string; service: WorkbenchService; host: RunningHost; log: string[]; close(): Promise<void> }> {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-host-'));
  const service = createWorkbenchService({ workspace: ws, host: 'web', launcher: forkLauncher() });
  const log: string[] = [];
  const host = await startHost({
    api: service.api,
    events: service.events,
    log: (l) => log.push(l),
    staticDir: opts.staticDir === undefined ? join(PROJECT_ROOT, 'renderer', 'dist') : opts.staticDir,
  });
  return {
    ws,
    service,
    host,
    log,
    async close() {
      await service.close();
      await host.close();
      rmSync(ws, { recursive: true, force: true });
    },
  };
}

export function connect(url: string): Promise<WorkbenchClient> {
  return connectWebSocket(url, { WebSocket: WebSocket as unknown as SocketCtor });
}

/** A raw socket for sending what a well-behaved client never would. */
export async function rawSocket(url: string): Promise<{ ws: WebSocket; next(): Promise<unknown> }> {
  const ws = new WebSocket(url);
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  ws.on('message', (data, isBinary) => {
    const m = decodeMessage(isBinary ? (data as Buffer) : (data as Buffer).toString('utf8'));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((r, j) => {
    ws.once('open', () => r());
    ws.once('error', j);
  });
  return {
    ws,
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))),
  };
}

/** Resolves when `pred` holds, polling; rejects after `ms`. */
export async function until<T>(
  what: string,
  fn: () => T | Promise<T>,
  ms = 60_000,
  every = 100,
): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
