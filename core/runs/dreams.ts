import { randomUUID } from 'node:crypto';
import type { ParsedRequestOf, ReplyOf, Space } from '../contract/channels.ts';
import { datasetActionRepeat, openDataset, readEpisode } from '../data/dataset.ts';
import type { Episode } from '../data/episode.ts';
import { type DreamSession, type OpenLoopResult } from '../models/family.ts';
import { openRunModel, type OpenedRun } from './load.ts';
import { checkpointNameAtStep, latestCheckpointName } from './checkpoints.ts';
import { readRunConfig, runDirOf, type RunConfig } from './run-dir.ts';
import { pixelMse } from '../media/frames.ts';
import { FOREGROUND_THRESHOLD, foregroundMask, maskedSquaredError } from '../media/foreground.ts';
import { evaluateRun, type EvalReport } from './evaluate.ts';
import { runTrainingMeanFrame } from './mean-frame.ts';
import { openloopClamps } from '../models/openloop-clamps.ts';
import type { ActorCritic } from '../agents/actor-critic.ts';
import type { Achiever } from '../agents/achiever.ts';
import type { Behavior } from '../agents/behavior.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { actorCriticOf, actorDream } from './actor-dream.ts';
import { runBehavior } from './load-agent.ts';
import { resizeFrames } from '../media/frames.ts';
import { notFound, ServiceError } from '../contract/service-error.ts';
import { UserError } from '../util/errors.ts';
import { exportStrip } from './exports.ts';
import { featuresDownload } from './feature-export.ts';
import { type PixelView, type PixelViewRequest, RunPixelViews, pixelViewLabel } from './pixel-view.ts';
import { MAX_RETRIEVAL_EPISODES, atModelSize, objectsViewReply } from './objects-view.ts';
import type { ObjectGraphLatentModel } from '../models/object-graph/latent-model.ts';
import { probeProblem, readProbeMeta, trainRunProbe } from './probe.ts';
import { achieverOf, goalDream, type GoalDream } from './goal-dream.ts';
import { goalReal } from './goal-real.ts';

/**
 * Dreams from a run's latest checkpoint: open-loop rollouts and interactive sessions. The service calls it
 * in-process and the dream worker (core/trainer/entry.ts) serves it off the host's event loop, so it sits
 * with the runs, below both.
 * Loaded models are cached per (run, checkpoint) — at most two, the oldest disposed — so scrubbing
 * and playing do not reload weights. Only the requested episode is read from disk.
 */

/** Dreamer's openl uses 5 context frames (dreamerv3 agent.py report); `oneiro dream` does too. */
const DEFAULT_CONTEXT = 5;
const MAX_MODELS = 2;
/** Eval reports kept (a few numbers each): a learning curve's worth of checkpoints over a few runs. */
const MAX_EVALS = 64;
const MAX_SESSIONS = 8;

export interface OpenLoopRawRequest {
  runId: string;
  dataset?: string;
  episode: number;
  start: number;
  horizon: number;
  context?: number;
  temperature?: number;
  /** The mean of this many dreams sampled at `temperature` (default 1) instead of one dream. */
  samples?: number;
  seed: number;
  view?: PixelViewRequest;
}

export interface OpenLoopRaw {
  dataset: string;
  result: OpenLoopResult;
  /** Where the frames came from, and why 'auto' did not take a better view (or null). */
  pixels: PixelView;
  pixelsNote: string | null;
}

interface Session {
  id: string;
  runId: string;
  dream: DreamSession;
  pixels: PixelView;
  t: number;
  frame: Uint8Array;
  reward: number | null;
  done: boolean;
  action: number[] | null;
  driver: 'user' | 'actor' | null;
}

/** A run's behaviour restored next to its cached model (the actor's dreams and the Play autopilot). */
interface RunActor {
  wm: LatentWorldModel;
  behavior: Behavior;
}

