import { parseCommand, workspaceDir, intFlag, outFileFlag, onePositional } from '../args.ts';
import { resolveRunDir } from '../../runs/run-dir.ts';
import { UserError } from '../../util/errors.ts';
import { Progress } from '../progress.ts';
import type { FeatureSplit } from '../../runs/feature-export.ts';
// The model (tfjs, the families) loads only once the flags and the run are checked, as in `oneiro probe`.

export const summary = "write a run's filtered features and the true states to .npz (your own probes, in numpy)";

const SPLITS: readonly FeatureSplit[] = ['all', 'train', 'held-out'];

const help = `usage: oneiro features RUN --out FILE.npz [--split all|train|held-out] [--stride N] [--checkpoint STEP] [--json]

Writes what the state probe of 'oneiro eval' reads, row for row: the model's filtered features at every step of
the run's episodes (from each episode's first frame) and, where the episodes record it, the env's true state.
For probes, clusters and plots of your own. In numpy:

  z = np.load('f.npz'); meta = json.loads(z['meta_json'].tobytes())
  X, Y, test = z['features'], z['state'], z['held_out']   # meta['state_names'] names Y's columns

Arrays: features <f4 [n, dim]; state <f4 [n, d] (absent when an episode has none); episode <i4 [n] (dataset
index, -1 for an online run's episodes); step <i4 [n]; held_out |b1 [n] (the run's own split: true = never trained
on, the episodes 'oneiro eval' scores); meta_json |u1 (run, family, checkpoint_step, dataset, env, split, stride,
episodes, state_names).

  --out FILE.npz     where to write (its folder must exist; written atomically, replacing a file there)
  --split S          all (default) | train | held-out
  --stride N         every Nth step of each episode (default 1; each array stays under 2 GiB)
  --checkpoint STEP  a kept checkpoint instead of the latest
  --workspace DIR  --backend NAME  --json`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('features', argv, {
    out: { type: 'string' },
    split: { type: 'string' },
    stride: { type: 'string' },
    checkpoint: { type: 'string' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const runId = onePositional('features', positionals, 'RUN id');
  const out = outFileFlag('out', values.out);
  if (!out.endsWith('.npz')) throw new UserError(`--out ${values.out}: expected a file name ending in .npz`);
  const split = values.split ?? 'all';
  if (!(SPLITS as readonly string[]).includes(split))
    throw new UserError(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const stride = intFlag('stride', values.stride, 1, 1, 1_000_000);
  const checkpoint = values.checkpoint === undefined ? undefined : intFlag('checkpoint', values.checkpoint, 0, 0);
  const dir = resolveRunDir(workspaceDir(values.workspace), runId);
  const { openRunModel } = await import('../../runs/load.ts');
  const { exportFeatures } = await import('../../runs/feature-export.ts');
  const opened = await openRunModel(dir, {
    episodes: false,
    ...(values.backend ? { backend: values.backend } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {}),
  });
  // Made at the first episode, when the total is known (`as`: the callback assigns it, out of the compiler's sight).
  let bar = null as Progress | null;
  try {
    const r = exportFeatures(opened, {
      out,
      split: split as FeatureSplit,
      stride,
      onEpisode: (done, total) => {
        bar ??= new Progress('features', total, values.json);
        bar.tick();
      },
    });
    bar?.finish();
    const info = {
      run: opened.config.id,
      checkpoint_step: opened.checkpoint.globalStep,
      out: r.path,
      rows: r.rows,
      held_out_rows: r.heldOutRows,
      dim: r.dim,
      episodes: r.episodes,
      state_names: r.stateNames,
    };
    if (values.json) console.log(JSON.stringify(info));
    else
      console.log(
        `${r.rows} rows (${r.heldOutRows} held out) × ${r.dim} features of ${r.episodes} episodes of ${opened.config.id} (checkpoint step ${info.checkpoint_step})${r.stateNames ? `, with the state (${r.stateNames.join(', ')})` : ', no state in these episodes'} → ${r.path}`,
      );
    return 0;
  } catch (e) {
    bar?.stop();
    throw e;
  } finally {
    opened.model.dispose();
  }
}
