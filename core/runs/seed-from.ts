import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getFamily } from '../models/registry.ts';
import { RNN_SHAPE_KEYS, type WorldModelsConfig } from '../models/world-models/config.ts';
import { deepMerge } from '../util/safe-keys.ts';
import { UserError } from '../util/errors.ts';
import { latestCheckpointName, loadCheckpoint, readCheckpointMeta, saveCheckpoint } from './checkpoints.ts';
import { readRunConfig, resolveRunDir, type RunConfig, type RunTrainConfig } from './run-dir.ts';
import { createRun } from './trainer.ts';

/**
 * A World Models run that starts from another finished run's last checkpoint at a later phase, instead of from
 * scratch: the controller retrained in the same V and M's dream under other settings (issue 11 item 3's levers: the
 * dream temperature τ, the CMA-ES population), or M trained on. The other run is only read.
 *
 * Where the new run starts:
 * - 'controller': at the controller phase, V and M as trained, no CMA-ES state, so the new run's controller
 *   settings start a fresh search from θ = 0 (`oneiro train --from RUN --phase controller`,
 *   scripts/world-models-controller-only.ts).
 * - 'rnn': inside M's phase, after the steps M did there. The new run's rnn.steps is M's whole budget, counting
 *   those steps (as `--resume --steps` counts them), so it trains rnn.steps − done more; its step seeds go on
 *   from there (trainer.ts stepSeed), so with the same seed and rnn settings M is bit for bit the M of a run
 *   trained to rnn.steps straight (when rnn.rewardRefitHorizon is 0: a refit at the old run's rnn end is not
 *   undone). Adam's moments and step count carry over; the controller then starts afresh, as at 'controller'
 *   (`oneiro train --from RUN --phase rnn`).
 * - 'iteration': eval:world-models' next iteration (scripts/world-models-iterate.ts) on a dataset that grew: M
 *   trains the new run's rnn.steps more from rnn step 0 (the iteration's budget), and the CMA-ES state carries
 *   over, as the paper's iterative procedure continues its search.
 * V is always taken as trained (the VAE phase is skipped).
 */
export type SeedPhase = 'rnn' | 'controller' | 'iteration';

type Budgets = Pick<WorldModelsConfig, 'vae' | 'rnn' | 'controller'>;

/**
 * Writes the first checkpoint of the run at `toDir` (created, not trained) from the run at `fromDir`'s last one,
 * positioned at `at` (see SeedPhase). Both must be World Models runs; their V and M shapes must agree (forkRun
 * checks the configs up front; the tensors are checked when trained).
 */
export async function seedRunFrom(fromDir: string, toDir: string, at: SeedPhase): Promise<void> {
  const from = readRunConfig(fromDir);
  const to = readRunConfig(toDir);
  if (from.family !== 'world-models' || to.family !== 'world-models')
    throw new UserError(`seedRunFrom continues World Models runs, got ${from.family} → ${to.family}`);
  const ck = loadCheckpoint(fromDir);
  if (!ck) throw new UserError(`run ${from.id} has no checkpoint to continue from`);
  try {
    if (ck.meta.phase !== 'done')
      throw new UserError(`run ${from.id} stopped in its ${ck.meta.phase} phase: finish it before iterating`);
    const src = from.model as Budgets;
    const dst = to.model as Budgets;
    if (at === 'controller' && !(dst.controller.enabled && dst.controller.generations > 0))
      throw new UserError(
        `run ${to.id} has no controller phase (controller.enabled false or 0 generations): nothing to train from it`,
      );
    if (at === 'rnn' && !(dst.rnn.steps > src.rnn.steps))
      throw new UserError(
        `run ${to.id}: rnn.steps ${dst.rnn.steps} is M's whole budget and M has done ${src.rnn.steps} steps in run ${from.id}: expected more than ${src.rnn.steps}`,
      );
    const tensors = { ...ck.tensors };
    // The old controller is not the new run's: its search starts afresh (restore never reads θ; the Runs view would).
    if (at !== 'iteration') delete tensors['controller/theta'];
    const m = at === 'rnn' ? src.rnn.steps : 0;
    await saveCheckpoint(
      toDir,
      {
        family: to.family,
        runId: to.id,
        backend: to.backend,
        phaseIndex: at === 'controller' ? 2 : 1,
        phase: at === 'controller' ? 'controller' : 'rnn',
        step: m,
        globalStep: dst.vae.steps + (at === 'controller' ? dst.rnn.steps : m),
        state: at === 'iteration' ? ck.meta.state : { ...ck.meta.state, cma: null },
      },
      tensors,
      to.train.keepCheckpoints,
    );
  } finally {
    tf.dispose(Object.values(ck.tensors));
  }
}

export interface ForkOptions {
  /** Where `from` is looked up by id; the new run goes in `from`'s own workspace. */
  workspace: string;
  /** The finished World Models run to start from: an id in the workspace or a run folder. */
  from: string;
  /** 'rnn' or 'controller' (user input: anything else is refused). */
  phase: string;
  /** Overrides deep-merged onto the run's own config, validated by the family's schema. */
  overrides?: Record<string, unknown>;
  /** Default: the run's own seed (so 'rnn' continues M's step seeds). */
  seed?: number;
  backend?: string;
  /** The new run's id (default: generated, as createRun's). */
  id?: string;
  /** Merged onto the run's own train settings (its held-out fraction stays, so M sees the same episodes). */
  train?: Partial<RunTrainConfig>;
}

