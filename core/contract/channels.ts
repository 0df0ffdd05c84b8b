import { z } from 'zod';
import * as S from './schemas.ts';
import type { ChannelName, EventName } from './names.ts';

/**
 * The contract table: for every channel its request and reply schema, for every event its payload
 * schema. Hosts validate requests against it before the service sees them, and replies/events before
 * they leave; the client types below are derived from it, and test/unit/contract/drift.check.ts pins
 * every signature so a change here is a deliberate, reviewed change.
 */
export const CONTRACT = {
  'workspace:info': { request: S.Empty, reply: S.WorkspaceInfo },
  'envs:list': { request: S.Empty, reply: z.array(S.EnvSummary) },
  'models:list': { request: S.Empty, reply: z.array(S.ModelFamily) },
  'datasets:list': { request: S.Empty, reply: z.array(S.DatasetSummary) },
  'datasets:inspect': { request: S.DatasetRef, reply: S.DatasetDetail },
  'datasets:episode': { request: S.EpisodeRef, reply: S.EpisodeData },
  'datasets:frames': { request: S.FramesRequest, reply: S.FramesReply },
  'datasets:import': { request: S.ImportRequest, reply: S.ImportReply },
  'datasets:collect': { request: S.CollectRequest, reply: S.DatasetSummary },
  'datasets:remove': { request: S.DatasetRef, reply: S.RemoveReply },
  'runs:list': { request: S.Empty, reply: z.array(S.RunSummary) },
  'runs:get': { request: S.RunRef, reply: S.RunDetail },
  'runs:create': { request: S.CreateRunRequest, reply: S.RunSummary },
  'runs:start': { request: S.RunRef, reply: S.RunSummary },
  'runs:pause': { request: S.RunRef, reply: S.RunSummary },
  'runs:resume': { request: S.ResumeRunRequest, reply: S.RunSummary },
  'runs:stop': { request: S.RunRef, reply: S.RunSummary },
  /** A new World Models run seeded from a finished one's last checkpoint at a later phase (created, not started). */
  'runs:fork': { request: S.ForkRunRequest, reply: S.RunSummary },
  'runs:metrics': { request: S.MetricsRequest, reply: S.MetricsReply },
  'runs:checkpoints': { request: S.RunRef, reply: z.array(S.CheckpointInfo) },
  /** Held-out measures of the run's latest checkpoint, or its kept one at `checkpointStep` (dream worker, cached per checkpoint). */
  'runs:eval': { request: S.EvalRequest, reply: S.EvalReply },
  /** The run's probe decoder: describe it, or train it on the latest checkpoint (dream worker; seconds to minutes). */
  'runs:probe': { request: S.ProbeRequest, reply: S.ProbeReply },
  'dreams:openloop': { request: S.OpenLoopRequest, reply: S.OpenLoopReply },
  'dreams:reset': { request: S.DreamResetRequest, reply: S.DreamFrame },
  'dreams:step': { request: S.DreamStepRequest, reply: S.DreamFrame },
  'dreams:frame': { request: S.SessionRef, reply: S.DreamFrame },
  'dreams:close': { request: S.SessionRef, reply: S.Closed },
  /** The actor's imagined rollout with reward, value and λ-return per step (actor-critic runs; dream worker). */
  'dreams:imagine': { request: S.ImagineRequest, reply: S.ImagineReply },
  /** Slot masks, states, edge strengths and a k-step retrieval of an object-graph run (dream worker). */
  /** A LEXA run's achiever pursuing a goal frame in imagination, with its distance to the goal (dream worker). */
  'dreams:goal': { request: S.GoalDreamRequest, reply: S.GoalDreamReply },
  'objects:view': { request: S.ObjectsViewRequest, reply: S.ObjectsViewReply },
  'exports:strip': { request: S.ExportRequest, reply: S.ExportReply },
  /** A run's filtered features and true states as .npz, as `oneiro features` writes them (dream worker). */
  'exports:features': { request: S.FeaturesExportRequest, reply: S.FeaturesExportReply },
  /** The workspace's job queue (credential-free URL), and whether this host is connected to it. */
  'queue:get': { request: S.Empty, reply: S.QueueSettings },
  /** Connects (runs:start then enqueues) or, with url null, disconnects; persisted without the password. */
  'queue:set': { request: S.QueueSetRequest, reply: S.QueueSettings },
  /** The workers that reported to the queue recently (heartbeats in Redis). */
  'queue:workers': { request: S.Empty, reply: z.array(S.QueueWorkerInfo) },
  'sweeps:list': { request: S.Empty, reply: z.array(S.SweepSummary) },
  'sweeps:get': { request: S.SweepRef, reply: S.SweepDetail },
} as const satisfies Record<ChannelName, { request: z.ZodType; reply: z.ZodType }>;

