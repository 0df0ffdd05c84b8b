import { readFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { WorkbenchApi } from '../contract/client.ts';
import type { ReplyOf } from '../contract/channels.ts';
import { getEnvSpec, listEnvs } from '../envs/registry.ts';
import { familyDescriptions, getFamily } from '../models/registry.ts';
import { initBackend, type BackendInfo } from '../tensor/backend.ts';
import type { WorkerLauncher } from '../trainer/launcher.ts';
import { ProbeJobs } from './probe-jobs.ts';
import { findChromium, findElectron, type Found } from './availability.ts';
import { DatasetService } from './datasets.ts';
import { DreamService } from '../runs/dreams.ts';
import { DreamWorkerClient, type Dreams } from './dream-worker.ts';
import { EventHub } from './events.ts';
import { RunService } from './runs.ts';
import { QueueService } from './queue.ts';
import { SweepService } from './sweeps.ts';

/**
 * The Workbench service: every capability of the contract as plain methods over core/, plus the
 * event hub. Hosts (core/host for web mode, electron/main.ts, tests via the direct transport) wrap
 * it with the contract's dispatcher; it never sees an unvalidated request.
 */

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The dataset a run created from an env collects first (about 2,000 frames). */
export const ENV_DATASET = { episodes: 10, maxSteps: 200 } as const;

export interface ServiceOptions {
  workspace: string;
  host: 'electron' | 'web' | 'direct';
  launcher: WorkerLauncher;
  /** Where runs train, when not `launcher` (tests); a host connects its queue with `queueUrl` or queue:set instead. */
  runLauncher?: WorkerLauncher;
  /** `oneiro serve --queue URL`: connect this queue at start (else the workspace's saved setting, if any). */
  queueUrl?: string;
  /** The environment to take ONEIRO_QUEUE_PASSWORD/ONEIRO_QUEUE_CA from (the CLI scrubs process.env for children). */
  env?: NodeJS.ProcessEnv;
  /** Where node_modules lives (Electron binary detection). */
  root?: string;
  /** Force the tfjs backend of the host and the dream server. */
  backend?: string;
  /** Where dreams run: a dream server process (default) or the host itself. */
  dreamsIn?: 'worker' | 'host';
}

export interface WorkbenchService {
  api: WorkbenchApi;
  events: EventHub;
  runs: RunService;
  datasets: DatasetService;
  dreams: Dreams;
  queue: QueueService;
  /** Resolves once the saved or --queue queue is connected (or found unreachable: see queue:get). */
  queueReady: Promise<void>;
  close(): Promise<void>;
}

function packageVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function createWorkbenchService(opts: ServiceOptions): WorkbenchService {
  const workspace = resolve(opts.workspace);
  mkdirSync(workspace, { recursive: true });
  const root = opts.root ?? PROJECT_ROOT;
  const events = new EventHub();
  const datasets = new DatasetService(workspace, events, opts.launcher);
  const runs = new RunService(workspace, events, opts.runLauncher ?? opts.launcher);
  const dreams: Dreams =
    opts.dreamsIn === 'host'
      ? new DreamService(workspace)
      : new DreamWorkerClient(workspace, opts.launcher, opts.backend, (l) => console.error(`oneiro dreams: ${l}`));
  // Probe decoders train in their own worker (probe-jobs.ts): never in the dream server, never on the host's loop.
  const probes = new ProbeJobs(workspace, opts.launcher, opts.backend, (l) => console.error(`oneiro probe: ${l}`));
  const queue = new QueueService(workspace, runs, opts.env ?? process.env, (l) => console.error(`oneiro queue: ${l}`));
  const queueReady = opts.runLauncher ? Promise.resolve() : queue.init(opts.queueUrl);
  // runs:eval replies of the latest checkpoint by run (step and measures), for the Sweeps view's final metrics.
  const evaluated = new Map<string, { checkpointStep: number; metrics: Record<string, number | null> }>();
  const sweeps = new SweepService(workspace, {
    summary: (id) => runs.summary(id),
    queue: () => queue.current(),
    evaluated: (id) => evaluated.get(id) ?? null,
  });
  let backend: Promise<BackendInfo> | null = null;
  let found: { electron: Found; chromium: Found } | null = null;

  const hostBackend = () => (backend ??= initBackend(opts.backend));
  const availability = () => {
    if (!found) {
      const inElectron = process.versions.electron;
      found = {
        electron: inElectron
          ? { available: true, version: inElectron, detail: 'running inside Electron' }
          : findElectron(root),
        chromium: process.versions.chrome
          ? { available: true, version: process.versions.chrome, detail: "Electron's own Chromium" }
          : findChromium(),
      };
    }
    return found;
  };
  const strip = (f: Found) => ({ available: f.available, version: f.version, detail: f.detail });

  const api: WorkbenchApi = {
    async workspaceInfo() {
      const b = await hostBackend();
      const a = availability();
      return {
        workspace,
        version: packageVersion(root),
        host: opts.host,
        backend: { name: b.name, tfName: b.tfName, threads: b.threads, skipped: b.skipped },
        versions: {
          node: process.versions.node,
          tfjs: tf.version_core,
          electron: process.versions.electron ?? null,
          chrome: process.versions.chrome ?? null,
        },
        electron: strip(a.electron),
        chromium: strip(a.chromium),
        empty: datasets.list().length === 0 && runs.list().length === 0,
      } satisfies ReplyOf<'workspace:info'>;
    },
    async listEnvs() {
      return listEnvs().map((s) => {
        const space = s.actionSpace ?? s.make().actionSpace;
        return {
          name: s.name,
          doc: s.doc,
          observationShape: [s.defaults.size, s.defaults.size, 3] as [number, number, 3],
          actionSpace: space,
          defaults: s.defaults,
        };
      });
    },
    async listModels() {
      const out: ReplyOf<'models:list'> = [];
      for (const f of familyDescriptions()) {
        const fam = await getFamily(f.name);
        // From an env, a run first collects a small dataset (runs:create); training itself is offline.
        out.push({
          family: f.name,
          doc: f.description,
          presets: fam.presets.map((p) => ({ name: p, doc: `${f.name} '${p}' preset` })),
          sources: ['dataset', 'env'],
        });
      }
      return out;
    },
    async listDatasets() {
      return datasets.list();
    },
    async inspectDataset(req) {
      return datasets.inspect(req);
    },
    async readEpisode(req) {
      return datasets.episode(req);
    },
    async episodeFrames(req) {
      return datasets.frames(req);
    },
    importDataset: (req) => datasets.import(req),
    collectDataset: (req) => datasets.collect(req),
    async removeDataset(req) {
      return datasets.remove(req);
    },
    async listRuns() {
      return runs.list();
    },
    async getRun(req) {
      return runs.get(req);
    },
    async createRun(req) {
      await hostBackend();
      return runs.create(req, async (env, dataset) => {
        const spec = getEnvSpec(env);
        const box = (spec.actionSpace ?? spec.make().actionSpace).kind === 'box';
        // ENV_DATASET: enough frames for a debug-preset run to learn something, collected in seconds.
        await datasets.collect({
          env,
          dataset,
          episodes: ENV_DATASET.episodes,
          seed: req.seed ?? 0,
          maxSteps: Math.min(spec.defaults.maxSteps, ENV_DATASET.maxSteps),
          policy: box ? 'brownian' : 'random',
        });
        return dataset;
      });
    },
    async startRun(req) {
      return runs.start(req);
    },
    pauseRun: (req) => runs.pause(req),
    async resumeRun(req) {
      return runs.resume(req);
    },
    stopRun: (req) => runs.stop(req),
    async forkRun(req) {
      await hostBackend();
      return runs.fork(req);
    },
    async runMetrics(req) {
      return runs.metrics(req);
    },
    async runCheckpoints(req) {
      return runs.checkpoints(req.runId);
    },
    async runEval(req) {
      if (opts.dreamsIn === 'host') await hostBackend();
      const r = await dreams.evaluate(req);
      const metrics: Record<string, number | null> = {};
      for (const [k, m] of Object.entries(r.metrics)) metrics[k] = m.model;
      // Only the latest checkpoint's measures are the run's final ones: a chosen (older) step is not stored.
      if (req.checkpointStep === undefined) evaluated.set(req.runId, { checkpointStep: r.checkpointStep, metrics });
      return r;
    },
    async runProbe(req) {
      if (opts.dreamsIn === 'host') {
        await hostBackend();
        return dreams.probe(req);
      }
      const describe = () => dreams.probe({ ...req, train: false });
      if (req.train) {
        // The run must exist and have a checkpoint (the same errors as without training) before a process starts.
        await describe();
        await probes.train(req.runId, req.steps);
      }
      return describe();
    },
    async dreamOpenLoop(req) {
      if (opts.dreamsIn === 'host') await hostBackend();
      return dreams.openloop(req);
    },
    async dreamReset(req) {
      if (opts.dreamsIn === 'host') await hostBackend();
      return dreams.reset(req);
    },
    async dreamStep(req) {
      return dreams.step(req);
    },
    async dreamFrame(req) {
      return dreams.frame(req);
    },
    async dreamImagine(req) {
      if (opts.dreamsIn === 'host') await hostBackend();
      return dreams.imagine(req);
    },
    async dreamGoal(req) {
      if (opts.dreamsIn === 'host') await hostBackend();
      return dreams.goal(req);
    },
    async objectsView(req) {
      if (opts.dreamsIn === 'host') await hostBackend();
      return dreams.objectsView(req);
    },
    async dreamClose(req) {
      return { closed: await dreams.closeSession(req.sessionId) };
    },
    async exportStrip(req) {
      if (req.source.kind === 'openloop' && opts.dreamsIn === 'host') await hostBackend();
      return dreams.exportStrip(req);
    },
    async exportFeatures(req) {
      if (opts.dreamsIn === 'host') await hostBackend();
      return dreams.exportFeatures(req);
    },
    async queueSettings() {
      await queueReady;
      return queue.settings();
    },
    async setQueue(req) {
      await queueReady;
      return queue.set(req.url);
    },
    async queueWorkers() {
      await queueReady;
      return queue.workers();
    },
    async listSweeps() {
      return sweeps.list();
    },
    async getSweep(req) {
      await queueReady;
      return sweeps.get(req.sweepId);
    },
  };

  return {
    api,
    events,
    runs,
    datasets,
    dreams,
    queue,
    queueReady,
    async close() {
      await queueReady;
      probes.close();
      await Promise.all([runs.close(), dreams.close()]);
      await queue.close();
    },
  };
}
