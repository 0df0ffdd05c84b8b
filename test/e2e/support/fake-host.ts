/**
 * The real web host (core/host/server.ts, whose dispatcher validates every request and reply) in this process, with
 * the dev fake service (renderer/dev/fake-client.ts) behind it instead of a workspace, and Chromium on the built
 * renderer: for journeys that check what the UI sends and shows, not what a trainer does. Registers the suite's
 * before/after hooks; returns its journey step.
 */
import { before, after } from 'node:test';
import { join } from 'node:path';
import { startHost, type RunningHost } from '../../../core/host/server.ts';
import type { WorkbenchApi, WorkbenchClient, WorkbenchEventSource } from '../../../core/contract/client.ts';
import { EVENT_NAMES } from '../../../core/contract/names.ts';
import { ROOT } from './host.ts';
import { ensureRendererBuilt } from './build.ts';
import { chromiumMissingReason, openSession, closeSession, journeyStep, type Session } from './browser.ts';

export function useFakeHost(fake: WorkbenchClient, api: WorkbenchApi, cleanup: () => Promise<void>) {
  const events: WorkbenchEventSource = {
    subscribe: (event, listener) => fake[event](listener as never),
    subscribeAll: (listener) => {
      const offs = EVENT_NAMES.map((e) => fake[e]((p: unknown) => listener(e, p)));
      return () => offs.forEach((off) => off());
    },
  };
  let host: RunningHost | undefined;
  let s: Session | undefined;
  const hostLog: string[] = [];

  before(
    async () => {
      const missing = chromiumMissingReason();
      if (missing) throw new Error(missing);
      await ensureRendererBuilt();
      host = await startHost({ api, events, staticDir: join(ROOT, 'renderer/dist'), log: (l) => hostLog.push(l) });
      s = await openSession(host.url);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await cleanup();
    if (s) await closeSession(s);
    if (host) await host.close();
  });

  return journeyStep(
    () => (host ? s : undefined),
    () => `  host log: ${hostLog.slice(-5).join(' | ') || 'none'}`,
  );
}