export class DreamService {
  private readonly models = new Map<
    string,
    {
      key: string;
      opened: OpenedRun;
      views: RunPixelViews;
      mean?: Promise<Float32Array | null>;
      actor?: RunActor;
    }
  >();
  /**
   * Eval reports by checkpoint: `latest:runId/ckpt-…` for the latest (which may fall back to an older intact one),
   * `runId/ckpt-…` for a chosen kept one; the oldest entries go beyond MAX_EVALS.
   */
  private readonly evals = new Map<string, Promise<ReplyOf<'runs:eval'>>>();
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly workspace: string) {}

  /** The run's folder and config, or not_found. */
  private run(runId: string): { dir: string; cfg: RunConfig } {
    const dir = runDirOf(this.workspace, runId);
    try {
      return { dir, cfg: readRunConfig(dir) };
    } catch {
      throw notFound(`no run '${runId}' in the workspace`);
    }
  }

  /** As `run`, with `key` = runId/checkpoint of its latest checkpoint (what the caches are keyed by); conflict without one. */
  private latest(runId: string): { dir: string; cfg: RunConfig; key: string } {
    const { dir, cfg } = this.run(runId);
    const ck = latestCheckpointName(dir);
    if (!ck)
      throw new ServiceError(
        'conflict',
        `run ${runId} has no checkpoint yet: start it and wait for the first checkpoint`,
      );
    return { dir, cfg, key: `${runId}/${ck}` };
  }

  private async model(runId: string): Promise<OpenedRun> {
    const { dir, key } = this.latest(runId);
    const hit = this.models.get(runId);
    if (hit && hit.key === key) {
      // Refresh its position in the LRU order.
      this.models.delete(runId);
      this.models.set(runId, hit);
      return hit.opened;
    }
    if (hit) this.evict(runId);
    // The model needs the spaces, not the episodes: skip loading the whole dataset.
    const opened = await openRunModel(dir, { episodes: false });
    this.models.set(runId, { key, opened, views: new RunPixelViews(opened) });
    while (this.models.size > MAX_MODELS) this.evict(this.models.keys().next().value as string);
    return opened;
  }

  /** The run's training mean frame at the model's size (cached with the model). */
  private async meanFrame(runId: string): Promise<Float32Array | null> {
    const opened = await this.model(runId);
    const hit = this.models.get(runId)!;
    hit.mean ??= runTrainingMeanFrame(this.workspace, opened.config, opened.dir, opened.model.imageSize).catch(
      () => null,
    );
    return hit.mean;
  }

  /**
   * `runs:eval`: the run's held-out measures (core/runs/evaluate.ts) of its latest checkpoint or of the kept one at
   * `checkpointStep` (a step it lacks: invalid_request naming the kept steps), once per checkpoint.
   */
  async evaluate(req: ParsedRequestOf<'runs:eval'>): Promise<ReplyOf<'runs:eval'>> {
    const at = req.checkpointStep;
    const { dir, key } = this.checkpointOf(req.runId, at);
    const hit = this.evals.get(key);
    if (hit) return hit;
    const reply = evaluateRun(dir, at === undefined ? {} : { checkpoint: at }).then((r) => evalReply(req.runId, r));
    this.evals.set(key, reply);
    while (this.evals.size > MAX_EVALS) this.evals.delete(this.evals.keys().next().value as string);
    reply.catch(() => this.evals.delete(key));
    return reply;
  }

  /**
   * The run's folder and a key of the checkpoint a request names: `latest:runId/ckpt-…` (conflict without one), or
   * `runId/ckpt-…` for the kept one at global step `at` (a step it lacks: invalid_request naming the kept steps).
   */
  private checkpointOf(runId: string, at: number | undefined): { dir: string; key: string } {
    if (at === undefined) {
      const l = this.latest(runId);
      return { dir: l.dir, key: `latest:${l.key}` };
    }
    const dir = this.run(runId).dir;
    try {
      return { dir, key: `${runId}/${checkpointNameAtStep(dir, runId, at)}` };
    } catch (e) {
      if (e instanceof UserError) throw new ServiceError('invalid_request', e.message, 'payload.checkpointStep');
      throw e;
    }
  }

  /** `exports:features`: the run's features as .npz (feature-export.ts), from its own load of the checkpoint. */
  async exportFeatures(req: ParsedRequestOf<'exports:features'>): Promise<ReplyOf<'exports:features'>> {
    const { dir } = this.checkpointOf(req.runId, req.checkpointStep);
    const opened = await openRunModel(dir, {
      episodes: false,
      ...(req.checkpointStep !== undefined ? { checkpoint: req.checkpointStep } : {}),
    });
    try {
      return featuresDownload(this.workspace, opened, req);
    } finally {
      opened.model.dispose();
    }
  }

  private evict(runId: string): void {
    const m = this.models.get(runId);
    this.models.delete(runId);
    for (const s of [...this.sessions.values()]) if (s.runId === runId) this.closeSession(s.id);
    m?.actor?.behavior.dispose();
    m?.views.dispose();
    m?.opened.model.dispose();
  }

  /** The run's trained actor-critic (restored once per checkpoint, with the model), or a 'conflict' saying why not. */
  private async actor(runId: string): Promise<RunActor & { ac: ActorCritic }> {
    return this.agent(runId, 'actor', (a) => ({ ...a, ac: actorCriticOf(a.behavior) }));
  }

  /** The run's behaviour restored once per checkpoint (with the model); `pick` refuses what it cannot use. */
  private async agent<T>(runId: string, noun: string, pick: (a: RunActor) => T): Promise<T> {
    const opened = await this.model(runId);
    const hit = this.models.get(runId)!;
    try {
      if (!hit.actor) {
        const { wm, behavior } = runBehavior(opened);
        hit.actor = { wm, behavior };
      }
      return pick(hit.actor);
    } catch (e) {
      if (e instanceof ServiceError) throw e;
      const why = (e as Error).message.replace(/^run \S+: /, '');
      throw new ServiceError('conflict', `run ${runId} has no ${noun} to dream with: ${why}`);
    }
  }

  /** Context frames ending at `start`, resized to the model's size, with the actions that led to them. */
  private context(ep: Episode, episode: number, start: number, context: number | undefined, S: number, A: number) {
    const [T, H, W] = ep.imageShape;
    if (start >= T)
      throw new ServiceError(
        'invalid_request',
        `payload.start: episode ${episode} has ${T} frames (0–${T - 1})`,
        'payload.start',
      );
    const n = Math.min(context ?? DEFAULT_CONTEXT, start + 1);
    const first = start + 1 - n;
    return {
      n,
      frames: resizeFrames(ep.image.subarray(first * H * W * 3, (start + 1) * H * W * 3), n, W, S),
      actions: Float32Array.from(ep.action.subarray(first * A, (start + 1) * A)),
    };
  }

  /** A model without a decoder shows its dreams through its probe decoder or by retrieval (labelled). */
  private shown(runId: string, wm: LatentWorldModel): { pixels: PixelView; shown: LatentWorldModel } {
    if (wm.decode) return { pixels: 'decoder', shown: wm };
    try {
      const views = this.views(runId);
      const pixels = views.choose('auto');
      const render = views.renderer(pixels as 'probe' | 'retrieval', null);
      return { pixels, shown: Object.assign(Object.create(wm) as LatentWorldModel, { decode: render }) };
    } catch (e) {
      if (e instanceof UserError) throw new ServiceError('conflict', e.message);
      throw e;
    }
  }

  /**
   * `dreams:goal`: a LEXA run's achiever pursuing a goal frame in imagination from a real frame, with the latent
   * distance to the goal per imagined state (core/runs/goal-dream.ts).
   */
  async goal(req: ParsedRequestOf<'dreams:goal'>): Promise<ReplyOf<'dreams:goal'>> {
    const { wm, achiever } = await this.agent(req.runId, 'achiever', (a) => ({
      wm: a.wm,
      achiever: achieverOf(a.behavior),
    }));
    const { name, ep } = this.episode(req.runId, req.dataset, req.episode);
    const goalEpisode = req.goalEpisode ?? req.episode;
    const goalEp = goalEpisode === req.episode ? ep : this.episode(req.runId, req.dataset, goalEpisode).ep;
    const [GT, GH, GW] = goalEp.imageShape;
    if (req.goalStep >= GT)
      throw new ServiceError(
        'invalid_request',
        `payload.goalStep: episode ${goalEpisode} has ${GT} frames (0–${GT - 1})`,
        'payload.goalStep',
      );
    const S = wm.imageSize;
    const c = this.context(ep, req.episode, req.start, req.context, S, wm.actionDim);
    const goal = resizeFrames(
      goalEp.image.subarray(req.goalStep * GH * GW * 3, (req.goalStep + 1) * GH * GW * 3),
      1,
      GW,
      S,
    );
    const horizon = req.horizon ?? achiever.ac.config.horizon;
    const { pixels, shown } = this.shown(req.runId, wm);
    let d: GoalDream;
    try {
      d = goalDream(shown, achiever, c.frames, c.actions, goal, horizon);
    } catch (e) {
      if (e instanceof UserError) throw new ServiceError('conflict', `run ${req.runId}: ${e.message}`);
      throw e;
    }
    const F = S * S * 3;
    return {
      ...imaginedFrom(req, pixels, name, c.n),
      goalEpisode,
      goalStep: req.goalStep,
      horizon,
      real: { shape: [1, S, S, 3], data: c.frames.slice((c.n - 1) * F, c.n * F) },
      goal: { shape: [1, S, S, 3], data: goal },
      frames: { shape: [horizon + 1, S, S, 3], data: d.frames },
      cosineDistance: d.cosineDistance,
      temporalDistance: d.temporalDistance,
      realEnv: this.goalInEnv(name, ep, req.start, goalEp, req.goalStep, c, goal, horizon, wm, achiever),
    };
  }

  /**
   * The goal dream's real side (core/runs/goal-real.ts): the achiever in the dataset's built-in env from the
   * episode's recorded start state. What rules it out is refused here, in one line; the dream still shows.
   */
  private goalInEnv(
    dataset: string,
    ep: Episode,
    start: number,
    goalEp: Episode,
    goalStep: number,
    c: { n: number; frames: Uint8Array; actions: Float32Array },
    goal: Uint8Array,
    horizon: number,
    wm: LatentWorldModel,
    achiever: Achiever,
  ): ReplyOf<'dreams:goal'>['realEnv'] {
    const meta = openDataset(this.workspace, dataset).meta;
    const refuse = (why: string) => ({ kind: 'refused' as const, reason: `no real env side: ${why}` });
    if (!meta.env) return refuse(`dataset '${dataset}' was not collected from a built-in env`);
    const rowOf = (e: Episode, t: number) => {
      const st = e.extra?.state;
      return st ? Float32Array.from((st.data as Float32Array).subarray(t * st.shape[1], (t + 1) * st.shape[1])) : null;
    };
    const startState = rowOf(ep, start);
    if (!startState) return refuse(`the episode records no env state to start '${meta.env}' from`);
    const [, H, W] = ep.imageShape;
    const F = wm.imageSize * wm.imageSize * 3;
    try {
      const r = goalReal(wm, achiever, {
        env: meta.env,
        envSize: H,
        actionRepeat: datasetActionRepeat(meta),
        startState,
        startFrame: ep.image.subarray(start * H * W * 3, (start + 1) * H * W * 3),
        contextFrames: c.frames.subarray(0, (c.n - 1) * F),
        contextActions: c.actions,
        goal,
        goalState: rowOf(goalEp, goalStep),
        horizon,
        // The env's reset seed before the state is set: only pinpad's respawn after a success draws from it.
        seed: 0,
      });
      const S = wm.imageSize;
      return {
        kind: 'rollout',
        env: r.env,
        startExact: r.startExact,
        startNote: r.startNote,
        steps: r.steps,
        frames: { shape: [r.steps + 1, S, S, 3], data: r.frames },
        state: r.state,
        cosineDistance: r.cosineDistance,
        success: r.success,
        successNote: r.successNote,
      };
    } catch (e) {
      if (e instanceof UserError) return refuse(e.message);
      throw e;
    }
  }

  /** `dreams:imagine`: the actor's own rollout from a real frame, with reward, value and λ-return per step. */
  async imagine(req: ParsedRequestOf<'dreams:imagine'>): Promise<ReplyOf<'dreams:imagine'>> {
    const { wm, ac } = await this.actor(req.runId);
    const { name, ep } = this.episode(req.runId, req.dataset, req.episode);
    const S = wm.imageSize;
    const A = wm.actionDim;
    const { n: context, frames, actions } = this.context(ep, req.episode, req.start, req.context, S, A);
    const horizon = req.horizon ?? ac.config.horizon;
    const { pixels, shown } = this.shown(req.runId, wm);
    const d = actorDream(shown, ac, frames, actions, horizon, req.sample ? req.seed : null);
    const F = S * S * 3;
    return {
      ...imaginedFrom(req, pixels, name, context),
      horizon,
      sample: req.sample,
      real: { shape: [1, S, S, 3], data: frames.slice((context - 1) * F, context * F) },
      frames: { shape: [horizon + 1, S, S, 3], data: d.frames },
      actionSpace: wm.actionSpace,
      actions: d.actions,
      reward: d.reward,
      discount: d.discount,
      value: d.value,
      lambdaReturn: d.lambdaReturn,
      gamma: d.gamma,
      lambda: d.lambda,
    };
  }

  /** `objects:view`: an object-graph run's slot masks, states and edges of one frame, and its k-step retrieval. */
  async objectsView(req: ParsedRequestOf<'objects:view'>): Promise<ReplyOf<'objects:view'>> {
    const { family } = this.run(req.runId).cfg;
    // Refused before its weights load: only C-SWM has slots to show.
    if (family !== 'object-graph')
      throw new ServiceError(
        'conflict',
        `run ${req.runId} is a ${family} run: the objects view shows object-graph (C-SWM) runs only`,
      );
    const opened = await this.model(req.runId);
    const model = (opened.model.latent!() as ObjectGraphLatentModel).model;
    const { name, ep } = this.episode(req.runId, req.dataset, req.episode);
    const T = ep.imageShape[0];
    if (req.step >= T)
      throw new ServiceError(
        'invalid_request',
        `payload.step: episode ${req.episode} has ${T} frames (0–${T - 1})`,
        'payload.step',
      );
    // Retrieval ranks among the viewed episode and the dataset's first others (a bounded candidate set).
    const ds = openDataset(this.workspace, name);
    const index = [req.episode];
    for (let i = 0; i < ds.meta.episodes.length && index.length < MAX_RETRIEVAL_EPISODES; i++)
      if (i !== req.episode) index.push(i);
    const S = model.config.model.imageSize;
    const episodes = index.map((i) => atModelSize(i === req.episode ? ep : readEpisode(ds, i), S));
    return objectsViewReply(model, { runId: req.runId, dataset: name }, episodes, index, req.step, req.k);
  }

  private episode(runId: string, dataset: string | undefined, index: number): { name: string; ep: Episode } {
    const cfg = readRunConfig(runDirOf(this.workspace, runId));
    const name = dataset ?? cfg.source.dataset;
    if (!name)
      throw new ServiceError('invalid_request', `run ${runId} has no dataset of its own: name one`, 'payload.dataset');
    return { name, ep: readEpisode(openDataset(this.workspace, name), index) };
  }

  private views(runId: string): RunPixelViews {
    return this.models.get(runId)!.views;
  }

  /**
   * The open loop in the asked view (exports compose it into a Dreamer-style strip). A model without a decoder
   * is shown through its probe decoder or by retrieval (core/runs/pixel-view.ts); `pixels` says which.
   */
  async openloopRaw(req: OpenLoopRawRequest): Promise<OpenLoopRaw> {
    const opened = await this.model(req.runId);
    const { name, ep } = this.episode(req.runId, req.dataset, req.episode);
    const T = ep.imageShape[0];
    if (req.start > T - 2)
      throw new ServiceError(
        'invalid_request',
        `payload.start: episode ${req.episode} has ${T} frames, so start must be at most ${T - 2} (a dream needs a next frame)`,
        'payload.start',
      );
    const views = this.views(req.runId);
    const asked = req.view ?? 'auto';
    // Retrieval never shows frames of the episode being dreamed when it belongs to the run's own data.
    const exclude = name === opened.config.source.dataset ? req.episode : null;
    let out;
    try {
      out = await views.openloop(
        ep,
        {
          start: req.start,
          horizon: req.horizon,
          context: req.context ?? DEFAULT_CONTEXT,
          temperature: req.temperature ?? 0,
          seed: req.seed,
        },
        asked,
        exclude,
        req.samples ?? 0,
      );
    } catch (e) {
      if (e instanceof UserError) throw new ServiceError('conflict', e.message);
      throw e;
    }
    let pixelsNote: string | null = null;
    if (asked === 'auto' && out.pixels === 'retrieval')
      pixelsNote = `the model decodes no pixels and ${probeProblem(readProbeMeta(opened.dir), opened)}; showing ${pixelViewLabel('retrieval')}`;
    return { dataset: name, result: out.result, pixels: out.pixels, pixelsNote };
  }

  /** `runs:probe`: the run's probe decoder, trained on its latest checkpoint when asked. */
  async probe(req: ParsedRequestOf<'runs:probe'>): Promise<ReplyOf<'runs:probe'>> {
    const opened = await this.model(req.runId);
    if (req.train) {
      const steps = req.steps;
      await trainRunProbe(opened, steps ? { overrides: { steps } } : {});
      // The cached views hold the previous probe: replace them.
      const hit = this.models.get(req.runId)!;
      hit.views.dispose();
      hit.views = new RunPixelViews(opened);
    }
    const meta = readProbeMeta(opened.dir);
    return {
      runId: req.runId,
      modelPixels: opened.model.pixels,
      probe: meta
        ? {
            checkpointStep: meta.checkpointStep,
            frames: meta.frames,
            steps: meta.config.steps,
            loss: meta.loss,
            trained: meta.trained,
          }
        : null,
      problem: probeProblem(meta, opened),
    };
  }

  async openloop(req: ParsedRequestOf<'dreams:openloop'>): Promise<ReplyOf<'dreams:openloop'>> {
    const { dataset, result: r, pixels, pixelsNote } = await this.openloopRaw(req);
    const S = r.size;
    const F = S * S * 3;
    const nCtx = r.contextIndices.length;
    const nDream = Math.min(r.dreamIndices.length, r.truth.length / F);
    const n = nCtx + nDream;
    const truth = new Uint8Array(n * F);
    truth.set(r.context, 0);
    truth.set(r.truth.subarray(0, nDream * F), nCtx * F);
    const dream = new Uint8Array(n * F);
    dream.set(r.contextRecon, 0);
    dream.set(r.dream.subarray(0, nDream * F), nCtx * F);
    const mse = new Float32Array(n);
    const baselineMse = new Float32Array(n);
    const lastCtx = (nCtx - 1) * F;
    for (let i = 0; i < n; i++) {
      mse[i] = i < nCtx ? pixelMse(dream, truth, i * F, i * F, F) : r.mse[i - nCtx];
      // Copy-last-frame baseline: the last real frame the model saw, held still.
      baselineMse[i] = i < nCtx ? 0 : pixelMse(truth, truth, lastCtx, i * F, F);
    }
    const mean = await this.meanFrame(req.runId);
    let meanFrameMse: Float32Array | null = null;
    let foreground: ReplyOf<'dreams:openloop'>['foreground'] = null;
    if (mean && mean.length === F) {
      meanFrameMse = new Float32Array(n);
      const fg = {
        threshold: FOREGROUND_THRESHOLD,
        fraction: new Float32Array(n),
        mse: new Float32Array(n),
        baselineMse: new Float32Array(n),
        meanFrameMse: new Float32Array(n),
      };
      for (let i = 0; i < n; i++) {
        meanFrameMse[i] = pixelMse(mean, truth, 0, i * F, F);
        const mask = foregroundMask(truth, i * F, mean);
        const e = (a: ArrayLike<number>, off: number) => {
          const { sse, count } = maskedSquaredError(a, off, truth, i * F, mask);
          return count ? sse / count : NaN;
        };
        fg.fraction[i] = mask.reduce((s, v) => s + v, 0) / mask.length;
        fg.mse[i] = e(dream, i * F);
        fg.baselineMse[i] = i < nCtx ? 0 : e(truth, lastCtx);
        fg.meanFrameMse[i] = e(mean, 0);
      }
      foreground = fg;
    }
    return {
      runId: req.runId,
      pixels,
      pixelsNote,
      dataset,
      episode: req.episode,
      start: r.contextIndices.at(-1) ?? req.start,
      context: nCtx,
      horizon: Math.max(1, nDream),
      temperature: req.temperature ?? 0,
      samples: req.samples ?? null,
      seed: req.seed,
      truth: { shape: [n, S, S, 3], data: truth },
      dream: { shape: [n, S, S, 3], data: dream },
      mse,
      baselineMse,
      clamped: openloopClamps(req, r),
      meanFrameMse,
      foreground,
    };
  }

  private reply(s: Session, space: Space): ReplyOf<'dreams:frame'> {
    const S = Math.round(Math.sqrt(s.frame.length / 3));
    return {
      sessionId: s.id,
      pixels: s.pixels,
      t: s.t,
      frame: { shape: [1, S, S, 3], data: s.frame },
      actionSpace: space,
      reward: s.reward,
      done: s.done,
      action: s.action,
      driver: s.driver,
    };
  }

  async reset(req: ParsedRequestOf<'dreams:reset'>): Promise<ReplyOf<'dreams:reset'>> {
    await this.model(req.runId);
    const { ep } = this.episode(req.runId, req.dataset, req.episode);
    const [T, H, W] = ep.imageShape;
    if (req.step >= T)
      throw new ServiceError(
        'invalid_request',
        `payload.step: episode ${req.episode} has ${T} frames (0–${T - 1})`,
        'payload.step',
      );
    const real = ep.image.subarray(req.step * H * W * 3, (req.step + 1) * H * W * 3);
    let s = req.sessionId ? this.sessions.get(req.sessionId) : undefined;
    if (req.sessionId && !s) throw notFound(`no dream session '${req.sessionId}' (closed or expired)`);
    const views = this.views(req.runId);
    let pixels: PixelView;
    try {
      pixels = views.choose(req.view ?? 'auto');
    } catch (e) {
      if (e instanceof UserError) throw new ServiceError('conflict', e.message);
      throw e;
    }
    if (s && (s.runId !== req.runId || s.pixels !== pixels)) {
      this.closeSession(s.id);
      s = undefined;
    }
    if (!s) {
      if (this.sessions.size >= MAX_SESSIONS) this.closeSession(this.sessions.keys().next().value as string);
      let dream: DreamSession;
      try {
        dream = views.dreamSession({ temperature: req.temperature ?? 0, seed: req.seed }, pixels).session;
      } catch (e) {
        if (e instanceof UserError) throw new ServiceError('conflict', e.message);
        throw e;
      }
      s = {
        id: randomUUID(),
        runId: req.runId,
        dream,
        pixels,
        t: 0,
        frame: new Uint8Array(0),
        reward: null,
        done: false,
        action: null,
        driver: null,
      };
      this.sessions.set(s.id, s);
    }
    s.frame = s.dream.reset(real);
    s.t = 0;
    s.reward = null;
    s.done = false;
    s.action = null;
    s.driver = null;
    return this.reply(s, s.dream.actionSpace);
  }

  private session(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw notFound(`no dream session '${id}' (closed or expired): reset one from a real frame`);
    return s;
  }

  async step(req: ParsedRequestOf<'dreams:step'>): Promise<ReplyOf<'dreams:step'>> {
    const s = this.session(req.sessionId);
    const space = s.dream.actionSpace;
    let action: ArrayLike<number>;
    if (req.autopilot) {
      action = await this.actorAction(s);
      // The session may have been closed (or reset by another call) while the actor was loading.
      if (this.sessions.get(s.id) !== s) throw notFound(`no dream session '${s.id}' (closed while stepping)`);
    } else action = stepAction(req.action ?? [], space);
    const r = s.dream.step(action);
    s.frame = r.frame;
    s.t += 1;
    s.reward = Number.isFinite(r.reward) ? r.reward : null;
    s.done = r.done;
    s.driver = req.autopilot ? 'actor' : 'user';
    s.action =
      space.kind === 'discrete'
        ? [Array.prototype.indexOf.call(action, Math.max(...Array.from(action)))]
        : Array.from(action);
    return this.reply(s, space);
  }

  /** The run's actor's choice (its mode, as in evaluation) for the dream's current state, clipped to the box. */
  private async actorAction(s: Session): Promise<Float32Array> {
    const { wm, behavior } = await this.actor(s.runId);
    const state = s.dream.state?.();
    if (!state) throw new ServiceError('conflict', `this dream session exposes no latent state for the actor to read`);
    const a = behavior.act(wm, state, null);
    const space = s.dream.actionSpace;
    return space.kind === 'box' ? a.map((v, i) => Math.min(space.high[i], Math.max(space.low[i], v))) : a;
  }

  frame(req: ParsedRequestOf<'dreams:frame'>): ReplyOf<'dreams:frame'> {
    const s = this.session(req.sessionId);
    return this.reply(s, s.dream.actionSpace);
  }

  /** A strip export (an open-loop one uses this process's models). */
  exportStrip(req: ParsedRequestOf<'exports:strip'>): Promise<ReplyOf<'exports:strip'>> {
    return exportStrip(this.workspace, this, req);
  }

  closeSession(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    s.dream.dispose();
    return true;
  }

  close(): void {
    for (const id of [...this.sessions.keys()]) this.closeSession(id);
    for (const runId of [...this.models.keys()]) this.evict(runId);
  }
}

