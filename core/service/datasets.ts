import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ParsedRequestOf, ReplyOf, DatasetSummary } from '../contract/channels.ts';
import {
  listDatasets,
  openDataset,
  readEpisode,
  episodeFrames,
  actionDimOf,
  datasetExists,
  removeDataset,
  cleanLeftovers,
} from '../data/dataset.ts';
import { UserError } from '../util/errors.ts';
import type { DatasetMeta } from '../data/dataset.ts';
import { inspectDataset } from '../data/dataset-stats.ts';
import { getEnvSpec } from '../envs/registry.ts';
import { readRunConfig, resolveRunDir } from '../runs/run-dir.ts';
import type { WorkerLauncher } from '../trainer/launcher.ts';
import type { FromWorker } from '../trainer/protocol.ts';
import type { EventHub } from './events.ts';
import { conflict, finite, notFound, ServiceError } from './errors.ts';

/** Import worker timeout: ONEIRO_IMPORT_TIMEOUT_S seconds, default one hour. */
export function importTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ONEIRO_IMPORT_TIMEOUT_S;
  if (raw === undefined || raw === '') return 3600_000;
  const s = Number(raw);
  if (!(s > 0 && s <= 7 * 86400))
    throw new UserError(`ONEIRO_IMPORT_TIMEOUT_S='${raw}' is not valid: expected seconds in (0, 604800]`);
  return s * 1000;
}

/** Datasets of the workspace, over core/data. Collection runs in a worker process (see trainer/). */
export class DatasetService {
  /** Dataset names a worker is making (collect or import), with the worker (to cancel it). */
  private readonly busy = new Map<string, { kill(): void; cancelled: boolean }>();

  constructor(
    private readonly workspace: string,
    private readonly events: EventHub,
    private readonly launcher: WorkerLauncher,
    /** An import worker still running after this long is killed and the import fails (ONEIRO_IMPORT_TIMEOUT_S). */
    private readonly importTimeoutMs: number = importTimeoutFromEnv(),
  ) {
    // Folders of imports killed mid-way (host or CLI) would otherwise stay on disk forever.
    cleanLeftovers(workspace);
  }

  /**
   * Deletes a dataset whether or not its dataset.json reads; a collect or import still making it is cancelled
   * first (its worker killed, its staging folder removed).
   */
  remove(req: ParsedRequestOf<'datasets:remove'>): ReplyOf<'datasets:remove'> {
    const job = this.busy.get(req.dataset);
    if (job) {
      job.cancelled = true;
      job.kill();
    }
    if (!datasetExists(this.workspace, req.dataset)) {
      if (job) return { dataset: req.dataset, cancelled: true, removed: false, unreadable: null };
      throw notFound(`no dataset '${req.dataset}'`);
    }
    const r = removeDataset(this.workspace, req.dataset);
    this.events.emit('onDatasetsChanged', { datasets: this.names() });
    return {
      dataset: req.dataset,
      cancelled: !!job,
      removed: true,
      unreadable: 'unreadable' in r ? r.unreadable : null,
    };
  }

  /** Why a name cannot be used: being made, or taken (saying so when the dataset there is unreadable). */
  private taken(name: string, what: string): ServiceError | null {
    if (this.busy.has(name))
      return conflict(`dataset '${name}' is being ${what} now; choose another name or cancel it`);
    if (!datasetExists(this.workspace, name)) return null;
    const bad = listDatasets(this.workspace).find((d) => d.name === name && 'error' in d);
    return conflict(
      bad
        ? `dataset '${name}' exists but is unreadable (${(bad as { error: string }).error}); remove it first`
        : `dataset '${name}' already exists; choose another name`,
    );
  }

  /** Why episodes cannot be added to `name` now: being made or added to, missing, unreadable, or another env's. */
  private appendable(name: string, env: string): ServiceError | null {
    if (this.busy.has(name))
      return conflict(`dataset '${name}' is being collected or imported now; wait for it or cancel it`);
    if (!datasetExists(this.workspace, name)) return notFound(`no dataset '${name}' to add episodes to`);
    let meta: DatasetMeta;
    try {
      meta = openDataset(this.workspace, name).meta;
    } catch (e) {
      return conflict(`dataset '${name}' is unreadable (${(e as Error).message}); remove it first`);
    }
    // The whole rule (frames, actions, repeat, background) runs in the worker once the env is made.
    if (meta.env !== env)
      return new ServiceError(
        'invalid_request',
        `dataset '${name}' holds ${meta.env ?? 'imported'} episodes, not ${env}; collect into a new dataset instead`,
      );
    return null;
  }

