import type { EvalMetric } from '../models/family.ts';
import { openRunModel } from './load.ts';

/** `oneiro eval --json` output (issue 4): every metric with its baseline. */
export interface EvalReport {
  run: string;
  episodes: number;
  checkpoint_step: number;
  metrics: Record<string, EvalMetric>;
}

/** Evaluates a run's latest checkpoint on its held-out episodes through its family. */
export async function evaluateRun(runDir: string, opts: { seed?: number; backend?: string } = {}): Promise<EvalReport> {
  const r = await openRunModel(runDir, opts.backend ? { backend: opts.backend } : {});
  try {
    const metrics = await r.model.evaluate(r.data.heldOut, { seed: opts.seed ?? 0, trainEpisodes: r.data.train });
    return { run: r.config.id, episodes: r.data.heldOut.length, checkpoint_step: r.checkpoint.globalStep, metrics };
  } finally {
    r.model.dispose();
  }
}
