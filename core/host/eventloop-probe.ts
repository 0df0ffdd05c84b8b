import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkbenchService } from '../service/service.ts';
import { forkLauncher } from '../trainer/launcher.ts';
import { startHost } from './server.ts';
import { connectWebSocket, type SocketCtor } from '../contract/ws-client.ts';

/**
 * Measures the web host's event-loop delay while N runs train in their own processes and a client
 * keeps talking to the host (the UI's traffic: run lists, frame strips, metric events). Used by the
 * integration test and by the `host-eventloop-p99` bench row. Issue 6: p99 < 50 ms with two runs.
 */
export interface ProbeResult {
  p50: number;
  p99: number;
  max: number;
  /** Requests answered and metric events received during the window. */
  requests: number;
  metricEvents: number;
  /** Highest step the runs reached (proof they were training). */
  steps: number[];
  windowMs: number;
}

export async function probeHostEventLoop(
  opts: { runs?: number; windowMs?: number; log?: (s: string) => void } = {},
): Promise<ProbeResult> {
  const nRuns = opts.runs ?? 2;
  const windowMs = opts.windowMs ?? 10_000;
  const log = opts.log ?? (() => {});
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-eventloop-'));
  const service = createWorkbenchService({ workspace: ws, host: 'web', launcher: forkLauncher() });
  const host = await startHost({ api: service.api, events: service.events, staticDir: null });
  const { default: WebSocket } = await import('ws');
  const client = await connectWebSocket(host.wsUrl, { WebSocket: WebSocket as unknown as SocketCtor });
  try {
    log('collecting a small dataset');
    await client.collectDataset({ env: 'cartpole-swingup', dataset: 'probe', episodes: 3, maxSteps: 40 });
    const ids: string[] = [];
    for (let i = 0; i < nRuns; i++) {
      const r = await client.createRun({
        family: 'world-models',
        preset: 'debug',
        dataset: 'probe',
        steps: 100_000,
        name: `probe-${i}`,
        seed: i,
      });
      await client.startRun({ runId: r.id });
      ids.push(r.id);
    }
    const seen = new Map<string, number>();
    let metricEvents = 0;
    client.onMetrics((m) => {
      metricEvents++;
      seen.set(m.runId, Math.max(seen.get(m.runId) ?? 0, ...m.points.map((p) => p.step)));
    });
    // Measure only once every trainer is past start-up and streaming metrics.
    const t0 = Date.now();
    while (ids.some((id) => !seen.has(id))) {
      if (Date.now() - t0 > 120_000) throw new Error('runs did not start streaming metrics within 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    log(`${nRuns} runs training; measuring ${windowMs} ms`);
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let requests = 0;
    const end = Date.now() + windowMs;
    while (Date.now() < end) {
      await Promise.all([
        client.listRuns(),
        client.episodeFrames({ dataset: 'probe', episode: 0, start: 0, count: 16 }),
      ]);
      requests += 2;
      await new Promise((r) => setTimeout(r, 50));
    }
    h.disable();
    for (const id of ids) await client.stopRun({ runId: id });
    return {
      p50: h.percentile(50) / 1e6,
      p99: h.percentile(99) / 1e6,
      max: h.max / 1e6,
      requests,
      metricEvents,
      steps: ids.map((id) => seen.get(id) ?? 0),
      windowMs,
    };
  } finally {
    client.close();
    await service.close();
    await host.close();
    rmSync(ws, { recursive: true, force: true });
  }
}