  summary(name: string, meta: DatasetMeta): DatasetSummary {
    return {
      name,
      env: meta.env,
      episodes: meta.counts.episodes,
      steps: meta.counts.steps,
      imageShape: meta.observationShape,
      actionSpace: meta.actionSpace,
      actionDim: actionDimOf(meta.actionSpace),
      source:
        typeof meta.source.kind === 'string'
          ? meta.source.kind
          : typeof meta.source.format === 'string'
            ? `import (${meta.source.format})`
            : 'unknown',
      createdAt: meta.created,
    };
  }

  list(): ReplyOf<'datasets:list'> {
    const out: DatasetSummary[] = [];
    for (const d of listDatasets(this.workspace)) if ('meta' in d) out.push(this.summary(d.name, d.meta));
    return out;
  }

  names(): string[] {
    return this.list().map((d) => d.name);
  }

  inspect(req: ParsedRequestOf<'datasets:inspect'>): ReplyOf<'datasets:inspect'> {
    const ds = openDataset(this.workspace, req.dataset);
    const st = inspectDataset(ds);
    const stats = (s: { min: number; max: number; mean: number; std: number }) => ({
      min: finite(s.min),
      max: finite(s.max),
      mean: finite(s.mean),
      std: finite(s.std),
    });
    return {
      ...this.summary(req.dataset, ds.meta),
      episodeList: ds.meta.episodes.map((e, index) => ({
        index,
        file: e.file,
        length: e.length,
        return: finite(e.return),
      })),
      lengths: stats(st.length),
      returns: stats(st.return),
      actions: {
        mean: st.action.mean.map(finite),
        std: st.action.std.map(finite),
        min: st.action.min.map(finite),
        max: st.action.max.map(finite),
      },
    };
  }

  episode(req: ParsedRequestOf<'datasets:episode'>): ReplyOf<'datasets:episode'> {
    const ds = openDataset(this.workspace, req.dataset);
    const ep = readEpisode(ds, req.episode);
    const [T, H, W] = ep.imageShape;
    return {
      dataset: req.dataset,
      episode: req.episode,
      length: T,
      imageShape: [H, W, 3],
      actionDim: ep.actionDim,
      reward: ep.reward,
      action: ep.action,
      isTerminal: ep.isTerminal,
    };
  }

  async frames(req: ParsedRequestOf<'datasets:frames'>): Promise<ReplyOf<'datasets:frames'>> {
    const ds = openDataset(this.workspace, req.dataset);
    const to = req.start + (req.count - 1) * req.stride + 1;
    const r = await episodeFrames(ds, req.episode, req.start, to);
    const [n, H, W] = r.shape;
    if (req.stride === 1)
      return {
        dataset: req.dataset,
        episode: req.episode,
        start: req.start,
        stride: 1,
        frames: { shape: r.shape, data: r.frames },
      };
    const frame = H * W * 3;
    const picked = Math.ceil(n / req.stride);
    const data = new Uint8Array(picked * frame);
    for (let i = 0; i < picked; i++)
      data.set(r.frames.subarray(i * req.stride * frame, (i * req.stride + 1) * frame), i * frame);
    return {
      dataset: req.dataset,
      episode: req.episode,
      start: req.start,
      stride: req.stride,
      frames: { shape: [picked, H, W, 3], data },
    };
  }

  /** Imports in a worker (reading and converting a large folder would stall the host). */
  import(req: ParsedRequestOf<'datasets:import'>): Promise<ReplyOf<'datasets:import'>> {
    const source = resolve(req.source);
    if (!existsSync(source))
      return Promise.reject(
        new ServiceError('invalid_request', `payload.source: no folder ${source}`, 'payload.source'),
      );
    const taken = this.taken(req.name, 'imported');
    if (taken) return Promise.reject(taken);
    const job = { kill: () => {}, cancelled: false, timedOut: false };
    this.busy.set(req.name, job);
    return new Promise((resolveP, reject) => {
      const timer = setTimeout(() => {
        job.timedOut = true;
        job.kill();
      }, this.importTimeoutMs);
      let result: Extract<FromWorker, { type: 'imported' }> | null = null;
      let outcome: { ok: boolean; message: string | null } | null = null;
      const lines: string[] = [];
      const w = this.launcher.spawn(`import-${req.name}`, {
        onMessage: (m) => {
          if (m.type === 'ready')
            w.send({
              type: 'start',
              job: { kind: 'import', workspace: this.workspace, source, dataset: req.name, format: req.format },
            });
          else if (m.type === 'imported') result = m;
          else if (m.type === 'done') outcome = { ok: m.outcome === 'finished', message: m.message };
          else if (m.type === 'log') lines.push(m.line);
        },
        onProtocolError: (why) => lines.push(why),
        onLine: (_s, line) => lines.push(line),
        onExit: (code, signal) => {
          clearTimeout(timer);
          this.busy.delete(req.name);
          // The worker's staging folder is its own; a killed worker leaves it behind.
          cleanLeftovers(this.workspace);
          if (job.cancelled || job.timedOut) {
            reject(
              new ServiceError(
                job.cancelled ? 'conflict' : 'internal',
                job.cancelled
                  ? `import into '${req.name}' was cancelled`
                  : `import into '${req.name}' took longer than ${this.importTimeoutMs / 1000} s and was stopped (raise ONEIRO_IMPORT_TIMEOUT_S)`,
              ),
            );
          } else if (outcome?.ok && result && datasetExists(this.workspace, req.name)) {
            this.events.emit('onDatasetsChanged', { datasets: this.names() });
            resolveP({
              dataset: this.summary(req.name, openDataset(this.workspace, req.name).meta),
              imported: result.imported,
              skipped: result.skipped,
              converted: result.converted,
            });
          } else if (outcome) {
            reject(
              new ServiceError(
                'invalid_request',
                `import into '${req.name}' failed: ${outcome.message ?? 'unknown reason'}`,
                'payload.source',
              ),
            );
          } else {
            reject(
              new ServiceError(
                'internal',
                `import worker exited (${signal ?? `code ${code}`})${lines.length ? `: ${lines.slice(-3).join(' | ')}` : ''}`,
              ),
            );
          }
        },
      });
      job.kill = () => w.kill();
    });
  }

