import { parseCommand, workspaceDir, intFlag, onePositional } from '../args.ts';
import { resolveRunDir } from '../../runs/run-dir.ts';
// The model and the probe decoder (tfjs, the families: ≈ 1 CPU s to import through tsx) load only once the flags
// and the run are checked, so a refused command line answers at the CLI's floor cost.

export const summary = "train a probe decoder on a run's frozen features (how a model without a decoder is shown)";

const help = (presets: readonly string[]) => `usage: oneiro probe RUN [--steps N] [--preset P] [--json]

Trains a probe decoder (a deconv decoder) to reconstruct the run's training frames from its latest checkpoint's
filtered features. The features are read as plain numbers, so no gradient reaches the model and its weights are
unchanged. Stored in the run folder (probe/probe.safetensors + probe.json), apart from its checkpoints; the Dream
Lab, Play dream, exports and 'oneiro dream --view probe' then show the model's dreams through it, labelled so.

  --steps N     optimiser steps (default: the preset's)
  --preset P    ${presets.join(', ')} (default small)
  --workspace DIR  --json`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('probe', argv, {
    steps: { type: 'string' },
    preset: { type: 'string' },
  });
  if (values.help) {
    console.log(help((await import('../../models/probe-decoder.ts')).probeConfig.presets));
    return 0;
  }
  const runId = onePositional('probe', positionals, 'RUN id');
  const steps = values.steps === undefined ? undefined : intFlag('steps', values.steps, 0, 1, 1_000_000);
  const dir = resolveRunDir(workspaceDir(values.workspace), runId);
  const { openRunModel } = await import('../../runs/load.ts');
  const { trainRunProbe } = await import('../../runs/probe.ts');
  const opened = await openRunModel(dir, values.backend ? { backend: values.backend } : {});
  try {
    const every = Math.max(1, Math.floor((steps ?? 1000) / 10));
    const meta = await trainRunProbe(opened, {
      preset: values.preset ?? 'small',
      ...(steps ? { overrides: { steps } } : {}),
      onStep: (s, loss) => {
        if (!values.json && (s + 1) % every === 0)
          process.stderr.write(`probe step ${s + 1}: loss ${loss.toFixed(5)}\n`);
      },
    });
    const info = { run: opened.config.id, model_pixels: opened.model.pixels, ...meta };
    if (values.json) console.log(JSON.stringify(info));
    else
      console.log(
        `probe decoder of ${opened.config.id} (checkpoint step ${meta.checkpointStep}): ${meta.config.steps} steps on ${meta.frames} training frames, pixel MSE ${meta.loss.toFixed(5)}`,
      );
    return 0;
  } finally {
    opened.model.dispose();
  }
}
