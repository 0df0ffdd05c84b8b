import { parseCommand, workspaceDir, intFlag, numberFlag, requireFlag, noPositionals } from '../args.ts';
import { Progress } from '../progress.ts';
import { getEnvSpec } from '../../envs/registry.ts';
import { BACKGROUNDS, isBackground } from '../../envs/background.ts';
import { appendMismatch, backgroundFlag } from '../../data/dataset-append.ts';
import {
  addEpisode,
  createDataset,
  datasetExists,
  openDataset,
  updateDatasetMeta,
  type Dataset,
} from '../../data/dataset.ts';
import { POLICIES } from '../../agents/random-agents.ts';
import { episodeCollector } from '../../agents/collect-episodes.ts';
import { seededEpisodeName } from '../../data/episode-file.ts';
import { UserError } from '../../util/errors.ts';
import { COLLECT_BOUNDS } from '../../contract/schemas.ts';
import { COLLECT_RECIPES } from '../collect-recipes.ts';
import type { RunPolicy } from '../../runs/run-policy.ts';
import { resolveRunDir } from '../../runs/run-dir.ts';

export const summary = 'collect real episodes from a built-in environment into a dataset';

const HELP = `usage: oneiro collect --env NAME --episodes N --dataset NAME [options]
       oneiro collect --recipe NAME --dataset NAME [options that override the recipe's]
       oneiro collect --policy run:RUN[@STEP] --episodes N --dataset NAME [options]

  --recipe NAME      a paper's data set: ${Object.entries(COLLECT_RECIPES)
    .map(([k, r]) => `${k} (${r.doc})`)
    .join('; ')}

  --env NAME         built-in environment ('oneiro envs' lists them)
  --episodes N       episodes to collect (at most ${COLLECT_BOUNDS.episodes}, as over the API)
  --dataset NAME     dataset to create, or to extend if it exists with the same env, frame size and actions
  --policy P         ${POLICIES.join(' | ')} (default random: uniform in the action box / over discrete actions;
                     brownian: smooth random walk in the box, as ctallec/world-models)
                     run:RUN[@STEP]: the trained agent of run RUN (its latest checkpoint, or the kept one at
                     STEP) in its env as its data was collected: env, frame size, action repeat and background
                     are the run's (a flag that differs is refused). World Models' iterative procedure and
                     Dreamer's data loop by hand: collect into the run's dataset, then train on the union
  --noise X          with a run: explore (Gaussian noise of std X on box actions, a random action with
                     probability X on discrete ones, the behaviour samples instead of its mode; default 0:
                     the agent as it is evaluated)
  --seed S           seed for env resets, the policy and the episode file names, so the held-out split (default 0)
  --size PX          frame size, 8 to ${COLLECT_BOUNDS.size} (default: the env's, 64 for most)
  --max-steps N      cut episodes after N steps, at most ${COLLECT_BOUNDS.maxSteps} (default: the env's time limit)
  --action-repeat K  override the env's action repeat
  --background B     ${BACKGROUNDS.join(' | ')} | video:PATH: what is drawn behind the bodies (default plain; the
                     distractors exist on cartpole-swingup and pendulum-swingup). video is a procedural moving
                     texture; video:PATH plays your clip instead: a folder of images (in name order) or an animated
                     GIF/WebP, resized to the frame size and cycled from a start frame drawn from each episode's seed
  --workspace DIR  --json`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('collect', argv, {
    env: { type: 'string' },
    episodes: { type: 'string' },
    dataset: { type: 'string' },
    policy: { type: 'string', default: 'random' },
    seed: { type: 'string' },
    size: { type: 'string' },
    'max-steps': { type: 'string' },
    'action-repeat': { type: 'string' },
    recipe: { type: 'string' },
    background: { type: 'string' },
    noise: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  noPositionals('collect', positionals);
  const ws = workspaceDir(values.workspace);
  if (values.recipe !== undefined) {
    const r = COLLECT_RECIPES[values.recipe];
    if (!r)
      throw new UserError(
        `unknown --recipe '${values.recipe}': expected one of ${Object.keys(COLLECT_RECIPES).join(', ')}`,
      );
    values.env ??= r.env;
    values.episodes ??= String(r.episodes);
    values['max-steps'] ??= String(r.maxSteps);
    values.seed ??= String(r.seed);
    values.size ??= String(r.size);
    if (!argv.some((a) => a === '--policy' || a.startsWith('--policy='))) values.policy = r.policy;
  }
  const runSpec = parseRunPolicy(values.policy);
  if (runSpec === null && values.noise !== undefined)
    throw new UserError(`--noise explores with a trained agent: it goes with --policy run:RUN, not '${values.policy}'`);
  const noise = numberFlag('noise', values.noise, 0, 0, 1);
  let agentRun: RunPolicy | null = null;
  if (runSpec) {
    // A run's agent loads tfjs and its family: only once the rest of the line is known to be good.
    intFlag('episodes', requireFlag('episodes', values.episodes), 0, 1, COLLECT_BOUNDS.episodes);
    requireFlag('dataset', values.dataset);
    intFlag('seed', values.seed, 0, 0, 2 ** 31 - 1);
    const dir = resolveRunDir(ws, runSpec.run);
    agentRun = await (
      await import('../../runs/run-policy.ts')
    ).openRunPolicy(dir, {
      ...(values.backend ? { backend: values.backend } : {}),
      ...(runSpec.checkpoint !== undefined ? { checkpoint: runSpec.checkpoint } : {}),
    });
  }
  try {
    if (agentRun) runEnvDefaults(values, agentRun);
    return await collect(values, ws, agentRun, noise);
  } finally {
    agentRun?.dispose();
  }
}

type CollectValues = {
  env?: string;
  episodes?: string;
  dataset?: string;
  policy: string;
  seed?: string;
  size?: string;
  'max-steps'?: string;
  'action-repeat'?: string;
  background?: string;
  json: boolean;
};

/** `run:ID` or `run:ID@STEP` (a kept checkpoint's global step); null for the other policies. */
function parseRunPolicy(name: string): { run: string; checkpoint?: number } | null {
  if (!name.startsWith('run:')) return null;
  const m = /^run:([^@\s]+)(?:@(\d+))?$/.exec(name);
  if (!m) throw new UserError(`--policy '${name}': expected run:RUN_ID or run:RUN_ID@STEP (a kept checkpoint's step)`);
  return { run: m[1], ...(m[2] !== undefined ? { checkpoint: Number(m[2]) } : {}) };
}

/**
 * A run's agent collects in its env as its data was collected: those flags default to the run's, and one that
 * differs is refused (another repeat is another time step than the model learnt; another background another world).
 */
function runEnvDefaults(values: CollectValues, agent: RunPolicy): void {
  const o = agent.envOptions;
  const own: [keyof CollectValues & string, string][] = [
    ['env', agent.env],
    ['size', String(o.size)],
    // No repeat recorded: the env's own, which the data was collected at.
    ['action-repeat', String(o.actionRepeat ?? getEnvSpec(agent.env).defaults.actionRepeat)],
    ['background', backgroundFlag(o.background, o.backgroundFrames?.source)],
  ];
  for (const [flag, value] of own) {
    const given = values[flag] as string | undefined;
    if (given !== undefined && given !== value)
      throw new UserError(
        `--${flag} ${given}: the agent of ${agent.label} acts with ${flag} ${value}, as its data was collected; drop --${flag} or collect with another policy`,
      );
    (values as Record<string, unknown>)[flag] = value;
  }
  if (o.maxSteps !== undefined) values['max-steps'] ??= String(o.maxSteps);
}

async function collect(values: CollectValues, ws: string, agentRun: RunPolicy | null, noise: number): Promise<number> {
  const spec = getEnvSpec(requireFlag('env', values.env));
  const episodes = intFlag('episodes', requireFlag('episodes', values.episodes), 0, 1, COLLECT_BOUNDS.episodes);
  const name = requireFlag('dataset', values.dataset);
  const seed = intFlag('seed', values.seed, 0, 0, 2 ** 31 - 1);
  const size = intFlag('size', values.size, spec.defaults.size, 8, COLLECT_BOUNDS.size);
  const actionRepeat = intFlag('action-repeat', values['action-repeat'], spec.defaults.actionRepeat, 1);
  // Without --max-steps the env works out its own limit from the episode length and the action repeat
  // (cartpole at repeat 2: 500 steps = 1000 simulator steps), so a repeat never shortens the episode.
  const requested =
    values['max-steps'] === undefined
      ? undefined
      : intFlag('max-steps', values['max-steps'], 0, 1, COLLECT_BOUNDS.maxSteps);
  const given = values.background ?? 'plain';
  // video:PATH = the user's clip; the frames are read (asynchronously, with sharp) before the env is made.
  const clipPath = given.startsWith('video:') ? given.slice('video:'.length) : null;
  const background = clipPath !== null ? 'video' : given;
  if (!isBackground(background))
    throw new UserError(`--background must be one of ${BACKGROUNDS.join(', ')} or video:PATH, got '${given}'`);
  if (clipPath === '')
    throw new UserError(`--background video:PATH needs a path after 'video:' (a folder of images or a GIF/WebP)`);
  // sharp (≈ 0.15 CPU s to load) only for a clip (a run's agent brings the clip its data was drawn over).
  const backgroundFrames =
    agentRun?.envOptions.backgroundFrames ??
    (clipPath !== null
      ? await (await import('../../media/background-frames.ts')).loadBackgroundFrames(clipPath, size)
      : null);
  const env = spec.make({
    size,
    actionRepeat,
    background,
    backgroundFrames,
    ...(requested !== undefined ? { maxSteps: requested } : {}),
  });
  const backgroundSource = backgroundFrames?.source ?? null;
  const maxSteps = env.options?.maxSteps ?? requested ?? spec.defaults.maxSteps;
  const collector = episodeCollector(env, {
    seed,
    episodes,
    policy: values.policy,
    ...(agentRun ? { agent: (resetSeed: number) => agentRun.agent(resetSeed, size, noise) } : {}),
  });

  const run = {
    policy: agentRun ? agentRun.label : values.policy,
    ...(agentRun ? { behavior: agentRun.behavior, noise } : {}),
    seed,
    episodes,
    size,
    maxSteps,
    actionRepeat,
    background,
    ...(backgroundSource !== null ? { backgroundSource, backgroundFrames: backgroundFrames!.count } : {}),
    at: new Date().toISOString(),
  };
  let ds: Dataset;
  if (datasetExists(ws, name)) {
    ds = openDataset(ws, name);
    const why = appendMismatch(
      ds.meta,
      {
        env: spec.name,
        observationShape: env.observationShape,
        actionSpace: env.actionSpace,
        actionRepeat,
        background,
        backgroundSource,
      },
      spec.defaults.actionRepeat,
    );
    if (why)
      throw new UserError(
        `${why.message}. ${why.field === 'actionRepeat' ? `Pass --action-repeat ${why.had} or choose` : 'Choose'} another --dataset name.`,
      );
  } else {
    ds = createDataset(ws, name, {
      env: spec.name,
      observationShape: env.observationShape,
      actionSpace: env.actionSpace,
      source: { kind: 'collect', env: spec.name, runs: [] },
    });
  }
  updateDatasetMeta(ds, { source: { ...ds.meta.source, runs: [...((ds.meta.source.runs as unknown[]) ?? []), run] } });

  const progress = new Progress(`collect ${spec.name}`, episodes, values.json);
  let steps = 0;
  const returns: number[] = [];
  await collector.run((ep) => {
    // Named from (seed, index in the dataset): the held-out split hashes file names, so with the clock-and-uuid
    // default the same --seed collected the same episodes but split them differently on every collection.
    const entry = addEpisode(ds, ep, { file: seededEpisodeName(ep, seed, ds.meta.episodes.length) });
    steps += entry.length - 1;
    returns.push(entry.return);
    progress.tick(1, `return ${entry.return.toFixed(1)}`);
  });
  progress.finish(`${steps} steps`);
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  if (values.json) {
    console.log(
      JSON.stringify({
        dataset: name,
        env: spec.name,
        episodes,
        steps,
        returns,
        totalEpisodes: ds.meta.counts.episodes,
      }),
    );
  } else {
    console.log(
      `collected ${episodes} episodes (${steps} steps, mean return ${mean.toFixed(2)}) of ${spec.name} with ${agentRun ? `the ${agentRun.behavior} agent of ${agentRun.label}` : `the ${values.policy} policy`} into dataset '${name}' (now ${ds.meta.counts.episodes} episodes)`,
    );
  }
  return 0;
}