/**
 * A new run in the same workspace, made from the run `from` (its config with `overrides`, its dataset and preset)
 * and seeded at `phase` by seedRunFrom; not trained. Every refusal (one line naming what was wrong) comes before
 * the new run's folder exists, and `from` is only read.
 */
export async function forkRun(o: ForkOptions): Promise<{ id: string; dir: string; config: RunConfig }> {
  const fromDir = resolveRunDir(o.workspace, o.from);
  const src = readRunConfig(fromDir);
  if (src.family !== 'world-models')
    throw new UserError(
      `run ${src.id} is an ${src.family} run: only World Models runs can be continued at a later phase (--from)`,
    );
  const phase = o.phase;
  if (phase !== 'rnn' && phase !== 'controller')
    throw new UserError(
      `--phase '${phase}' is not a phase a run can start at: expected rnn (train M on, then the controller) or controller (V and M as trained)`,
    );
  const ckpt = latestCheckpointName(fromDir);
  if (!ckpt) throw new UserError(`run ${src.id} has no checkpoint to continue from: train it first`);
  const meta = readCheckpointMeta(fromDir, ckpt);
  if (meta.phase !== 'done')
    throw new UserError(
      `run ${src.id} stopped in its ${meta.phase} phase (step ${meta.globalStep}): finish it first (oneiro train --resume ${src.id})`,
    );
  const family = await getFamily('world-models');
  const before = family.parseConfig(src.model) as WorldModelsConfig;
  // M's steps done are read from the config's budgets (seedRunFrom): they must be what the checkpoint trained.
  const budgets = family.phases(before).map((p) => `${p.name} ${p.steps}`);
  if (family.phases(before).reduce((n, p) => n + p.steps, 0) !== meta.globalStep)
    throw new UserError(
      `run ${src.id}: its checkpoint ${ckpt} (${meta.globalStep} steps) does not match the budgets in its config.json (${budgets.join(', ')}): expected them to add up, so what V and M trained is unknown`,
    );
  const merged = o.overrides ? deepMerge(structuredClone(before), o.overrides, (m) => new UserError(m)) : before;
  const after = family.resolveConfig(src.preset, merged) as WorldModelsConfig;
  const changed = fixedFieldChanged(before, after, phase);
  if (changed) throw new UserError(`${changed} (run ${src.id} is left as it is)`);
  if (phase === 'rnn' && after.rnn.steps <= before.rnn.steps)
    throw new UserError(
      `--phase rnn: rnn.steps is M's whole budget and M has done ${before.rnn.steps} steps in run ${src.id}: expected rnn.steps > ${before.rnn.steps} (e.g. --set rnn.steps=${2 * before.rnn.steps} trains ${before.rnn.steps} more)`,
    );
  if (phase === 'controller' && !family.phases(after).some((p) => p.name === 'controller'))
    throw new UserError(
      `--phase controller: the new run has no controller phase (controller.enabled ${after.controller.enabled}, controller.generations ${after.controller.generations}, behavior ${after.behavior}, rnn.rewardHead ${after.rnn.rewardHead}): expected controller.enabled true, generations > 0, behavior controller`,
    );
  const run = await createRun({
    // RUN's own workspace (where its dataset is), also when RUN was named by a folder path.
    workspace: resolve(fromDir, '..', '..'),
    family: 'world-models',
    preset: src.preset,
    dataset: src.source.dataset,
    env: src.source.env,
    seed: o.seed ?? src.seed,
    overrides: after,
    ...(o.backend ? { backend: o.backend } : {}),
    train: { ...src.train, ...o.train },
    ...(o.id ? { id: o.id } : {}),
    from: { run: src.id, phase, checkpoint: ckpt },
  });
  try {
    await seedRunFrom(fromDir, run.dir, phase);
  } catch (e) {
    rmSync(run.dir, { recursive: true, force: true });
    throw e;
  }
  return run;
}

/**
 * The first field the new config changes that the seeded checkpoint fixes, as one line, or null. V is taken as
 * trained: every vae field either shapes its tensors (zDim, the conv widths and kernels, imageSize) or describes
 * training that is over. At 'controller' M is taken as trained too; at 'rnn' M's shape stays (RNN_SHAPE_KEYS).
 */
function fixedFieldChanged(before: WorldModelsConfig, after: WorldModelsConfig, phase: 'rnn' | 'controller') {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const show = (v: unknown) => JSON.stringify(v);
  for (const k of Object.keys(before.vae) as (keyof WorldModelsConfig['vae'])[])
    if (!same(before.vae[k], after.vae[k]))
      return `vae.${k}: ${show(before.vae[k])} → ${show(after.vae[k])} cannot apply: the new run takes V as trained, so its vae settings stay as they were`;
  const rnnKeys =
    phase === 'controller'
      ? (Object.keys(before.rnn) as (keyof WorldModelsConfig['rnn'])[])
      : (RNN_SHAPE_KEYS as readonly (keyof WorldModelsConfig['rnn'])[]);
  for (const k of rnnKeys)
    if (!same(before.rnn[k], after.rnn[k]))
      return phase === 'controller'
        ? `rnn.${k}: ${show(before.rnn[k])} → ${show(after.rnn[k])} cannot apply at --phase controller: the new run takes M as trained (--phase rnn trains it on)`
        : `rnn.${k}: ${show(before.rnn[k])} → ${show(after.rnn[k])} cannot apply: it changes the shape of M's trained weights, which the new run trains on`;
  return null;
}
