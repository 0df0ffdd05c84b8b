import { makeEnv } from '../../envs/registry.ts';
import { Rng } from '../../util/rng.ts';
import { median, type BenchContext, type BenchRow } from '../types.ts';

/**
 * Built-in env throughput, rows `env-<name>` in steps/s (median over >= 10 timed chunks).
 * A step is one `env.step()` with actionRepeat 1 (so one simulator step) on a uniformly random action,
 * including rendering the frame at the default size (64×64; shapes-2d its native 50×50) and copying it
 * into the returned observation; episode resets that fall inside a chunk are timed too. JavaScript runs
 * the env on one thread, so this is one core.
 */
const ENVS: { name: string; chunk: number }[] = [
  { name: 'car-racing', chunk: 200 },
  { name: 'cartpole-swingup', chunk: 1000 },
  { name: 'pendulum-swingup', chunk: 1000 },
  { name: 'shapes-2d', chunk: 2000 },
  { name: 'pinpad-three', chunk: 2000 },
];

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const chunks = Math.max(10, ctx.steps);
  for (const { name, chunk: full } of ENVS) {
    const chunk = ctx.quick ? Math.max(20, Math.floor(full / 10)) : full;
    const env = makeEnv(name, { actionRepeat: 1 });
    const sp = env.actionSpace;
    const rng = new Rng(0);
    const cont = sp.kind === 'box' ? new Float32Array(sp.shape[0]) : null;
    const act = (): number | Float32Array => {
      if (sp.kind === 'discrete') return rng.int(sp.n);
      for (let i = 0; i < cont!.length; i++) cont![i] = rng.uniform(sp.low[i], sp.high[i]);
      return cont!;
    };
    let seed = 0;
    env.reset(seed++);
    const runChunk = (): number => {
      const t0 = performance.now();
      for (let i = 0; i < chunk; i++) {
        const r = env.step(act());
        if (r.terminated || r.truncated) env.reset(seed++);
      }
      return (chunk * 1000) / (performance.now() - t0);
    };
    runChunk(); // warm-up (JIT)
    const rates: number[] = [];
    for (let c = 0; c < chunks; c++) rates.push(runChunk());
    const [h, w] = env.observationShape;
    const row: BenchRow = {
      name: `env-${name}`,
      backend: 'js',
      median: Math.round(median(rates)),
      unit: 'steps/s',
      note: `${h}×${w}, 1 thread, actionRepeat 1, random actions, render incl.; ${chunks}×${chunk} steps${ctx.quick ? ' (quick)' : ''}`,
    };
    ctx.log(`${row.name}: ${row.median} steps/s`);
    rows.push(row);
  }
  return rows;
}
