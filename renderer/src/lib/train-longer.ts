import type { RunSummary } from '../../../core/contract/channels.ts';
import { EXTENDABLE } from '../../../core/contract/run-lifecycle.ts';

/**
 * "Train to N steps" in the Runs view: runs:resume with `steps` (core/service/runs.ts resume; the CLI's
 * `oneiro train --resume RUN --steps N`). Offered on the statuses that call accepts with `steps`. Whether the budget
 * may grow (never below the steps done, only the last phase that ran) is the service's call
 * (core/runs/run-steps.ts): the view shows its refusal, it does not predict it.
 */
export function offersTrainLonger(status: RunSummary['status']): boolean {
  return EXTENDABLE.includes(status);
}

/**
 * The prefilled budget: twice the run's total, i.e. as long again as it was given. Doubling is the next probe of a
 * search for the shortest budget that meets a target (issue 11), and it is above the steps done, so only a family
 * rule can refuse it. For one-phase families (rssm, object-graph) the total is the `steps` budget itself; for World
 * Models it sums the phases (`steps` sets each of vae and rnn), so the suggestion is larger and the user edits it.
 */
export function suggestedSteps(run: Pick<RunSummary, 'step' | 'totalSteps'>): number {
  return 2 * Math.max(run.totalSteps ?? 0, run.step, 1);
}
