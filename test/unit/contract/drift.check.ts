/**
 * Type-level pin of the Workbench contract (compiled by drift.test.ts and by `npm run typecheck`).
 * Every method's request and reply is written out by hand here; when a schema in core/contract
 * changes a signature, an Equal<> below stops compiling and the test fails — the renderer helper
 * and both hosts depend on these shapes, so a change must be made here on purpose.
 */
import type { WorkbenchClient, OneiroBridge, WorkbenchApi } from '../../../core/contract/client.ts';
import type { MethodName, EventName, ChannelName } from '../../../core/contract/names.ts';
import type { Dreams } from '../../../core/service/dream-worker.ts';
import type { DreamMethod } from '../../../core/trainer/protocol.ts';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
/** zod's `.extend()` yields one flat object type; flatten hand-written intersections to compare. */
type Flat<T> = { [K in keyof T]: T[K] };
type Req<M extends MethodName> = Parameters<WorkbenchClient[M]>;
type Rep<M extends MethodName> = Awaited<ReturnType<WorkbenchClient[M]>>;

type Space = { kind: 'box'; shape: number[]; low: number[]; high: number[] } | { kind: 'discrete'; n: number };
type Frames = { shape: [number, number, number, 3]; data: Uint8Array };
type QueueSettings = {
  url: string | null;
  connected: boolean;
  error: string | null;
  password: 'none' | 'memory' | 'env';
  tls: boolean;
};
type SweepSummary = {
  id: string;
  name: string;
  created: string;
  family: string;
  preset: string;
  dataset: string | null;
  env: string | null;
  fields: string[];
  runs: number;
};
type Checkpoint = { step: number; path: string; createdAt: string | null; bytes: number; latest: boolean };
type RunStatus =
  'created' | 'queued' | 'starting' | 'running' | 'paused' | 'stopped' | 'completed' | 'crashed' | 'failed';
type RunSummary = {
  id: string;
  family: string;
  preset: string;
  dataset: string | null;
  env: string | null;
  status: RunStatus;
  phase: string | null;
  step: number;
  totalSteps: number | null;
  backend: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  lastCheckpoint: Checkpoint | null;
  message: string | null;
  lastMetrics: Record<string, number>;
  behavior: string | null;
  from?: { run: string; phase: string } | null | undefined;
};
type DatasetSummary = {
  name: string;
  env: string | null;
  episodes: number;
  steps: number;
  imageShape: [number, number, 3];
  actionSpace: Space | null;
  actionDim: number;
  source: string;
  createdAt: string | null;
};
type Stats = { min: number; max: number; mean: number; std: number };
type Availability = { available: boolean; version: string | null; detail: string };
type MetricPoint = { step: number; time: number | null; phase: string | null; values: Record<string, number> };
type PixelViewRequest = 'auto' | 'decoder' | 'probe' | 'retrieval';
type DreamFrame = {
  sessionId: string;
  pixels: 'decoder' | 'probe' | 'retrieval';
  t: number;
  frame: Frames;
  actionSpace: Space;
  reward: number | null;
  done: boolean;
  action: number[] | null;
  driver: 'user' | 'actor' | null;
};
type Overrides = Record<string, string | number | boolean>;

