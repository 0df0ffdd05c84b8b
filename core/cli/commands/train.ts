import { parseCommand, workspaceDir, intFlag, requireFlag } from '../args.ts';
import { Progress } from '../progress.ts';
import { familyNames, getFamily } from '../../models/registry.ts';
import type { trainRun } from '../../runs/trainer.ts';
import { readRunConfig, resolveRunDir } from '../../runs/run-dir.ts';
import { isUserError, UserError } from '../../util/errors.ts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { cliOverrides } from '../config-overrides.ts';
import { logFailure, workspaceLogFile } from '../failure.ts';
// The backend, the trainer and the families (tfjs and every model: ≈ 1 CPU s to import through tsx) load only
// where a command line that passed its checks needs them, so a refused one answers at the CLI's floor cost.

export const summary = 'train a world model (a run) from a dataset or online in an env';

async function help(): Promise<string> {
  const presets: string[] = [];
  for (const name of familyNames()) presets.push(`${name}: ${(await getFamily(name)).presets.join(' | ')}`);
  return `usage: oneiro train --model FAMILY --dataset NAME [options]
       oneiro train --model rssm --env NAME --online [options]   (PlaNet's loop: collect, train, plan, repeat)
       oneiro train --resume RUN [--steps N]
       oneiro train --from RUN --phase rnn|controller [--set KEY=VALUE ...] [--seed S]   (World Models)

  --model FAMILY     model family: ${familyNames().join(', ')}
  --dataset NAME     dataset in the workspace to train on (~10% of episodes, chosen by a hash of their id,
                     are held out for eval; online runs hold out their collected episodes the same way,
                     plus one dedicated held-out episode when none of the prefill's ids is)
  --env NAME --online  train online in a built-in env (families that plan or act: rssm)
  --behavior B       how the agent acts and learns: rssm: cem | actor-critic | plan2explore | lexa (default: the
                     preset's — planet: cem, dreamerv1/dreamerv2: actor-critic); world-models: controller (CMA-ES
                     in the dream, the default) | cem (PlaNet's planner on the VAE + MDN-RNN; offline, from a dataset)
  --preset P         config preset (default: default)
                       ${presets.join('\n                       ')}
  --set KEY=VALUE    override one config field, e.g. --set rssm.deter=64 (repeatable; numbers, true/false,
                     null, [lists] or text); a misspelled field is refused with its name
  --config FILE      overrides from a YAML or JSON file (nested or dotted fields); --set wins over it
  --steps N          optimiser steps per training phase (as the family defines a step budget)
  --seed S           seed of initialisation, data order and sampling (default 0)
  --checkpoint-every N   steps between checkpoints (default 200)
  --replay-cache-mb N    memory cap of the episodes a dataset run streams through the replay (rssm; default 256)
  --resume RUN       continue a run from its latest checkpoint with its own config; with --steps N, first set
                     its budget to N (as --steps means for a new run): a completed run trains on to N. Budgets
                     only grow, and only in the last phase that ran (world-models: not once the rnn started)
  --from RUN --phase P   a NEW run in the same workspace that starts from the finished World Models run RUN:
                     RUN's config with --set/--config on top, its dataset, and its last checkpoint at phase P.
                     RUN is only read, never changed. The new run's config.json records RUN and P (source.from).
                     --phase controller: V and M as trained; a fresh CMA-ES from θ = 0 under the new controller
                       settings, e.g. --set controller.temperature=1.15 --set controller.population=32
                     --phase rnn: V as trained; M trains on from its weights and Adam moments, then the
                       controller phase runs afresh. rnn.steps is M's whole budget, counting the steps it did
                       in RUN: --set rnn.steps=N trains N minus those (with RUN's seed and rnn settings, M is
                       M trained to N straight)
                     vae.* cannot change (V is as trained), nor rnn.* at controller, nor M's shape (rnn.hidden,
                     mixtures, rewardHead, doneHead) at rnn. --steps is refused: it sets vae.steps too; use
                     --set rnn.steps=N or controller.generations=N. --seed defaults to RUN's
  --probe            when training completes and the model decodes no pixels (a contrastive or prototype RSSM),
                     train its probe decoder too (as 'oneiro probe RUN'; the workbench always does)
  --backend B        wasm | cpu | node | node-gpu (default: the best available; resume: the run's)
  --workspace DIR  --json (print {"run": ID, ...} at the end)

A config is checked before a run folder is made: unknown fields, values above their maximum, and a
model that would not fit the backend's memory are refused with what to change.
Ctrl-C checkpoints and stops (the run is 'paused'; --resume continues it).`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'train',
    argv,
    {
      model: { type: 'string' },
      dataset: { type: 'string' },
      env: { type: 'string' },
      online: { type: 'boolean', default: false },
      preset: { type: 'string' },
      behavior: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'replay-cache-mb': { type: 'string' },
      resume: { type: 'string' },
      from: { type: 'string' },
      phase: { type: 'string' },
      probe: { type: 'boolean', default: false },
      set: { type: 'string', multiple: true },
      config: { type: 'string' },
    },
    false,
  );
  if (values.help) {
    console.log(await help());
    return 0;
  }
  void positionals;
  const ws = workspaceDir(values.workspace);
  let dir: string;
  let createdHere = false;
  if (values.phase !== undefined && values.from === undefined)
    throw new UserError('--phase goes with --from RUN: the phase a new run starts at from RUN (rnn or controller)');
  if (values.from !== undefined) {
    if (values.resume !== undefined)
      throw new UserError(
        '--from cannot be combined with --resume: --resume continues RUN itself, --from starts a new run from it',
      );
    for (const f of ['model', 'dataset', 'env', 'preset', 'replay-cache-mb'] as const)
      if (values[f] !== undefined)
        throw new UserError(
          `--${f} cannot be combined with --from: the new run takes RUN's own (change fields with --set)`,
        );
    if (values.online)
      throw new UserError('--online cannot be combined with --from: World Models trains from a dataset');
    if (values.steps !== undefined)
      throw new UserError(
        "--steps cannot be combined with --from: it sets vae.steps too, and V is taken as trained; use --set rnn.steps=N (M's whole budget) or --set controller.generations=N",
      );
    if (values.phase === undefined)
      throw new UserError(
        '--from needs --phase: rnn (train M on, then the controller) or controller (V and M as trained)',
      );
    const fromFlags = cliOverrides(values.config, values.set);
    const overrides = values.behavior !== undefined ? { ...(fromFlags ?? {}), behavior: values.behavior } : fromFlags;
    const { initBackend } = await import('../../tensor/backend.ts');
    const { forkRun } = await import('../../runs/seed-from.ts');
    const backend = (await initBackend(values.backend)).name;
    const forked = await forkRun({
      workspace: ws,
      from: values.from,
      phase: values.phase,
      ...(overrides ? { overrides } : {}),
      ...(values.seed !== undefined ? { seed: intFlag('seed', values.seed, 0, 0, 2 ** 31 - 1) } : {}),
      backend,
      ...(values['checkpoint-every'] !== undefined
        ? { train: { checkpointEvery: intFlag('checkpoint-every', values['checkpoint-every'], 200, 1) } }
        : {}),
    });
    dir = forked.dir;
    createdHere = true;
    if (!values.json)
      console.error(
        `run ${forked.id} (world-models, from ${forked.config.source.from!.run} at its ${values.phase} phase, backend ${backend}) in ${dir}`,
      );
  } else if (values.resume) {
    for (const f of ['model', 'dataset', 'preset', 'behavior', 'seed', 'set', 'config', 'replay-cache-mb'] as const) {
      if (values[f] !== undefined)
        throw new UserError(`--${f} cannot be combined with --resume: a resumed run keeps its own config`);
    }
    dir = resolveRunDir(ws, values.resume);
    if (values.steps !== undefined) {
      const steps = stepsFlag(values.steps);
      const { setRunSteps } = await import('../../runs/run-steps.ts');
      const set = await setRunSteps(dir, steps);
      if (!values.json)
        console.error(
          set.changed
            ? `run ${set.config.id}: budget ${set.phases.map((p) => `${p.phase} ${p.from} → ${p.to}`).join(', ')}`
            : `run ${set.config.id}: budget already ${set.phases.map((p) => `${p.phase} ${p.to}`).join(', ')}`,
        );
    }
  } else {
    const model = requireFlag('model', values.model);
    const family = await getFamily(model);
    const online = Boolean(values.online || values.env);
    if (online) {
      if (!family.trainsOnline)
        throw new UserError(
          `${model}: online training (--env/--online) is not supported by this family (rssm trains online); collect a dataset and use --dataset`,
        );
      if (!values.online || !values.env) throw new UserError('online training needs both --env NAME and --online');
      if (values.dataset) throw new UserError('give either --dataset NAME or --env NAME --online, not both');
    }
    const preset = values.preset ?? 'default';
    if (!family.presets.includes(preset))
      throw new UserError(
        `--preset '${preset}' is not a ${model} preset: expected one of ${family.presets.join(', ')}`,
      );
    if (values.behavior !== undefined) {
      if (!family.agentSettings) throw new UserError(`--behavior: the ${model} family hosts no behaviours`);
      const known = family.behaviors ?? [];
      if (!known.includes(values.behavior))
        throw new UserError(`--behavior '${values.behavior}' is not known: expected one of ${known.join(', ')}`);
    }
    const fromFlags = cliOverrides(values.config, values.set);
    const overrides = values.behavior !== undefined ? { ...(fromFlags ?? {}), behavior: values.behavior } : fromFlags;
    const { initBackend } = await import('../../tensor/backend.ts');
    const { createRun } = await import('../../runs/trainer.ts');
    const backend = (await initBackend(values.backend)).name;
    const created = await createRun({
      ...(overrides ? { overrides } : {}),
      workspace: ws,
      family: model,
      preset,
      backend,
      ...(online ? { dataset: null, env: values.env } : { dataset: requireFlag('dataset', values.dataset) }),
      seed: intFlag('seed', values.seed, 0, 0, 2 ** 31 - 1),
      ...(values.steps !== undefined ? { steps: stepsFlag(values.steps) } : {}),
      train: {
        ...(values['checkpoint-every'] !== undefined
          ? { checkpointEvery: intFlag('checkpoint-every', values['checkpoint-every'], 200, 1) }
          : {}),
        ...(values['replay-cache-mb'] !== undefined
          ? { replayCacheMB: intFlag('replay-cache-mb', values['replay-cache-mb'], 256, 1, 1e6) }
          : {}),
      },
    });
    dir = created.dir;
    createdHere = true;
    if (!values.json) console.error(`run ${created.id} (${model}, preset ${preset}, backend ${backend}) in ${dir}`);
  }
  const config = readRunConfig(dir);
  const ctrl = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping: writing a checkpoint (Ctrl-C again to quit without one)\n');
    ctrl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let bar: Progress | null = null;
  let barPhase = '';
  let headline = 'loss';
  let info = '';
  let lastMetrics: Record<string, unknown> = {};
  let result: Awaited<ReturnType<typeof trainRun>>;
  try {
    const { trainRun } = await import('../../runs/trainer.ts');
    result = await trainRun(dir, {
      signal: ctrl.signal,
      ...(values.backend ? { backend: values.backend } : {}),
      log: (m) => {
        if (!values.json) process.stderr.write(`${m}\n`);
      },
      onStep: (s) => {
        if (s.phase !== barPhase) {
          bar?.tick(1, info);
          bar?.finish(info);
          bar = new Progress(`${config.id.slice(-12)} ${s.phase}`, s.phaseSteps, values.json);
          if (s.step) bar.tick(s.step);
          barPhase = s.phase;
          headline = s.headline;
          info = '';
        } else {
          bar?.tick(1, info);
        }
      },
      onMetrics: (m) => {
        lastMetrics = m;
        // The family names the metric its phase is judged by (PhaseSpec.headline).
        const v = m[`${m.phase}/${headline}`];
        if (typeof v === 'number') info = `${headline} ${v.toFixed(3)}`;
      },
    });
  } catch (e) {
    (bar as Progress | null)?.stop();
    throw await cleanUpFailedRun(e, dir, createdHere, ws);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  (bar as Progress | null)?.tick(1, info);
  (bar as Progress | null)?.finish(info);
  const trainProbe =
    values.probe && result.state === 'completed' ? (await import('../../runs/probe.ts')).trainProbeAfterRun : null;
  const probe = trainProbe
    ? await trainProbe(dir, {
        ...(values.backend ? { backend: values.backend } : {}),
        log: (m) => {
          if (!values.json) process.stderr.write(`${m}\n`);
        },
      })
    : null;
  const out = {
    run: config.id,
    dir,
    state: result.state,
    step: result.step,
    totalSteps: result.totalSteps,
    ...(result.message ? { message: result.message } : {}),
    last: lastMetrics,
    ...(probe ? { probe: { steps: probe.config.steps, frames: probe.frames, loss: probe.loss } } : {}),
  };
  if (values.json) console.log(JSON.stringify(out));
  else
    console.log(
      `run ${config.id}: ${result.state} at step ${result.step}/${result.totalSteps}${result.message ? ` — ${result.message}` : ''}`,
    );
  if (result.state === 'failed' && createdHere && !(await hasCheckpoint(dir))) {
    rmSync(dir, { recursive: true, force: true });
    console.error(`run ${config.id} wrote no checkpoint before it failed: its folder was removed`);
  }
  return result.state === 'failed' ? 1 : 0;
}