/** A user's action in the model's form: [index] or a one-hot for discrete spaces, box values clipped. */
function stepAction(raw: number[], space: Space): ArrayLike<number> {
  if (space.kind === 'discrete') {
    if (raw.length === 1) {
      const k = raw[0];
      if (!Number.isInteger(k) || k < 0 || k >= space.n)
        throw new ServiceError(
          'invalid_request',
          `payload.action: expected [index] with index in 0–${space.n - 1}, got [${k}]`,
          'payload.action',
        );
      const oneHot = new Float32Array(space.n);
      oneHot[k] = 1;
      return oneHot;
    }
    if (raw.length !== space.n)
      throw new ServiceError(
        'invalid_request',
        `payload.action: expected [index] or a one-hot of length ${space.n}, got length ${raw.length}`,
        'payload.action',
      );
    return raw;
  }
  const A = space.shape.reduce((a, b) => a * b, 1);
  if (raw.length !== A)
    throw new ServiceError(
      'invalid_request',
      `payload.action: expected ${A} values (low ${JSON.stringify(space.low)}, high ${JSON.stringify(space.high)}), got ${raw.length}`,
      'payload.action',
    );
  return Float32Array.from(raw, (v, i) => Math.min(space.high[i], Math.max(space.low[i], v)));
}

