import type { BenchContext, BenchRow } from '../types.ts';
import { probeHostEventLoop } from '../../host/eventloop-probe.ts';

/**
 * The web host's responsiveness while two World Models debug runs train in their own processes and
 * a WebSocket client keeps requesting run lists and frame strips (issue 6 target: p99 < 50 ms).
 * The value is the p99 of the event-loop delay over the window (perf_hooks.monitorEventLoopDelay,
 * 10 ms resolution), not a median of steps.
 */
export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const windowMs = ctx.quick ? 3000 : 10_000;
  const r = await probeHostEventLoop({ runs: 2, windowMs, log: (s) => ctx.log(`host: ${s}`) });
  return [
    {
      name: 'host-eventloop-p99',
      backend: 'host',
      median: Math.round(r.p99 * 10) / 10,
      unit: 'ms',
      note: `p99 over ${windowMs / 1000} s, 2 runs training (trainers on their default backend); p50 ${r.p50.toFixed(1)} ms, max ${r.max.toFixed(1)} ms, ${r.requests} requests${ctx.quick ? ', quick' : ''}`,
    },
  ];
}