/** `--steps N`, for a new run and for a resumed one alike (the family's config bounds it from above). */
const stepsFlag = (value: string) => intFlag('steps', value, 0, 0);

/**
 * A run this command created that failed before its first checkpoint leaves no folder behind (its
 * log goes to <workspace>/logs); one with a checkpoint stays resumable and keeps its log in train.log.
 * Returns the error with `logFile` set for core/cli/main.ts.
 */
async function cleanUpFailedRun(e: unknown, dir: string, createdHere: boolean, ws: string): Promise<unknown> {
  let logFile = join(dir, 'train.log');
  if (createdHere && !(await hasCheckpoint(dir))) {
    rmSync(dir, { recursive: true, force: true });
    logFile = workspaceLogFile(ws, 'train');
  }
  if (!isUserError(e)) {
    logFailure(logFile, e, `oneiro train (${dir})`);
    if (e instanceof Error) Object.assign(e, { logFile });
  }
  return e;
}

async function hasCheckpoint(dir: string): Promise<boolean> {
  // checkpoints.ts loads tfjs (for its tensor I/O); by the time a run is asked this, the trainer has loaded it.
  const { latestCheckpointName } = await import('../../runs/checkpoints.ts');
  try {
    return latestCheckpointName(dir) !== null;
  } catch {
    return true; // an unreadable pointer: keep the folder, its checkpoints may be intact
  }
}