  /**
   * Collects in a worker; progress arrives as onCollectProgress; resolves when the dataset exists (a new one), or
   * when the episodes were added (`append`).
   */
  collect(req: ParsedRequestOf<'datasets:collect'>): Promise<ReplyOf<'datasets:collect'>> {
    getEnvSpec(req.env); // unknown env → UserError naming the valid ones, before a process starts
    if (req.agent) {
      // The run and its env are checked here, in one line each; the worker loads its agent.
      const cfg = readRunConfig(resolveRunDir(this.workspace, req.agent.run));
      if (cfg.source.env !== req.env)
        throw new UserError(
          `run ${cfg.id} acts in ${cfg.source.env ? `env ${cfg.source.env}` : 'no built-in env'}, not ${req.env}: its agent collects in its own env`,
        );
    }
    const taken = req.append ? this.appendable(req.dataset, req.env) : this.taken(req.dataset, 'collected');
    if (taken) return Promise.reject(taken);
    const job = { kill: () => {}, cancelled: false };
    this.busy.set(req.dataset, job);
    const total = req.episodes;
    return new Promise((resolveP, reject) => {
      let outcome: { ok: boolean; message: string | null } | null = null;
      const lines: string[] = [];
      const w = this.launcher.spawn(`collect-${req.dataset}`, {
        onMessage: (m) => {
          if (m.type === 'ready') {
            w.send({
              type: 'start',
              job: {
                kind: 'collect',
                workspace: this.workspace,
                env: req.env,
                dataset: req.dataset,
                episodes: total,
                seed: req.seed,
                size: req.size,
                maxSteps: req.maxSteps,
                policy: req.policy,
                ...(req.append ? { append: true } : {}),
                ...(req.agent ? { agent: req.agent } : {}),
              },
            });
          } else if (m.type === 'progress') {
            this.events.emit('onCollectProgress', {
              dataset: req.dataset,
              env: req.env,
              episodesDone: m.episodesDone,
              episodesTotal: m.episodesTotal,
              steps: m.steps,
              done: false,
            });
          } else if (m.type === 'done') {
            outcome = { ok: m.outcome === 'finished', message: m.message };
          } else if (m.type === 'log') lines.push(m.line);
        },
        onProtocolError: (why) => lines.push(why),
        onLine: (_s, line) => lines.push(line),
        onExit: (code, signal) => {
          this.busy.delete(req.dataset);
          // A stopped or failed append keeps the episodes it added: the list changed either way.
          if (req.append && !job.cancelled && !outcome?.ok)
            this.events.emit('onDatasetsChanged', { datasets: this.names() });
          if (job.cancelled) {
            reject(new ServiceError('conflict', `collect into '${req.dataset}' was cancelled`));
          } else if (outcome?.ok && datasetExists(this.workspace, req.dataset)) {
            const s = this.summary(req.dataset, openDataset(this.workspace, req.dataset).meta);
            this.events.emit('onCollectProgress', {
              dataset: req.dataset,
              env: req.env,
              episodesDone: total,
              episodesTotal: total,
              steps: s.steps,
              done: true,
            });
            this.events.emit('onDatasetsChanged', { datasets: this.names() });
            resolveP(s);
          } else {
            const why =
              outcome?.message ??
              `collect worker exited (${signal ?? `code ${code}`})${lines.length ? `: ${lines.slice(-3).join(' | ')}` : ''}`;
            reject(
              new ServiceError(
                outcome ? 'invalid_request' : 'internal',
                `collect into '${req.dataset}' failed: ${why}`,
              ),
            );
          }
        },
      });
      job.kill = () => w.kill();
    });
  }
}
