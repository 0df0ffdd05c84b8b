import { parseCommand, workspaceDir, intFlag, requireFlag } from '../args.ts';
import { Progress } from '../progress.ts';
import { initBackend } from '../../tensor/backend.ts';
import { familyNames, getFamily } from '../../models/registry.ts';
import { createRun, trainRun } from '../../runs/trainer.ts';
import { readRunConfig, resolveRunDir } from '../../runs/run-dir.ts';
import { UserError } from '../../util/errors.ts';

const BEHAVIORS = ['cem', 'actor-critic'];

export const summary = 'train a world model (a run) from a dataset or online in an env';

const HELP = `usage: oneiro train --model FAMILY --dataset NAME [options]
       oneiro train --model rssm --env NAME --online [options]   (PlaNet's loop: collect, train, plan, repeat)
       oneiro train --resume RUN

  --model FAMILY     model family: ${familyNames().join(', ')}
  --dataset NAME     dataset in the workspace to train on (~10% of episodes, chosen by a hash of their id,
                     are held out for eval; online runs hold out their collected episodes the same way)
  --env NAME --online  train online in a built-in env (families that plan: rssm)
  --behavior B       how the agent acts and learns: cem | actor-critic (families with behaviours: rssm;
                     default: the preset's — planet: cem, dreamerv1/dreamerv2: actor-critic)
  --preset P         config preset (world-models: debug | default; default: default)
  --steps N          optimiser steps per training phase (world-models: VAE and MDN-RNN each)
  --seed S           seed of initialisation, data order and sampling (default 0)
  --checkpoint-every N   steps between checkpoints (default 200)
  --resume RUN       continue a run from its latest checkpoint with its own config
  --backend B        wasm | cpu | node | node-gpu (default: the best available; resume: the run's)
  --workspace DIR  --json (print {"run": ID, ...} at the end)

Ctrl-C checkpoints and stops (the run is 'paused'; --resume continues it).`;

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
      resume: { type: 'string' },
    },
    false,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  void positionals;
  const ws = workspaceDir(values.workspace);
  let dir: string;
  if (values.resume) {
    for (const f of ['model', 'dataset', 'preset', 'behavior', 'steps', 'seed'] as const) {
      if (values[f] !== undefined)
        throw new UserError(`--${f} cannot be combined with --resume: a resumed run keeps its own config`);
    }
    dir = resolveRunDir(ws, values.resume);
  } else {
    const model = requireFlag('model', values.model);
    const family = await getFamily(model);
    const online = Boolean(values.online || values.env);
    if (online) {
      if (!family.agentSettings)
        throw new UserError(
          `${model}: online training (--env/--online) is not supported by this family; collect a dataset and use --dataset`,
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
      if (!BEHAVIORS.includes(values.behavior))
        throw new UserError(`--behavior '${values.behavior}' is not known: expected one of ${BEHAVIORS.join(', ')}`);
    }
    const backend = (await initBackend(values.backend)).name;
    const created = await createRun({
      ...(values.behavior !== undefined ? { overrides: { behavior: values.behavior } } : {}),
      workspace: ws,
      family: model,
      preset,
      backend,
      ...(online ? { dataset: null, env: values.env } : { dataset: requireFlag('dataset', values.dataset) }),
      seed: intFlag('seed', values.seed, 0, 0, 2 ** 31 - 1),
      ...(values.steps !== undefined ? { steps: intFlag('steps', values.steps, 0, 0) } : {}),
      ...(values['checkpoint-every'] !== undefined
        ? { train: { checkpointEvery: intFlag('checkpoint-every', values['checkpoint-every'], 200, 1) } }
        : {}),
    });
    dir = created.dir;
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
  let info = '';
  let lastMetrics: Record<string, unknown> = {};
  try {
    const result = await trainRun(dir, {
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
          info = '';
        } else {
          bar?.tick(1, info);
        }
      },
      onMetrics: (m) => {
        lastMetrics = m;
        const loss = m[`${m.phase}/loss`] ?? m[`${m.phase}/dream_return_mean`];
        info = typeof loss === 'number' ? `${m.phase === 'controller' ? 'return' : 'loss'} ${loss.toFixed(3)}` : '';
      },
    });
    (bar as Progress | null)?.tick(1, info);
    (bar as Progress | null)?.finish(info);
    const out = {
      run: config.id,
      dir,
      state: result.state,
      step: result.step,
      totalSteps: result.totalSteps,
      ...(result.message ? { message: result.message } : {}),
      last: lastMetrics,
    };
    if (values.json) console.log(JSON.stringify(out));
    else
      console.log(
        `run ${config.id}: ${result.state} at step ${result.step}/${result.totalSteps}${result.message ? ` — ${result.message}` : ''}`,
      );
    return result.state === 'failed' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
