import { isAlive } from '../util/process.ts';
import { closeSync, existsSync, fstatSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type {
  CheckpointInfo,
  ParsedRequestOf,
  ReplyOf,
  RunSummary,
  RunStatus as WireStatus,
  MetricPoint,
} from '../contract/channels.ts';
import { EXTENDABLE, RESUMABLE, TRAINING } from '../contract/run-lifecycle.ts';
import { createRun } from '../runs/trainer.ts';
import { setRunSteps } from '../runs/run-steps.ts';
import { forkRun } from '../runs/seed-from.ts';
import { UserError } from '../util/errors.ts';
import { listCheckpoints, latestCheckpointName } from '../runs/checkpoints.ts';
import { readMetrics, type MetricsRecord } from '../runs/metrics.ts';
import {
  checkpointsDir,
  listRuns,
  metricsPath,
  observedState,
  readRunConfig,
  readStatus,
  runDirOf,
  writeStatus,
  type RunStatus as DiskStatus,
} from '../runs/run-dir.ts';
import { familyNames } from '../models/registry.ts';
import type { WorkerHandle, WorkerLauncher } from '../trainer/launcher.ts';
import type { EventHub } from './events.ts';
import { conflict, notFound, ServiceError } from './errors.ts';
import { hostname } from 'node:os';
import { expandDotted } from '../util/safe-keys.ts';
import { controlPath, readQueueRecord, type TrainQueue } from '../queue/jobs.ts';

/**
 * Runs of the workspace and their trainer processes. The run folder is the truth (status.json,
 * metrics.jsonl, checkpoints/ written atomically by core/runs in the trainer); the host owns the
 * processes, watches the folder of each active run, and turns a trainer that dies without saying
 * 'done' into a `crashed` run with its last checkpoint untouched.
 */

const POLL_MS = 400;
/** How long pause/stop wait for the trainer to finish its step and checkpoint before killing it. */
const STOP_GRACE_MS = 60_000;
const USER_STOP = 'stopped by the user';
const USER_PAUSE = 'paused by the user';

/** A run whose metrics.jsonl this host tails. */
interface Tail {
  runId: string;
  metricsOffset: number;
  /** Points at or below this step were on disk before this trainer started (served by runs:metrics). */
  minStep: number;
  /** Latest step seen in metrics.jsonl (status.json is only rewritten at checkpoints). */
  lastStep: number;
}

interface Active extends Tail {
  handle: WorkerHandle;
  /** The launcher's kind when it was spawned ('queue': a job, not a process of this host). */
  kind: string;
  /** 'started' received (backend initialised, data loading / training under way). */
  started: boolean;
  intent: 'run' | 'pause' | 'stop';
  outcome: { outcome: 'finished' | 'stopped' | 'failed'; message: string | null } | null;
  tail: string[];
  /** See TrainJob.controlFile: created to ask the trainer to checkpoint and exit. */
  controlFile: string;
  exited: Promise<void>;
}

export class RunService {
  private readonly active = new Map<string, Active>();
  /**
   * Queued or running jobs of the queue that another process enqueued (`oneiro sweep`, another host):
   * tailed like local runs; pause and stop go through the run's control file, as the queue launcher does.
   */
  private readonly followed = new Map<string, Tail>();
  private queue: TrainQueue | null = null;
  private launcher: WorkerLauncher;
  private readonly lastEmitted = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    private readonly workspace: string,
    private readonly events: EventHub,
    private readonly localLauncher: WorkerLauncher,
  ) {
    this.launcher = localLauncher;
  }

  /**
   * Where runs:start sends runs from now on: a queue launcher (with its queue, for removing waiting
   * jobs of followed runs) or, with null, this machine again. Runs already started keep their launcher.
   */
  useQueue(launcher: WorkerLauncher | null, queue: TrainQueue | null): void {
    // The old queue launcher is closed by its owner: its jobs are followed through the run folder instead.
    for (const a of [...this.active.values()])
      if (a.kind === 'queue') {
        this.active.delete(a.runId);
        this.followed.set(a.runId, {
          runId: a.runId,
          metricsOffset: a.metricsOffset,
          minStep: a.minStep,
          lastStep: a.lastStep,
        });
      }
    this.launcher = launcher ?? this.localLauncher;
    this.queue = launcher ? queue : null;
  }

  private dir(runId: string): string {
    const d = runDirOf(this.workspace, runId);
    if (!existsSync(join(d, 'config.json'))) throw notFound(`no run '${runId}' in ${join(this.workspace, 'runs')}`);
    return d;
  }

  private wireStatus(runId: string, disk: DiskStatus | null): WireStatus {
    const a = this.active.get(runId);
    if (a) return a.started ? 'running' : a.kind === 'queue' ? 'queued' : 'starting';
    if (!disk) return 'created';
    // The disk and the wire share one vocabulary; only a trainer that is gone needs the process table.
    if (disk.state === 'running') {
      // A queue worker's trainer on another machine: its liveness is BullMQ's business (stalled jobs).
      if (disk.host && disk.host !== hostname()) return 'running';
      return observedState(disk) === 'crashed' ? 'crashed' : 'running';
    }
    return disk.state;
  }

  checkpoints(runId: string): CheckpointInfo[] {
    const dir = this.dir(runId);
    const latest = latestCheckpointName(dir);
    return listCheckpoints(dir).map((c) => {
      const path = join(checkpointsDir(dir), `${c.name}.safetensors`);
      let bytes = 0;
      let createdAt: string | null = null;
      try {
        const st = statSync(path);
        bytes = st.size;
        createdAt = st.mtime.toISOString();
      } catch {
        /* pruned between listing and stat */
      }
      return { step: c.globalStep, path, createdAt, bytes, latest: c.name === latest };
    });
  }

  summary(runId: string): RunSummary {
    const dir = this.dir(runId);
    const cfg = readRunConfig(dir);
    const disk = readStatus(dir);
    const status = this.wireStatus(runId, disk);
    if ((status === 'queued' || status === 'running') && !this.active.has(runId)) this.follow(runId, dir);
    const ckpts = this.checkpoints(runId);
    let message = disk?.message ?? null;
    if (status === 'running' && !this.active.has(runId) && !readQueueRecord(dir))
      message = `trained by another process (pid ${disk?.pid}${disk?.host && disk.host !== hostname() ? ` on ${disk.host}` : ''})`;
    if (status === 'crashed' && disk?.state === 'running')
      message =
        'the trainer is no longer running (the host that started it exited); resume continues from the last checkpoint';
    const behavior = (cfg.model as Record<string, unknown> | null)?.behavior;
    const last: Record<string, number> = {};
    for (const [k, v] of Object.entries(disk?.last ?? {})) if (Number.isFinite(v)) last[k] = v;
    return {
      id: runId,
      family: cfg.family,
      preset: cfg.preset,
      dataset: cfg.source.dataset,
      env: cfg.source.env,
      status,
      phase: disk?.phase ?? null,
      step: Math.max(disk?.step ?? 0, (this.active.get(runId) ?? this.followed.get(runId))?.lastStep ?? 0),
      totalSteps: disk?.totalSteps ? disk.totalSteps : null,
      backend: disk?.backend ?? cfg.backend,
      createdAt: cfg.created,
      updatedAt: disk?.updated ?? null,
      lastCheckpoint: ckpts.find((c) => c.latest) ?? ckpts.at(-1) ?? null,
      message,
      lastMetrics: last,
      behavior: typeof behavior === 'string' ? behavior : null,
      from: cfg.source.from ? { run: cfg.source.from.run, phase: cfg.source.from.phase } : null,
    };
  }

  list(): RunSummary[] {
    const out: RunSummary[] = [];
    for (const r of listRuns(this.workspace)) {
      try {
        out.push(this.summary(r.id));
      } catch {
        /* unreadable run folders are skipped here; `oneiro runs` reports them */
      }
    }
    return out;
  }

  get(req: ParsedRequestOf<'runs:get'>): ReplyOf<'runs:get'> {
    const s = this.summary(req.runId);
    const cfg = readRunConfig(this.dir(req.runId));
    return { ...s, config: cfg as unknown as Record<string, unknown> };
  }

  /**
   * `dataset` names the run's data. With `env` instead, `collectFromEnv` (the service's dataset
   * collection) first makes a small dataset from the env, named after the run — the families train
   * offline from episodes (online training in the env arrives with the RSSM's loop).
   */
  async create(
    req: ParsedRequestOf<'runs:create'>,
    collectFromEnv?: (env: string, dataset: string) => Promise<string>,
  ): Promise<RunSummary> {
    if (!familyNames().includes(req.family)) {
      throw new ServiceError(
        'invalid_request',
        `unknown model family '${req.family}': expected one of ${familyNames().join(', ')}`,
        'payload.family',
      );
    }
    this.refuseTakenName(req.name);
    let dataset = req.dataset ?? null;
    if (req.env !== undefined) {
      if (!collectFromEnv)
        throw new ServiceError(
          'invalid_request',
          `${req.family} trains from a dataset: create the run with dataset`,
          'payload.env',
        );
      const base = req.name ?? `${req.family}-${req.env}`;
      let name = `${base}-data`;
      for (let i = 2; existsSync(join(this.workspace, 'datasets', name)); i++) name = `${base}-data-${i}`;
      dataset = await collectFromEnv(req.env, name);
    }
    const overrides = req.overrides
      ? expandDotted(req.overrides, (m) => new ServiceError('invalid_request', m, 'payload.overrides'))
      : undefined;
    const r = await createRun({
      workspace: this.workspace,
      family: req.family,
      preset: req.preset,
      dataset,
      seed: req.seed,
      steps: req.steps,
      overrides,
      ...(req.name ? { id: req.name } : {}),
    });
    const s = this.summary(r.id);
    this.emitStatus(s);
    return s;
  }

  /**
   * runs:fork: a new World Models run from `runId`'s last checkpoint at a later phase (core/runs/seed-from.ts
   * forkRun, as `oneiro train --from RUN --phase P`). Created, not started, as create: the caller starts it. A run
   * that a trainer may be writing now is refused (its last checkpoint may be half replaced); forkRun's refusals
   * (not World Models, not finished, a vae.* override, …) come back as one-line invalid requests.
   */
  async fork(req: ParsedRequestOf<'runs:fork'>): Promise<RunSummary> {
    const s = this.summary(req.runId);
    if (this.active.has(req.runId) || TRAINING.includes(s.status))
      throw conflict(`run ${req.runId} is ${s.status}: a run can be continued from once it has completed`);
    this.refuseTakenName(req.name);
    const overrides = req.overrides
      ? expandDotted(req.overrides, (m) => new ServiceError('invalid_request', m, 'payload.overrides'))
      : undefined;
    let r: { id: string };
    try {
      r = await forkRun({
        workspace: this.workspace,
        from: req.runId,
        phase: req.phase,
        overrides,
        seed: req.seed,
        ...(req.name ? { id: req.name } : {}),
      });
    } catch (e) {
      if (e instanceof UserError) throw new ServiceError('invalid_request', e.message);
      throw e;
    }
    const now = this.summary(r.id);
    this.emitStatus(now);
    return now;
  }

  /** create and fork take a new run's name only where no run folder has it. */
  private refuseTakenName(name: string | undefined): void {
    if (name && existsSync(runDirOf(this.workspace, name))) throw conflict(`a run named '${name}' already exists`);
  }

  /** `reopened`: the run completed and its budget has just grown (resume with steps), so it trains on. */
  start(req: ParsedRequestOf<'runs:start'>, reopened = false): RunSummary {
    const s = this.summary(req.runId);
    if (this.active.has(req.runId)) throw conflict(`run ${req.runId} is already ${s.status}`);
    const disk = readStatus(this.dir(req.runId));
    if (disk?.state === 'running' && isAlive(disk.pid))
      throw conflict(
        `run ${req.runId} is being trained by another process (pid ${disk.pid}), e.g. another Oneiro window or 'oneiro train'`,
      );
    if (s.status === 'queued') throw conflict(`run ${req.runId} is already queued for a worker`);
    if (s.status === 'completed' && !reopened)
      throw conflict(
        `run ${req.runId} has completed all ${s.totalSteps ?? ''} steps; resume it with a larger steps, or create a new run, to train more`,
      );
    if (this.closing) throw conflict('the workbench host is shutting down');
    this.spawn(req.runId, s.lastCheckpoint !== null);
    const now = this.summary(req.runId);
    this.emitStatus(now);
    return now;
  }

  async resume(req: ParsedRequestOf<'runs:resume'>): Promise<RunSummary> {
    const s = this.summary(req.runId);
    if (this.active.has(req.runId) || s.status === 'running')
      throw conflict(`run ${req.runId} is ${s.status}, not paused`);
    if (req.steps === undefined) {
      if (!RESUMABLE.includes(s.status))
        throw conflict(
          `run ${req.runId} is ${s.status}: only a paused, stopped or crashed run can be resumed${s.status === 'completed' ? ' (a completed one with a larger steps)' : ''}`,
        );
      return this.start({ runId: req.runId });
    }
    if (!EXTENDABLE.includes(s.status))
      throw conflict(
        `run ${req.runId} is ${s.status}: only a paused, stopped, crashed or completed run can be resumed with steps`,
      );
    // Checked against the steps done and written before a trainer starts; a refusal (invalid_request) writes nothing.
    const set = await setRunSteps(this.dir(req.runId), req.steps);
    return this.start({ runId: req.runId }, set.changed);
  }

  async pause(req: ParsedRequestOf<'runs:pause'>): Promise<RunSummary> {
    return this.halt(req.runId, 'pause');
  }

  async stop(req: ParsedRequestOf<'runs:stop'>): Promise<RunSummary> {
    return this.halt(req.runId, 'stop');
  }

  /** Asks the trainer to checkpoint and exit; waits for it (killing it after a grace period). */
  private async halt(runId: string, intent: 'pause' | 'stop'): Promise<RunSummary> {
    const s = this.summary(runId);
    const a = this.active.get(runId);
    if (!a && (s.status === 'queued' || s.status === 'running') && readQueueRecord(this.dir(runId)))
      return this.haltJob(runId, intent);
    if (!a) {
      if (intent === 'stop' && s.status === 'paused') {
        // A paused run has no process: stopping it only changes its label.
        const disk = readStatus(this.dir(runId));
        if (disk) writeStatus(this.dir(runId), { ...disk, state: 'stopped', message: USER_STOP });
        const now = this.summary(runId);
        this.emitStatus(now);
        return now;
      }
      throw conflict(`run ${runId} is ${s.status}: there is no trainer to ${intent}`);
    }
    this.requestHalt(a, intent);
    const killer = setTimeout(() => {
      this.log(
        runId,
        `trainer did not ${intent} within ${STOP_GRACE_MS / 1000} s; killing it (the last checkpoint is kept)`,
      );
      a.handle.kill();
    }, STOP_GRACE_MS);
    await a.exited;
    clearTimeout(killer);
    return this.summary(runId);
  }

  /**
   * Pause/stop of a queue job this host did not start: the run's control file (which the remote
   * trainer polls, core/queue/worker.ts), and a job still waiting is removed from the queue at once.
   * Waits for the trainer to checkpoint and leave 'running'; a worker that never answers leaves the run
   * as it is (its liveness is BullMQ's business), reported in the returned message.
   */
  private async haltJob(runId: string, intent: 'pause' | 'stop'): Promise<RunSummary> {
    const dir = this.dir(runId);
    writeFileSync(controlPath(dir), intent);
    const label = (): void => {
      const disk = readStatus(dir);
      if (disk)
        writeStatus(dir, {
          ...disk,
          pid: null,
          ...(intent === 'stop' ? { state: 'stopped', message: USER_STOP } : { state: 'paused', message: USER_PAUSE }),
        });
    };
    const rec = readQueueRecord(dir);
    if (this.queue && rec) {
      const job = await this.queue.getJob(rec.jobId);
      const state = job ? await job.getState() : null;
      if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
        await job.remove();
        rmSync(controlPath(dir), { force: true });
        label();
        return this.settle(runId);
      }
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline) {
      const st = readStatus(dir)?.state;
      if (st !== 'running' && st !== 'queued') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const st = readStatus(dir)?.state;
    // The trainer writes 'paused' when asked to halt; a stop is the user's label on top.
    if (st === 'paused' || st === 'stopped') label();
    else this.log(runId, `the worker did not ${intent} run ${runId} within ${STOP_GRACE_MS / 1000} s`);
    return this.settle(runId);
  }

  private settle(runId: string): RunSummary {
    const t = this.followed.get(runId);
    if (t) this.pollOne(t);
    this.followed.delete(runId);
    const now = this.summary(runId);
    this.emitStatus(now);
    return now;
  }

  /** Starts tailing a queue run another process enqueued (it has queue.json; this host has no handle). */
  private follow(runId: string, dir: string): void {
    if (this.followed.has(runId) || this.closing || !readQueueRecord(dir)) return;
    let size = 0;
    try {
      size = statSync(metricsPath(dir)).size;
    } catch {
      /* no metrics yet */
    }
    // Points already on disk are served by runs:metrics; stream what the remote trainer appends.
    this.followed.set(runId, { runId, metricsOffset: size, minStep: -1, lastStep: 0 });
    if (!this.timer) this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  private requestHalt(a: Active, intent: 'pause' | 'stop'): void {
    a.intent = intent;
    a.handle.send({ type: intent });
    try {
      writeFileSync(a.controlFile, intent);
    } catch (e) {
      this.log(a.runId, `could not write the control file ${a.controlFile}: ${(e as Error).message}`);
    }
  }

  metrics(req: ParsedRequestOf<'runs:metrics'>): ReplyOf<'runs:metrics'> {
    const dir = this.dir(req.runId);
    let points = readMetrics(dir)
      .map(toPoint)
      .filter((p) => p.step > req.since);
    if (req.limit > 0) points = points.slice(-req.limit);
    return { runId: req.runId, points };
  }

  private log(runId: string, line: string, stream: 'stdout' | 'stderr' | 'trainer' = 'trainer'): void {
    this.events.emit('onRunLog', { runId, stream, line });
  }

  private emitStatus(s: RunSummary): void {
    const key = JSON.stringify(s);
    if (this.lastEmitted.get(s.id) === key) return;
    this.lastEmitted.set(s.id, key);
    this.events.emit('onRunStatus', s);
  }

  private spawn(runId: string, resume: boolean): void {
    let markExited!: () => void;
    const exited = new Promise<void>((r) => (markExited = r));
    const ckpts = this.checkpoints(runId);
    const a: Active = {
      runId,
      kind: this.launcher.kind,
      started: false,
      intent: 'run',
      outcome: null,
      tail: [],
      exited,
      lastStep: 0,
      controlFile: join(tmpdir(), `oneiro-control-${process.pid}-${randomBytes(6).toString('hex')}`),
      // The runner truncates metrics.jsonl to the checkpoint it resumes from; stream only what comes after.
      metricsOffset: 0,
      minStep: resume ? ((ckpts.find((c) => c.latest) ?? ckpts.at(-1))?.step ?? -1) : -1,
      handle: undefined as unknown as WorkerHandle,
    };
    const keep = (line: string) => {
      a.tail.push(line);
      if (a.tail.length > 20) a.tail.shift();
    };
    a.handle = this.launcher.spawn(`trainer-${runId}`, {
      onMessage: (m) => {
        if (m.type === 'ready')
          a.handle.send({
            type: 'start',
            job: { kind: 'train', workspace: this.workspace, runId, resume, controlFile: a.controlFile, probe: true },
          });
        else if (m.type === 'started') {
          a.started = true;
          this.log(
            runId,
            `trainer pid ${a.handle.pid ?? '?'} started on backend ${m.backend}${resume ? ' (resuming from the last checkpoint)' : ''}`,
          );
          this.poll();
        } else if (m.type === 'log') {
          keep(m.line);
          this.log(runId, m.line);
        } else if (m.type === 'done') a.outcome = { outcome: m.outcome, message: m.message };
      },
      onProtocolError: (why) => {
        keep(why);
        this.log(runId, `protocol error, trainer killed: ${why}`);
      },
      onLine: (stream, line) => {
        keep(line);
        this.log(runId, line, stream);
      },
      onExit: (code, signal) => {
        this.onExit(a, code, signal);
        markExited();
      },
    });
    this.followed.delete(runId);
    this.active.set(runId, a);
    if (!this.timer) this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  private onExit(a: Active, code: number | null, signal: string | null): void {
    const dir = runDirOf(this.workspace, a.runId);
    this.pollOne(a); // last metrics lines
    this.active.delete(a.runId);
    rmSync(a.controlFile, { force: true });
    const disk = readStatus(dir);
    const base = {
      phase: disk?.phase ?? null,
      step: disk?.step ?? 0,
      totalSteps: disk?.totalSteps ?? 0,
      pid: null,
      backend: disk?.backend ?? null,
      ...(disk?.last ? { last: disk.last } : {}),
    };
    if (a.outcome?.outcome === 'stopped' || (a.outcome === null && a.intent !== 'run' && disk?.state === 'paused')) {
      writeStatus(dir, {
        ...base,
        ...(a.intent === 'stop' ? { state: 'stopped', message: USER_STOP } : { state: 'paused', message: USER_PAUSE }),
      });
    } else if (a.outcome === null || (a.outcome.outcome === 'failed' && disk?.state === 'running')) {
      // Died without saying goodbye: killed, out of memory, a native crash. The run folder still holds
      // the last checkpoint (written atomically), so the run can be resumed from it.
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      const detail =
        a.outcome?.message ?? a.tail.filter((l) => /error|Error|killed|memory/.test(l)).at(-1) ?? a.tail.at(-1);
      const ck = latestCheckpointName(dir);
      const message = `trainer ${how} at step ${base.step}${detail ? ` (${detail.slice(0, 300)})` : ''}; ${ck ? `last checkpoint ${ck} is intact` : 'no checkpoint had been written yet'}`;
      writeStatus(dir, { ...base, state: 'crashed', message });
      this.log(a.runId, message);
    }
    if (this.active.size === 0 && this.followed.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.emitStatus(this.summary(a.runId));
  }

  private poll(): void {
    for (const a of this.active.values()) this.pollOne(a);
    for (const t of [...this.followed.values()]) {
      this.pollOne(t);
      const st = readStatus(runDirOf(this.workspace, t.runId))?.state;
      if (st !== 'queued' && st !== 'running') this.followed.delete(t.runId);
    }
    if (this.active.size === 0 && this.followed.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Reads what the trainer appended to metrics.jsonl and whether status.json changed. */
  private pollOne(a: Tail): void {
    try {
      const file = metricsPath(runDirOf(this.workspace, a.runId));
      if (existsSync(file)) {
        const fd = openSync(file, 'r');
        try {
          const size = fstatSync(fd).size;
          // The runner rewrites the file on resume (truncating past the checkpoint): start over.
          if (size < a.metricsOffset) a.metricsOffset = 0;
          if (size > a.metricsOffset) {
            const buf = Buffer.alloc(size - a.metricsOffset);
            readSync(fd, buf, 0, buf.length, a.metricsOffset);
            const text = buf.toString('utf8');
            const end = text.lastIndexOf('\n');
            if (end >= 0) {
              a.metricsOffset += Buffer.byteLength(text.slice(0, end + 1));
              const points: MetricPoint[] = [];
              for (const line of text.slice(0, end).split('\n')) {
                if (!line.trim()) continue;
                try {
                  const p = toPoint(JSON.parse(line) as MetricsRecord);
                  if (p.step > a.minStep) points.push(p);
                } catch {
                  /* torn line */
                }
              }
              if (points.length) {
                a.lastStep = Math.max(a.lastStep, ...points.map((p) => p.step));
                this.events.emit('onMetrics', { runId: a.runId, points });
              }
            }
          }
        } finally {
          closeSync(fd);
        }
      }
      this.emitStatus(this.summary(a.runId));
    } catch (e) {
      this.log(a.runId, `host could not read the run folder: ${(e as Error).message}`);
    }
  }

  activeCount(): number {
    return this.active.size;
  }

  /** Test hook: the pid of a run's trainer. */
  trainerPid(runId: string): number | undefined {
    return this.active.get(runId)?.handle.pid;
  }

  /** Stops every trainer (checkpointing), killing those that do not exit in time. */
  async close(graceMs = 20_000): Promise<void> {
    this.closing = true;
    this.followed.clear();
    // Queued runs belong to the queue's workers: a host that exits leaves them training.
    const all = [...this.active.values()].filter((a) => a.kind !== 'queue');
    for (const a of all) this.requestHalt(a, 'pause');
    const timer = setTimeout(() => all.forEach((a) => a.handle.kill()), graceMs);
    await Promise.all(all.map((a) => a.exited));
    clearTimeout(timer);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export function toPoint(rec: MetricsRecord): MetricPoint {
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec))
    if (k !== 'step' && typeof v === 'number' && Number.isFinite(v)) values[k] = v;
  const t = typeof rec.time === 'string' ? Date.parse(rec.time) : NaN;
  return {
    step: Math.max(0, Math.trunc(rec.step) || 0),
    time: Number.isFinite(t) ? t / 1000 : null,
    phase: typeof rec.phase === 'string' ? rec.phase : null,
    values,
  };
}