export const EVENTS = {
  /** A run's summary whenever its status, phase, step or checkpoint changes. */
  onRunStatus: S.RunSummary,
  /**
   * New metric points of a run (batched, a few per second at most). After a resume the steps since
   * the last checkpoint are trained again and re-sent: a point replaces an earlier one with its step.
   */
  onMetrics: S.MetricsEvent,
  /** A line a trainer printed, or a host note about it (crash reason). */
  onRunLog: S.RunLogEvent,
  onCollectProgress: S.CollectProgressEvent,
  onDatasetsChanged: S.DatasetsChangedEvent,
} as const satisfies Record<EventName, z.ZodType>;

type Table = typeof CONTRACT;

/** What a client sends (defaults may be omitted). */
export type RequestOf<C extends ChannelName> = z.input<Table[C]['request']>;
/** What the service receives after validation (defaults filled in). */
export type ParsedRequestOf<C extends ChannelName> = z.output<Table[C]['request']>;
export type ReplyOf<C extends ChannelName> = z.output<Table[C]['reply']>;
export type EventOf<E extends EventName> = z.output<(typeof EVENTS)[E]>;

// Named domain types for the renderer and the service.
export type WorkspaceInfo = z.output<typeof S.WorkspaceInfo>;
export type EnvSummary = z.output<typeof S.EnvSummary>;
export type ModelFamily = z.output<typeof S.ModelFamily>;
export type Space = z.output<typeof S.Space>;
export type DatasetSummary = z.output<typeof S.DatasetSummary>;
export type DatasetDetail = z.output<typeof S.DatasetDetail>;
export type EpisodeData = z.output<typeof S.EpisodeData>;
export type Frames = z.output<typeof S.Frames>;
export type FramesReply = z.output<typeof S.FramesReply>;
export type ImportReply = z.output<typeof S.ImportReply>;
export type RunStatus = z.output<typeof S.RunStatus>;
export type RunSummary = z.output<typeof S.RunSummary>;
export type RunDetail = z.output<typeof S.RunDetail>;
export type CheckpointInfo = z.output<typeof S.CheckpointInfo>;
export type MetricPoint = z.output<typeof S.MetricPoint>;
export type OpenLoopReply = z.output<typeof S.OpenLoopReply>;
export type ProbeReply = z.output<typeof S.ProbeReply>;
export type PixelView = z.output<typeof S.PixelView>;
export type EvalReply = z.output<typeof S.EvalReply>;
export type EvalMetric = z.output<typeof S.EvalMetric>;
export type ProbeCalibrationBin = z.output<typeof S.ProbeCalibrationBin>;
export type DreamFrame = z.output<typeof S.DreamFrame>;
export type ImagineReply = z.output<typeof S.ImagineReply>;
export type ObjectsViewReply = z.output<typeof S.ObjectsViewReply>;
export type GoalDreamReply = z.output<typeof S.GoalDreamReply>;
export type ExportReply = z.output<typeof S.ExportReply>;
export type CollectProgress = z.output<typeof S.CollectProgressEvent>;
export type RunLogLine = z.output<typeof S.RunLogEvent>;
export type QueueSettings = z.output<typeof S.QueueSettings>;
export type QueueWorkerInfo = z.output<typeof S.QueueWorkerInfo>;
export type SweepSummary = z.output<typeof S.SweepSummary>;
export type SweepDetail = z.output<typeof S.SweepDetail>;
export type SweepRow = z.output<typeof S.SweepRow>;
