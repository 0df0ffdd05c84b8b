import { getFamily } from '../models/registry.ts';
import type { PhaseSpec } from '../models/family.ts';
import { UserError } from '../util/errors.ts';
import { lastTrainedPhase, latestCheckpointName, readCheckpointMeta, type CheckpointPosition } from './checkpoints.ts';
import { observedState, readRunConfig, readStatus, writeRunConfig, type RunConfig } from './run-dir.ts';

/**
 * A run's step budget set again after it was created: `oneiro train --resume RUN --steps N` and the service's
 * resume with `steps`, so a promising run trains longer (issue 11 item 2 looks for the shortest budget that
 * meets the targets). N goes through the family's own `--steps` mapping (ModelFamily.withSteps, as createRun),
 * so the budget means what it meant when the run was made and the config is validated the same way.
 *
 * Only the last phase that ran can grow (and the phases after it, which have not started). A finished earlier
 * phase cannot: a later phase was trained on it (World Models' MDN-RNN on the VAE's encodings, the controller
 * in that RNN's dream), and re-running the later phases from scratch would need their initial parameters back,
 * which a checkpoint written after them no longer holds. So a completed World Models run cannot be extended by
 * `--steps` (it grows the VAE too); one paused in its VAE phase can. What such a run can do is start a new run from
 * itself (`oneiro train --from RUN --phase rnn|controller`, seed-from.ts): M trained on, or the controller afresh.
 * Budgets never shrink below the steps done.
 *
 * Nothing here depends on the total budget during training: every step's randomness comes from (seed, phase,
 * step) alone (trainer.ts stepSeed), the optimisers keep constant learning rates, online collection and the
 * checkpoint and log cadences count steps, not the budget. Training K steps, then extending to K + M, gives the
 * weights of training K + M straight (test/integration/run-steps.test.ts: rssm, rssm with the actor-critic, and
 * World Models stopped at the vae/rnn boundary). What differs is the record: the reopened phase ended once at K
 * (its end-of-phase metrics, e.g. the actor-critic's env score, stay in metrics.jsonl at step K). That holds
 * because the phase ends these rules can reopen change no weights; World Models' rnn end does (it refits M's
 * reward head), and is never reopened here, since `--steps` grows its vae too.
 */
export interface PhaseBudget {
  phase: string;
  /** Steps the phase has done (by the run's latest checkpoint). */
  done: number;
  from: number;
  to: number;
}

export interface SetStepsResult {
  /** False when every budget already was what `steps` maps to: config.json is not written. */
  changed: boolean;
  config: RunConfig;
  phases: PhaseBudget[];
}

/**
 * Where training continues from a checkpoint under the run's current budgets. A checkpoint at a phase boundary
 * (step 0 of the next phase, or past the last one: 'done') whose finished phase has a larger budget now is
 * reopened in that phase at the step it stopped at. Its steps done are the global step minus the earlier
 * phases' budgets, which setRunSteps never changes. Config.json is the truth, so a trainer killed after the
 * budget grew but before its first new checkpoint still reopens on the next resume.
 */
export function resumePosition(phases: readonly PhaseSpec[], pos: CheckpointPosition): CheckpointPosition {
  if (pos.step !== 0 || pos.phaseIndex === 0 || pos.phaseIndex > phases.length) return pos;
  const last = pos.phaseIndex - 1;
  const done = pos.globalStep - phases.slice(0, last).reduce((n, p) => n + p.steps, 0);
  if (done < 0 || done >= phases[last].steps) return pos;
  return { phaseIndex: last, phase: phases[last].name, step: done, globalStep: pos.globalStep };
}

/**
 * Sets a run's budget to what `steps` means for its family, after checking it against the steps done; a
 * refusal (one line naming the run, the phase, its steps done and what is expected) writes nothing.
 */
export async function setRunSteps(runDir: string, steps: number): Promise<SetStepsResult> {
  const config = readRunConfig(runDir);
  const status = readStatus(runDir);
  if (observedState(status) === 'running')
    throw new UserError(
      `run ${config.id} is training now (pid ${status?.pid ?? '?'}): stop it before changing its step budget`,
    );
  const family = await getFamily(config.family);
  const current = family.parseConfig(config.model);
  // The family's `--steps` mapping, validated by its config schema (a value above the maximum is refused here).
  const next = family.withSteps(current, steps);
  const from = family.phases(current);
  const to = family.phases(next);
  if (to.map((p) => p.name).join() !== from.map((p) => p.name).join())
    throw new Error(
      `${config.family}.withSteps changed the phases: ${from.map((p) => p.name)} → ${to.map((p) => p.name)}`,
    );
  const ckpt = latestCheckpointName(runDir);
  const at = ckpt ? resumePosition(from, readCheckpointMeta(runDir, ckpt)) : null;
  const done = from.map((p, i) => (!at || i > at.phaseIndex ? 0 : i < at.phaseIndex ? p.steps : at.step));
  if (at && done.reduce((a, b) => a + b, 0) !== at.globalStep)
    throw new UserError(
      `run ${config.id}: its checkpoint ${ckpt} (${at.phase} step ${at.step}, ${at.globalStep} steps in all) does not match the budgets in its config.json (${from.map((p) => `${p.name} ${p.steps}`).join(', ')}): expected them to add up, so its steps done are unknown`,
    );
  // The last phase that trained: the one the checkpoint is in, or the one it finished.
  const lastRan = !at ? -1 : lastTrainedPhase(at);
  const budgets: PhaseBudget[] = from.map((p, i) => ({ phase: p.name, done: done[i], from: p.steps, to: to[i].steps }));
  for (const [i, b] of budgets.entries()) {
    if (b.to < b.done)
      throw new UserError(
        `run ${config.id}: phase '${b.phase}' has done ${b.done} steps and steps ${steps} would set its budget to ${b.to}: expected a budget ≥ ${b.done} (a run's budget can only grow)`,
      );
    if (i < lastRan && b.to !== b.from)
      throw new UserError(
        `run ${config.id}: phase '${b.phase}' finished at ${b.done} steps and phase '${from[lastRan].name}' trained after it, so steps ${steps} (${b.phase} ${b.to}) cannot apply: expected only '${from[lastRan].name}' to grow; train '${b.phase}' longer in a new run${config.family === 'world-models' ? ` (M: oneiro train --from ${config.id} --phase rnn --set rnn.steps=N)` : ''}`,
      );
  }
  const changed = budgets.some((b) => b.to !== b.from);
  const updated: RunConfig = { ...config, model: next };
  // Written atomically and only now, after every check: a refusal leaves config.json as it was.
  if (changed) writeRunConfig(runDir, updated);
  return { changed, config: changed ? updated : config, phases: budgets };
}
