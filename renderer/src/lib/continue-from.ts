import type { RequestOf, RunSummary } from '../../../core/contract/channels.ts';
import { parseOverrides } from './overrides.ts';

/**
 * "Continue from…" in the Runs view: runs:fork (core/service/runs.ts fork; the CLI's
 * `oneiro train --from RUN --phase P`), a new run seeded from this one's last checkpoint. Offered on completed World
 * Models runs, the only ones forkRun takes (core/runs/seed-from.ts); what the overrides may change (never vae.*, no
 * rnn.* at 'controller') is the service's call, shown as its one-line refusal.
 */
export type ForkPhase = 'rnn' | 'controller';

export const FORK_PHASES: { phase: ForkPhase; label: string }[] = [
  { phase: 'controller', label: "retrain the controller in this M's dream" },
  { phase: 'rnn', label: 'train M on, then the controller' },
];

export function offersContinueFrom(run: Pick<RunSummary, 'family' | 'status'>): boolean {
  return run.family === 'world-models' && run.status === 'completed';
}

/** M's budget in a run's config.json (`model.rnn.steps`, as runs:get returns it), or null when it is not there. */
export function rnnStepsOf(config: Record<string, unknown> | null | undefined): number | null {
  const model = config?.model as { rnn?: { steps?: unknown } } | undefined;
  const n = model?.rnn?.steps;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * The overrides the form starts with. controller: a hotter dream, τ 1.5 (the `small` preset's, measured on
 * car-racing: README, issue 11 item 3), harder for the controller to exploit than the paper presets' 1.0; a run
 * already at 1.5 gets it again, which the user edits. rnn: M's whole budget
 * doubled, i.e. as many steps again (forkRun refuses a budget that is not above M's steps done); empty when the
 * budget is not known.
 */
export function prefillOverrides(phase: ForkPhase, rnnSteps: number | null): string {
  if (phase === 'controller') return 'controller.temperature=1.5';
  return rnnSteps ? `rnn.steps=${2 * rnnSteps}` : '';
}

/** The runs:fork request of the form, or the reason its overrides text is not one. */
export function forkRequest(
  runId: string,
  phase: ForkPhase,
  text: string,
): { ok: true; req: RequestOf<'runs:fork'> } | { ok: false; error: string } {
  const o = parseOverrides(text);
  if (!o.ok) return o;
  return {
    ok: true,
    req: { runId, phase, ...(Object.keys(o.values).length ? { overrides: o.values } : {}) },
  };
}
