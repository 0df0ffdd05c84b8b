import type { CheckpointInfo, RequestOf } from '../../../core/contract/channels.ts';

/**
 * The Evaluation panel's checkpoint choice (runs:eval `checkpointStep`, as `oneiro eval --checkpoint STEP`): a learning
 * curve over the run's kept checkpoints. The select lists their steps newest first.
 */
export function keptSteps(kept: readonly Pick<CheckpointInfo, 'step'>[]): number[] {
  return [...new Set(kept.map((c) => c.step))].sort((a, b) => b - a);
}

/** The props of a Runs-view panel that works on one of a run's checkpoints (the evaluation, the feature export). */
export interface CheckpointPanelProps {
  runId: string;
  /** Step of the latest checkpoint (null: none yet). */
  checkpointStep: number | null;
  /** Steps of the kept checkpoints, newest first (runs:checkpoints; keptSteps). */
  kept: number[];
}

/** The step the panel evaluates: the one picked while the run still keeps it, else the latest (null: none kept). */
export function chosenStep(picked: number | null, steps: readonly number[]): number | null {
  return picked !== null && steps.includes(picked) ? picked : (steps[0] ?? null);
}

/**
 * The request for that step. The latest is asked without a step, as before: its measures are the run's final ones
 * (the Sweeps view's), and a corrupt latest falls back to the newest intact checkpoint as the CLI's default does.
 */
export function evalRequest(runId: string, step: number | null, steps: readonly number[]): RequestOf<'runs:eval'> {
  return step === null || step === steps[0] ? { runId } : { runId, checkpointStep: step };
}
