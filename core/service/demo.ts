import type { WorkbenchApi } from '../contract/client.ts';

/**
 * The built-in first-run demo (`--demo`, or the UI's "Get started"): a small car-racing dataset
 * collected with the smooth Brownian policy, then a World Models run on the debug preset — a dream
 * to look at within a few minutes on a laptop CPU. Idempotent: what already exists is reused.
 */
export const DEMO = {
  dataset: 'demo-car-racing',
  env: 'car-racing',
  // 12 × 150 steps ≈ 1,800 frames: enough for the debug VAE to reconstruct the track (issue 4 trains on "a few thousand").
  episodes: 12,
  maxSteps: 150,
  run: 'demo-world-models',
  family: 'world-models',
  preset: 'debug',
} as const;

export async function startDemo(
  api: WorkbenchApi,
  log: (line: string) => void = () => {},
): Promise<{ dataset: string; runId: string }> {
  const datasets = await api.listDatasets({});
  if (!datasets.some((d) => d.name === DEMO.dataset)) {
    log(`demo: collecting ${DEMO.episodes} ${DEMO.env} episodes into '${DEMO.dataset}'…`);
    await api.collectDataset({
      env: DEMO.env,
      dataset: DEMO.dataset,
      episodes: DEMO.episodes,
      maxSteps: DEMO.maxSteps,
      seed: 0,
      policy: 'brownian',
    });
  }
  const run = (await api.listRuns({})).find((r) => r.id === DEMO.run);
  if (!run) {
    log(`demo: training a ${DEMO.family} '${DEMO.preset}' run '${DEMO.run}'…`);
    await api.createRun({ family: DEMO.family, preset: DEMO.preset, dataset: DEMO.dataset, name: DEMO.run });
    await api.startRun({ runId: DEMO.run });
  } else if (['paused', 'stopped', 'crashed'].includes(run.status)) {
    log(`demo: resuming '${DEMO.run}' from its last checkpoint…`);
    await api.resumeRun({ runId: DEMO.run });
  } else if (run.status === 'created') {
    await api.startRun({ runId: DEMO.run });
  }
  return { dataset: DEMO.dataset, runId: DEMO.run };
}