/** The wire form of an eval report: numbers that could not be measured (NaN) become null. */
function evalReply(runId: string, r: EvalReport): ReplyOf<'runs:eval'> {
  const num = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    runId,
    checkpointStep: r.checkpoint_step,
    episodes: r.episodes,
    foregroundFraction: r.foreground_fraction,
    metrics: Object.fromEntries(
      Object.entries(r.metrics).map(([k, m]) => [
        k,
        {
          model: num(m.model),
          baseline: num(m.baseline),
          baseline_name: m.baseline_name,
          ...(m.baselines
            ? { baselines: Object.fromEntries(Object.entries(m.baselines).map(([b, v]) => [b, num(v)])) }
            : {}),
          ...(m.lower_is_better === false ? { lower_is_better: false } : {}),
          ...(m.ci95 ? { ci95: [num(m.ci95[0]), num(m.ci95[1])] as [number | null, number | null] } : {}),
          ...(m.ratio_baseline ? { ratio_baseline: m.ratio_baseline } : {}),
          ...(m.ratio_ci95
            ? { ratio_ci95: [num(m.ratio_ci95[0]), num(m.ratio_ci95[1])] as [number | null, number | null] }
            : {}),
        },
      ]),
    ),
    ...(r.probe_calibration ? { probeCalibration: r.probe_calibration } : {}),
    notes: r.notes,
  };
}

/** What an imagination reply (dreams:imagine, dreams:goal) says of its start as used: the contract's ImaginedFrom. */
function imaginedFrom(
  req: { runId: string; episode: number; start: number },
  pixels: PixelView,
  dataset: string,
  context: number,
): { runId: string; pixels: PixelView; dataset: string; episode: number; start: number; context: number } {
  return { runId: req.runId, pixels, dataset, episode: req.episode, start: req.start, context };
}
