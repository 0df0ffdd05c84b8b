/**
 * The names of the Workbench API, with no runtime dependency at all: the Electron preload bundles
 * this file alone (it must stay tiny and must not pull zod into a sandboxed preload), and every host
 * and the type-level drift test key off it.
 *
 * Channels are `area:verb` (VS Code / Podman Desktop convention); the value is the method name the
 * client exposes. Events are `onX`, pushed from the host to every connected client.
 */
export const CHANNEL_METHODS = {
  'workspace:info': 'workspaceInfo',
  'envs:list': 'listEnvs',
  'models:list': 'listModels',
  'datasets:list': 'listDatasets',
  'datasets:inspect': 'inspectDataset',
  'datasets:episode': 'readEpisode',
  'datasets:frames': 'episodeFrames',
  'datasets:import': 'importDataset',
  'datasets:collect': 'collectDataset',
  'datasets:remove': 'removeDataset',
  'runs:list': 'listRuns',
  'runs:get': 'getRun',
  'runs:create': 'createRun',
  'runs:start': 'startRun',
  'runs:pause': 'pauseRun',
  'runs:resume': 'resumeRun',
  'runs:stop': 'stopRun',
  'runs:fork': 'forkRun',
  'runs:metrics': 'runMetrics',
  'runs:checkpoints': 'runCheckpoints',
  'runs:eval': 'runEval',
  'runs:probe': 'runProbe',
  'dreams:openloop': 'dreamOpenLoop',
  'dreams:reset': 'dreamReset',
  'dreams:step': 'dreamStep',
  'dreams:frame': 'dreamFrame',
  'dreams:close': 'dreamClose',
  'dreams:imagine': 'dreamImagine',
  'dreams:goal': 'dreamGoal',
  'objects:view': 'objectsView',
  'exports:strip': 'exportStrip',
  'exports:features': 'exportFeatures',
  'queue:get': 'queueSettings',
  'queue:set': 'setQueue',
  'queue:workers': 'queueWorkers',
  'sweeps:list': 'listSweeps',
  'sweeps:get': 'getSweep',
} as const;

export type ChannelName = keyof typeof CHANNEL_METHODS;
export type MethodName = (typeof CHANNEL_METHODS)[ChannelName];

export const EVENT_NAMES = ['onRunStatus', 'onMetrics', 'onRunLog', 'onCollectProgress', 'onDatasetsChanged'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export const CHANNEL_NAMES = Object.keys(CHANNEL_METHODS) as ChannelName[];

/** Reverse lookup: method name → channel. */
export const METHOD_CHANNELS = Object.fromEntries(
  Object.entries(CHANNEL_METHODS).map(([channel, method]) => [method, channel]),
) as { [C in ChannelName as (typeof CHANNEL_METHODS)[C]]: C };

export function isChannelName(s: unknown): s is ChannelName {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(CHANNEL_METHODS, s);
}

export function isEventName(s: unknown): s is EventName {
  return typeof s === 'string' && (EVENT_NAMES as readonly string[]).includes(s);
}

/** Error codes a reply can carry; the renderer shows the message, tests match the code. */
export const ERROR_CODES = [
  'invalid_request', // payload failed its schema; `field` names the path
  'unknown_channel',
  'malformed', // not a message at all (bad JSON, bad binary frame)
  'unauthorized',
  'not_found',
  'conflict', // e.g. starting a run that is already running
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WireError {
  code: ErrorCode;
  message: string;
  /** Dotted path of the offending field, for invalid_request. */
  field?: string;
}

/** What every transport hands back for one call: the reply or an error, never a thrown transport error. */
export type Envelope<R> = { ok: true; result: R } | { ok: false; error: WireError };