export type Checks = [
  Expect<Equal<Req<'workspaceInfo'>, [req?: Record<string, never>]>>,
  Expect<
    Equal<
      Rep<'workspaceInfo'>,
      {
        workspace: string;
        version: string;
        host: 'electron' | 'web' | 'direct';
        backend: { name: string; tfName: string; threads: number; skipped: { name: string; reason: string }[] };
        versions: { node: string; tfjs: string; electron: string | null; chrome: string | null };
        electron: Availability;
        chromium: Availability;
        empty: boolean;
      }
    >
  >,
  Expect<Equal<Req<'listEnvs'>, [req?: Record<string, never>]>>,
  Expect<
    Equal<
      Rep<'listEnvs'>,
      {
        name: string;
        doc: string;
        observationShape: [number, number, 3];
        actionSpace: Space;
        defaults: { size: number; actionRepeat: number; maxSteps: number };
      }[]
    >
  >,
  Expect<
    Equal<
      Rep<'listModels'>,
      { family: string; doc: string; presets: { name: string; doc: string }[]; sources: ('dataset' | 'env')[] }[]
    >
  >,
  Expect<Equal<Rep<'listDatasets'>, DatasetSummary[]>>,
  Expect<Equal<Req<'inspectDataset'>, [req: { dataset: string }]>>,
  Expect<
    Equal<
      Rep<'inspectDataset'>,
      Flat<
        DatasetSummary & {
          episodeList: { index: number; file: string; length: number; return: number }[];
          lengths: Stats;
          returns: Stats;
          actions: { mean: number[]; std: number[]; min: number[]; max: number[] };
        }
      >
    >
  >,
  Expect<Equal<Req<'readEpisode'>, [req: { dataset: string; episode: number }]>>,
  Expect<
    Equal<
      Rep<'readEpisode'>,
      {
        dataset: string;
        episode: number;
        length: number;
        imageShape: [number, number, 3];
        actionDim: number;
        reward: Float32Array;
        action: Float32Array;
        isTerminal: Uint8Array;
      }
    >
  >,
  Expect<
    Equal<
      Req<'episodeFrames'>,
      [req: { dataset: string; episode: number; start: number; count: number; stride?: number | undefined }]
    >
  >,
  Expect<
    Equal<Rep<'episodeFrames'>, { dataset: string; episode: number; start: number; stride: number; frames: Frames }>
  >,
  Expect<
    Equal<Req<'importDataset'>, [req: { source: string; name: string; format?: 'dreamer' | 'dreamerv3' | undefined }]>
  >,
  Expect<
    Equal<
      Rep<'importDataset'>,
      { dataset: DatasetSummary; imported: number; skipped: { file: string; reason: string }[]; converted: string[] }
    >
  >,
  Expect<
    Equal<
      Req<'collectDataset'>,
      [
        req: {
          env: string;
          dataset: string;
          episodes: number;
          seed?: number | undefined;
          size?: number | undefined;
          maxSteps?: number | undefined;
          policy?: 'random' | 'brownian' | undefined;
          agent?: { run: string; checkpoint?: number | undefined; noise?: number | undefined } | undefined;
          append?: boolean | undefined;
        },
      ]
    >
  >,
  Expect<Equal<Rep<'collectDataset'>, DatasetSummary>>,
  Expect<Equal<Req<'removeDataset'>, [req: { dataset: string }]>>,
  Expect<
    Equal<Rep<'removeDataset'>, { dataset: string; cancelled: boolean; removed: boolean; unreadable: string | null }>
  >,
  Expect<Equal<Rep<'listRuns'>, RunSummary[]>>,
  Expect<Equal<Req<'getRun'>, [req: { runId: string }]>>,
  Expect<Equal<Rep<'getRun'>, Flat<RunSummary & { config: Record<string, unknown> }>>>,
  Expect<
    Equal<
      Req<'createRun'>,
      [
        req: {
          family: string;
          preset?: string | undefined;
          dataset?: string | undefined;
          env?: string | undefined;
          steps?: number | undefined;
          seed?: number | undefined;
          name?: string | undefined;
          overrides?: Overrides | undefined;
        },
      ]
    >
  >,
  Expect<Equal<Rep<'createRun'>, RunSummary>>,
  Expect<Equal<Req<'startRun'>, [req: { runId: string }]>>,
  Expect<Equal<Rep<'startRun'>, RunSummary>>,
  Expect<Equal<Req<'pauseRun'>, [req: { runId: string }]>>,
  Expect<Equal<Rep<'pauseRun'>, RunSummary>>,
  Expect<Equal<Req<'resumeRun'>, [req: { runId: string; steps?: number }]>>,
  Expect<Equal<Rep<'resumeRun'>, RunSummary>>,
  Expect<
    Equal<
      Req<'forkRun'>,
      [
        req: {
          runId: string;
          phase: 'rnn' | 'controller';
          overrides?: Overrides | undefined;
          seed?: number | undefined;
          name?: string | undefined;
        },
      ]
    >
  >,
  Expect<Equal<Rep<'forkRun'>, RunSummary>>,
  Expect<Equal<Req<'stopRun'>, [req: { runId: string }]>>,
  Expect<Equal<Rep<'stopRun'>, RunSummary>>,
  Expect<Equal<Req<'runMetrics'>, [req: { runId: string; since?: number | undefined; limit?: number | undefined }]>>,
  Expect<Equal<Rep<'runMetrics'>, { runId: string; points: MetricPoint[] }>>,
  Expect<Equal<Req<'runCheckpoints'>, [req: { runId: string }]>>,
  Expect<Equal<Rep<'runCheckpoints'>, Checkpoint[]>>,
  Expect<Equal<Req<'runEval'>, [req: { runId: string; checkpointStep?: number | undefined }]>>,
  Expect<Equal<Req<'runProbe'>, [req: { runId: string; train?: boolean | undefined; steps?: number | undefined }]>>,
  Expect<
    Equal<
      Rep<'runProbe'>,
      {
        runId: string;
        modelPixels: 'decoder' | 'none';
        probe: { checkpointStep: number; frames: number; steps: number; loss: number; trained: string } | null;
        problem: string | null;
      }
    >
  >,
  Expect<
    Equal<
      Rep<'runEval'>,
      {
        runId: string;
        checkpointStep: number;
        episodes: number;
        foregroundFraction: number | null;
        metrics: Record<
          string,
          {
            model: number | null;
            baseline: number | null;
            baseline_name: string;
            baselines?: Record<string, number | null> | undefined;
            lower_is_better?: boolean | undefined;
            ci95?: [number | null, number | null] | undefined;
            ratio_baseline?: string | undefined;
            ratio_ci95?: [number | null, number | null] | undefined;
          }
        >;
        probeCalibration?:
          | Record<string, { lo: number; hi: number; n: number; truth: number; read: number; error_share: number }[]>
          | undefined;
        notes: string[];
      }
    >
  >,
  Expect<
    Equal<
      Req<'dreamOpenLoop'>,
      [
        req: {
          runId: string;
          dataset?: string | undefined;
          episode: number;
          start: number;
          horizon: number;
          context?: number | undefined;
          temperature?: number | undefined;
          samples?: number | undefined;
          seed?: number | undefined;
          view?: PixelViewRequest | undefined;
        },
      ]
    >
  >,
  Expect<
    Equal<
      Rep<'dreamOpenLoop'>,
      {
        runId: string;
        pixels: 'decoder' | 'probe' | 'retrieval';
        pixelsNote: string | null;
        dataset: string;
        episode: number;
        start: number;
        context: number;
        horizon: number;
        temperature: number | null;
        samples: number | null;
        seed: number;
        truth: Frames;
        dream: Frames;
        mse: Float32Array;
        baselineMse: Float32Array;
        clamped: {
          horizon?: { asked: number; used: number } | undefined;
          context?: { asked: number; used: number } | undefined;
        };
        meanFrameMse: Float32Array | null;
        foreground: {
          threshold: number;
          fraction: Float32Array;
          mse: Float32Array;
          baselineMse: Float32Array;
          meanFrameMse: Float32Array;
        } | null;
      }
    >
  >,
  Expect<
    Equal<
      Req<'dreamReset'>,
      [
        req: {
          runId: string;
          dataset?: string | undefined;
          episode: number;
          step: number;
          temperature?: number | undefined;
          seed?: number | undefined;
          sessionId?: string | undefined;
          view?: PixelViewRequest | undefined;
        },
      ]
    >
  >,
  Expect<Equal<Rep<'dreamReset'>, DreamFrame>>,
  Expect<
    Equal<Req<'dreamStep'>, [req: { sessionId: string; action?: number[] | undefined; autopilot?: true | undefined }]>
  >,
  Expect<Equal<Rep<'dreamStep'>, DreamFrame>>,
  Expect<Equal<Req<'dreamFrame'>, [req: { sessionId: string }]>>,
  Expect<Equal<Rep<'dreamFrame'>, DreamFrame>>,
  Expect<Equal<Req<'dreamClose'>, [req: { sessionId: string }]>>,
  Expect<Equal<Rep<'dreamClose'>, { closed: boolean }>>,
  Expect<
    Equal<
      Req<'dreamImagine'>,
      [
        req: {
          runId: string;
          dataset?: string | undefined;
          episode: number;
          start: number;
          horizon?: number | undefined;
          context?: number | undefined;
          sample?: boolean | undefined;
          seed?: number | undefined;
        },
      ]
    >
  >,
  Expect<
    Equal<
      Rep<'dreamImagine'>,
      {
        runId: string;
        pixels: 'decoder' | 'probe' | 'retrieval';
        dataset: string;
        episode: number;
        start: number;
        context: number;
        horizon: number;
        sample: boolean;
        real: Frames;
        frames: Frames;
        actionSpace: Space;
        actions: Float32Array;
        reward: Float32Array;
        discount: Float32Array;
        value: Float32Array;
        lambdaReturn: Float32Array;
        gamma: number;
        lambda: number;
      }
    >
  >,
  Expect<
    Equal<
      Req<'dreamGoal'>,
      [
        req: {
          runId: string;
          dataset?: string | undefined;
          episode: number;
          start: number;
          context?: number | undefined;
          goalEpisode?: number | undefined;
          goalStep: number;
          horizon?: number | undefined;
        },
      ]
    >
  >,
  Expect<
    Equal<
      Rep<'dreamGoal'>,
      {
        runId: string;
        pixels: 'decoder' | 'probe' | 'retrieval';
        dataset: string;
        episode: number;
        start: number;
        context: number;
        goalEpisode: number;
        goalStep: number;
        horizon: number;
        real: Frames;
        goal: Frames;
        frames: Frames;
        cosineDistance: Float32Array;
        temporalDistance: Float32Array | null;
        realEnv:
          | {
              kind: 'rollout';
              env: string;
              startExact: boolean;
              startNote: string | null;
              steps: number;
              frames: Frames;
              state: Float32Array;
              cosineDistance: Float32Array;
              success: { test: string; steps: Uint8Array; reached: boolean; first: number | null } | null;
              successNote: string | null;
            }
          | { kind: 'refused'; reason: string };
      }
    >
  >,
  Expect<
    Equal<
      Req<'objectsView'>,
      [req: { runId: string; dataset?: string | undefined; episode: number; step: number; k?: number | undefined }]
    >
  >,
  Expect<
    Equal<
      Rep<'objectsView'>,
      {
        runId: string;
        dataset: string;
        episode: number;
        step: number;
        numObjects: number;
        embeddingDim: number;
        frame: Frames;
        masks: Frames;
        slots: Float32Array;
        edges: Float32Array;
        trace: Float32Array;
        retrieval: {
          k: number;
          truth: Frames;
          retrieved: Frames;
          retrievedEpisode: number;
          retrievedStep: number;
          rank: number;
          candidates: number;
        } | null;
      }
    >
  >,
  Expect<
    Equal<
      Req<'exportStrip'>,
      [
        req: {
          source:
            | {
                kind: 'episode';
                dataset: string;
                episode: number;
                start?: number | undefined;
                count?: number | undefined;
              }
            | {
                kind: 'openloop';
                runId: string;
                dataset?: string | undefined;
                episode: number;
                start: number;
                horizon: number;
                context?: number | undefined;
                temperature?: number | undefined;
                samples?: number | undefined;
                seed?: number | undefined;
                view?: PixelViewRequest | undefined;
              }
            | { kind: 'frames'; frames: Frames };
          format: 'png' | 'gif' | 'webp';
          fps?: number | undefined;
          scale?: number | undefined;
          name?: string | undefined;
        },
      ]
    >
  >,
  Expect<
    Equal<
      Rep<'exportStrip'>,
      { bytes: Uint8Array; mime: string; fileName: string; path: string; frames: number; width: number; height: number }
    >
  >,
  Expect<
    Equal<
      Req<'exportFeatures'>,
      [
        req: {
          runId: string;
          checkpointStep?: number | undefined;
          split?: 'all' | 'train' | 'held-out' | undefined;
          stride?: number | undefined;
        },
      ]
    >
  >,
  Expect<
    Equal<
      Rep<'exportFeatures'>,
      {
        bytes: Uint8Array;
        mime: string;
        fileName: string;
        path: string;
        checkpointStep: number;
        rows: number;
        dim: number;
        episodes: number;
        heldOutRows: number;
        stateNames: string[] | null;
      }
    >
  >,
  // job queue and sweeps
  Expect<Equal<Req<'queueSettings'>, [req?: Record<string, never> | undefined]>>,
  Expect<Equal<Rep<'queueSettings'>, QueueSettings>>,
  Expect<Equal<Req<'setQueue'>, [req: { url: string | null }]>>,
  Expect<Equal<Rep<'setQueue'>, QueueSettings>>,
  Expect<
    Equal<
      Rep<'queueWorkers'>,
      {
        id: string;
        host: string;
        backend: string;
        load: number | null;
        cpus: number | null;
        concurrency: number;
        runs: string[];
        updated: string | null;
      }[]
    >
  >,
  Expect<Equal<Rep<'listSweeps'>, SweepSummary[]>>,
  Expect<Equal<Req<'getSweep'>, [req: { sweepId: string }]>>,
  Expect<
    Equal<
      Flat<Rep<'getSweep'>>,
      Flat<
        SweepSummary & {
          rows: {
            runId: string;
            seed: number;
            fields: Record<string, string | number | boolean | null>;
            status: RunStatus;
            step: number;
            totalSteps: number | null;
            job: string | null;
            attempts: number | null;
            worker: string | null;
            message: string | null;
            last: Record<string, number>;
            eval: { checkpointStep: number; metrics: Record<string, number | null> } | null;
          }[];
        }
      >
    >
  >,
  // events
  Expect<Equal<Parameters<Parameters<WorkbenchClient['onRunStatus']>[0]>[0], RunSummary>>,
  Expect<Equal<Parameters<Parameters<WorkbenchClient['onMetrics']>[0]>[0], { runId: string; points: MetricPoint[] }>>,
  Expect<
    Equal<
      Parameters<Parameters<WorkbenchClient['onRunLog']>[0]>[0],
      { runId: string; stream: 'stdout' | 'stderr' | 'trainer'; line: string }
    >
  >,
  Expect<
    Equal<
      Parameters<Parameters<WorkbenchClient['onCollectProgress']>[0]>[0],
      {
        dataset: string;
        env: string;
        episodesDone: number;
        episodesTotal: number;
        steps: number;
        done: boolean;
      }
    >
  >,
  Expect<Equal<Parameters<Parameters<WorkbenchClient['onDatasetsChanged']>[0]>[0], { datasets: string[] }>>,
  Expect<Equal<ReturnType<WorkbenchClient['onMetrics']>, () => void>>,
  // the set of names
  Expect<
    Equal<
      MethodName,
      | 'workspaceInfo'
      | 'listEnvs'
      | 'listModels'
      | 'listDatasets'
      | 'inspectDataset'
      | 'readEpisode'
      | 'episodeFrames'
      | 'importDataset'
      | 'collectDataset'
      | 'removeDataset'
      | 'listRuns'
      | 'getRun'
      | 'createRun'
      | 'startRun'
      | 'pauseRun'
      | 'resumeRun'
      | 'stopRun'
      | 'forkRun'
      | 'runMetrics'
      | 'runCheckpoints'
      | 'runEval'
      | 'runProbe'
      | 'dreamOpenLoop'
      | 'dreamReset'
      | 'dreamStep'
      | 'dreamFrame'
      | 'dreamClose'
      | 'dreamImagine'
      | 'dreamGoal'
      | 'objectsView'
      | 'exportStrip'
      | 'exportFeatures'
      | 'queueSettings'
      | 'setQueue'
      | 'queueWorkers'
      | 'listSweeps'
      | 'getSweep'
    >
  >,
  Expect<Equal<EventName, 'onRunStatus' | 'onMetrics' | 'onRunLog' | 'onCollectProgress' | 'onDatasetsChanged'>>,
  Expect<Equal<ChannelName extends `${string}:${string}` ? true : false, true>>,
  // the bridge and the service implement exactly the client's methods
  Expect<Equal<Exclude<keyof OneiroBridge, keyof WorkbenchClient>, never>>,
  Expect<Equal<Exclude<keyof WorkbenchClient, keyof OneiroBridge>, 'transport' | 'close'>>,
  Expect<Equal<keyof WorkbenchApi, MethodName>>,
  // the dream server's protocol names every call the host makes of it (a name it lacks is dropped as malformed,
  // and that call would never be answered)
  Expect<Equal<Exclude<keyof Dreams, 'close'>, DreamMethod>>,
];
