import type { RunStatus } from './channels.ts';

/**
 * Which statuses each run lifecycle call takes, shared by the service (core/service/runs.ts, which refuses the rest)
 * and the Runs view (which offers a button only where the call would be taken), so the two cannot drift.
 */

/**
 * `runs:resume` without steps: a trainer left a checkpoint short of its budget. Not 'failed' (diverged): every
 * step's randomness is fixed by (seed, phase, step), so the same config diverges again at the same step; the
 * message says to start a new run with a lower learning rate. Not 'completed': nothing is left to train.
 */
export const RESUMABLE: readonly RunStatus[] = ['paused', 'stopped', 'crashed'];

/** `runs:resume` with `steps` (train a run longer): the resumable statuses and 'completed', whose budget grows. */
export const EXTENDABLE: readonly RunStatus[] = [...RESUMABLE, 'completed'];

/** A trainer has the run (or will): its last checkpoint may be replaced at any moment, so `runs:fork` refuses it. */
export const TRAINING: readonly RunStatus[] = ['starting', 'queued', 'running'];

export type RunAction = 'start' | 'pause' | 'resume' | 'stop';

/** Whether the Runs view offers `action` on a run in `status`. */
export function offersRunAction(action: RunAction, status: RunStatus): boolean {
  switch (action) {
    case 'start':
      return status === 'created';
    case 'pause':
      return status === 'running';
    case 'resume':
      return RESUMABLE.includes(status);
    case 'stop':
      return status === 'running' || status === 'paused' || status === 'starting' || status === 'queued';
  }
}
