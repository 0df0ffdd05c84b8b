/**
 * The Dream Lab's run and real frame, which all its panels act from: the open-loop dream, the actor's dream, the
 * goal dream and the objects view each ask the dream server about one run from one real frame of an episode.
 */
import type { RunSummary } from '../../../core/contract/channels.ts';

/** What the Dream Lab hands each of its panels: the chosen run and the real frame to start from. */
export interface LabFrame {
  run: RunSummary | undefined;
  /** Null: the run's own dataset. */
  dataset: string | null;
  episode: number;
  start: number;
}

/** Where a dream starts; an unset context or horizon (null, or 0 from a cleared field) is the model's own. */
export interface DreamStart {
  dataset: string | null;
  episode: number;
  start: number;
  context?: number | null;
  horizon?: number | null;
}

/**
 * The request fields of a dream of run `runId` from a real frame: the dataset, context and horizon only when
 * set, so that the dream server applies the run's and the model's own where the user chose none.
 */
export function dreamFrom(runId: string, s: DreamStart) {
  return {
    runId,
    episode: s.episode,
    start: s.start,
    ...(s.dataset ? { dataset: s.dataset } : {}),
    ...(s.context ? { context: s.context } : {}),
    ...(s.horizon ? { horizon: s.horizon } : {}),
  };
}
