/**
 * Who acts when the Datasets view collects: a random policy, or a trained run's agent (datasets:collect `agent`,
 * the CLI's `oneiro collect --policy run:ID`), for World Models' iterative procedure and Dreamer's data loop by
 * hand. A run is offered for the env it acts in once it has a checkpoint; whether its checkpoint holds a trained
 * behaviour is the service's call (a World Models run before its controller phase is refused with the reason).
 */
import type { DatasetSummary, RequestOf, RunSummary } from '../../../core/contract/channels.ts';

export interface PolicyChoice {
  /** 'random', 'brownian', or 'run:ID'. */
  value: string;
  label: string;
}

export function collectPolicies(
  env: string,
  runs: readonly Pick<RunSummary, 'id' | 'env' | 'behavior' | 'lastCheckpoint'>[],
): PolicyChoice[] {
  return [
    { value: 'random', label: 'random (uniform actions)' },
    { value: 'brownian', label: 'brownian (smooth random walk)' },
    ...runs
      .filter((r) => r.env === env && r.lastCheckpoint !== null)
      .map((r) => ({ value: `run:${r.id}`, label: `agent of ${r.id} (${r.behavior ?? 'its own trained behaviour'})` })),
  ];
}

/**
 * The datasets:collect request of the form; `noise` only goes with a run's agent. `append`: the name is an existing
 * dataset's, so the episodes are added to it (collectTarget).
 */
export function collectRequest(form: {
  env: string;
  dataset: string;
  episodes: number;
  seed: number;
  maxSteps: number | null;
  policy: string;
  noise: number;
  append: boolean;
}): RequestOf<'datasets:collect'> {
  const base = {
    env: form.env,
    dataset: form.dataset,
    episodes: form.episodes,
    seed: form.seed,
    ...(form.append ? { append: true } : {}),
  };
  const steps = form.maxSteps ? { maxSteps: form.maxSteps } : {};
  if (form.policy.startsWith('run:'))
    return { ...base, ...steps, agent: { run: form.policy.slice(4), noise: form.noise } };
  return { ...base, ...steps, policy: form.policy === 'brownian' ? 'brownian' : 'random' };
}

/**
 * What collecting into `name` does: make a new dataset, add to an existing one of the env (World Models' iterative
 * procedure: the agent's episodes join the data its model is retrained on), or nothing, with why (another env's
 * dataset; the service checks frames, repeat and background too, and says which differs).
 */
export type CollectTarget = { kind: 'new' } | { kind: 'append'; episodes: number } | { kind: 'refused'; why: string };

export function collectTarget(
  name: string,
  env: string,
  datasets: readonly Pick<DatasetSummary, 'name' | 'env' | 'episodes'>[],
): CollectTarget {
  const d = datasets.find((x) => x.name === name);
  if (!d) return { kind: 'new' };
  if (d.env !== env)
    return { kind: 'refused', why: `'${name}' holds ${d.env ?? 'imported'} episodes; choose another name` };
  return { kind: 'append', episodes: d.episodes };
}
