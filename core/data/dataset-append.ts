import { datasetActionRepeat, type DatasetActionSpace, type DatasetMeta } from './dataset.ts';

/**
 * Whether a new collection may join an existing dataset, one rule for `oneiro collect --dataset EXISTING` and the
 * workbench's "add episodes" (datasets:collect `append`). Episodes of one dataset are read as one distribution and
 * one time step: another env, frame size or action space does not fit at all, and another action repeat or
 * background would mix silently (an agent trained on the dataset acts at its last collection's repeat,
 * datasetActionRepeat, and over its background).
 */

/** What a collection would record (its env as made, and the collection run's repeat and background). */
export interface Collection {
  env: string;
  observationShape: readonly number[];
  actionSpace: DatasetActionSpace;
  actionRepeat: number;
  background: string;
  /** A user clip's path (a collection over `video:PATH`), else null. */
  backgroundSource: string | null;
}

/** A background as `--background` names it: a user clip is video:PATH, so it differs from the procedural video and another clip. */
export function backgroundFlag(bg: string | undefined, source: string | null | undefined): string {
  return source ? `video:${source}` : (bg ?? 'plain');
}

/**
 * Why `c` cannot be added to the dataset `meta` describes, in one sentence without a hint (the caller says what to
 * do: the CLI names its flags, the workbench its fields), or null when it fits. `envRepeat` is the env's own action
 * repeat, which a dataset whose runs record none was collected at; a dataset with no recorded runs at all (an
 * import) has no repeat or background to mix.
 */
export function appendMismatch(meta: DatasetMeta, c: Collection, envRepeat: number): AppendMismatch | null {
  const name = meta.name;
  const same =
    meta.env === c.env &&
    meta.observationShape.join() === c.observationShape.join() &&
    JSON.stringify(meta.actionSpace) === JSON.stringify(c.actionSpace);
  if (!same)
    return {
      field: 'env',
      message:
        `dataset '${name}' exists with env ${meta.env ?? 'none'}, frames ${meta.observationShape.join('×')}, actions ${JSON.stringify(meta.actionSpace)}; ` +
        `collecting ${c.env} at ${c.observationShape.join('×')} would not fit`,
    };
  // Runs recorded before backgrounds existed drew the plain one.
  const runs = meta.source.runs as { background?: string; backgroundSource?: string }[] | undefined;
  const last = Array.isArray(runs) ? runs.at(-1) : undefined;
  if (!last) return null;
  const had = backgroundFlag(last.background, last.backgroundSource);
  const now = backgroundFlag(c.background, c.backgroundSource);
  if (had !== now)
    return {
      field: 'background',
      message: `dataset '${name}' was collected with background '${had}'; collecting with '${now}' would mix them`,
      had,
    };
  const hadRepeat = datasetActionRepeat(meta) ?? envRepeat;
  if (hadRepeat !== c.actionRepeat)
    return {
      field: 'actionRepeat',
      message: `dataset '${name}' was collected at action repeat ${hadRepeat}; collecting at ${c.actionRepeat} would mix them`,
      had: String(hadRepeat),
    };
  return null;
}

export interface AppendMismatch {
  /** What differs: the env (or its frames or actions), the background, or the action repeat. */
  field: 'env' | 'background' | 'actionRepeat';
  message: string;
  /** The dataset's value, as the flag would name it. */
  had?: string;
}
