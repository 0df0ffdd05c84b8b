import type { EvalMetric } from '../models/family.ts';
import { openRunModel } from '../runs/load.ts';
import { UserError } from '../util/errors.ts';

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
    if (r.data.heldOut.length === 0)
      throw new UserError(
        `run ${r.config.id} has no held-out episodes yet (${r.data.train.length} trained on): episodes are held out by a hash of their id at fraction ${r.config.train.heldOutFraction}; collect more, or train with a larger held-out fraction`,
      );
    const metrics = await r.model.evaluate(r.data.heldOut, { seed: opts.seed ?? 0, trainEpisodes: r.data.train });
    return { run: r.config.id, episodes: r.data.heldOut.length, checkpoint_step: r.checkpoint.globalStep, metrics };
  } finally {
    r.model.dispose();
  }
}
