/**
 * One valid request and one valid reply per channel, and one valid payload per event. Used by the
 * contract tests (each must pass its schema) and by the fake service in the host tests.
 */
import type { ChannelName, EventName } from '../../../core/contract/names.ts';

const frames = (n: number, h = 4, w = 4) => ({ shape: [n, h, w, 3] as [number, number, number, 3], data: new Uint8Array(n * h * w * 3).fill(7) });
const space = { kind: 'box' as const, shape: [3], low: [-1, 0, 0], high: [1, 1, 1] };
export const datasetSummary = {
  name: 'demo', env: 'cartpole-swingup', episodes: 2, steps: 20, imageShape: [64, 64, 3] as [number, number, 3],
  actionSpace: { kind: 'box' as const, shape: [1], low: [-1], high: [1] }, actionDim: 1, source: 'collect', createdAt: '2026-01-01T00:00:00Z',
};
export const runSummary = {
  id: 'wm-1', family: 'world-models', preset: 'debug', dataset: 'demo', env: null, status: 'running' as const, phase: 'vae',
  step: 10, totalSteps: 100, backend: 'wasm', createdAt: null, updatedAt: null,
  lastCheckpoint: { step: 10, path: 'runs/wm-1/checkpoints/10', createdAt: null, bytes: 1234, latest: true },
  message: null, lastMetrics: { 'loss/vae': 0.5 },
};
const dreamFrame = { sessionId: 's1', t: 0, frame: frames(1), actionSpace: space, reward: null, done: false };

export const REQUESTS: Record<ChannelName, unknown> = {
  'workspace:info': {},
  'envs:list': {},
  'models:list': {},
  'datasets:list': {},
  'datasets:inspect': { dataset: 'demo' },
  'datasets:episode': { dataset: 'demo', episode: 0 },
  'datasets:frames': { dataset: 'demo', episode: 0, start: 0, count: 8 },
  'datasets:import': { source: '/tmp/x', name: 'imported' },
  'datasets:collect': { env: 'cartpole-swingup', dataset: 'demo', episodes: 2 },
  'runs:list': {},
  'runs:get': { runId: 'wm-1' },
  'runs:create': { family: 'world-models', preset: 'debug', dataset: 'demo' },
  'runs:start': { runId: 'wm-1' },
  'runs:pause': { runId: 'wm-1' },
  'runs:resume': { runId: 'wm-1' },
  'runs:stop': { runId: 'wm-1' },
  'runs:metrics': { runId: 'wm-1', since: 5 },
  'runs:checkpoints': { runId: 'wm-1' },
  'dreams:openloop': { runId: 'wm-1', episode: 0, start: 3, horizon: 10, temperature: 1 },
  'dreams:reset': { runId: 'wm-1', episode: 0, step: 3 },
  'dreams:step': { sessionId: 's1', action: [0.5, 1, 0] },
  'dreams:frame': { sessionId: 's1' },
  'dreams:close': { sessionId: 's1' },
  'exports:strip': { source: { kind: 'frames', frames: frames(3) }, format: 'gif' },
};

/** An invalid request per channel and the field its error must name. */
export const BAD_REQUESTS: Record<ChannelName, [unknown, string]> = {
  'workspace:info': [{ extra: 1 }, 'payload'],
  'envs:list': [{ x: true }, 'payload'],
  'models:list': [{ x: true }, 'payload'],
  'datasets:list': [{ x: true }, 'payload'],
  'datasets:inspect': [{ dataset: '../etc' }, 'payload.dataset'],
  'datasets:episode': [{ dataset: 'demo', episode: -1 }, 'payload.episode'],
  'datasets:frames': [{ dataset: 'demo', episode: 0, start: 0, count: 5000 }, 'payload.count'],
  'datasets:import': [{ source: '/tmp/x', name: 'ok', format: 'hdf5' }, 'payload.format'],
  'datasets:collect': [{ env: 'cartpole-swingup', dataset: 'demo', episodes: 0 }, 'payload.episodes'],
  'runs:list': [{ status: 'running' }, 'payload'],
  'runs:get': [{}, 'payload.runId'],
  'runs:create': [{ family: 'world-models', dataset: 'demo', env: 'car-racing' }, 'payload.dataset'],
  'runs:start': [{ runId: 5 }, 'payload.runId'],
  'runs:pause': [{ runId: '' }, 'payload.runId'],
  'runs:resume': [{ runId: 'wm-1', run: 'x' }, 'payload'],
  'runs:stop': [{ runId: 'a/b' }, 'payload.runId'],
  'runs:metrics': [{ runId: 'wm-1', limit: 1.5 }, 'payload.limit'],
  'runs:checkpoints': [null, 'payload.runId'],
  'dreams:openloop': [{ runId: 'wm-1', episode: 0, start: 3, horizon: 10, temperature: 0 }, 'payload.temperature'],
  'dreams:reset': [{ runId: 'wm-1', episode: 0 }, 'payload.step'],
  'dreams:step': [{ sessionId: 's1', action: [NaN] }, 'payload.action.0'],
  'dreams:frame': [{ sessionId: 7 }, 'payload.sessionId'],
  'dreams:close': [{}, 'payload.sessionId'],
  'exports:strip': [{ source: { kind: 'frames', frames: { shape: [1, 1, 1, 3], data: [1, 2, 3] } }, format: 'png' }, 'payload.source.frames.data'],
};

export const REPLIES: Record<ChannelName, unknown> = {
  'workspace:info': {
    workspace: '/tmp/ws', version: '0.1.0', host: 'direct',
    backend: { name: 'cpu', tfName: 'cpu', threads: 1, skipped: [{ name: 'node', reason: 'not installed' }] },
    versions: { node: 'v20', tfjs: '4.22.0', electron: null, chrome: null },
    electron: { available: false, version: null, detail: 'no binary' }, chromium: { available: true, version: '1', detail: '/usr/bin/chromium' },
    empty: true,
  },
  'envs:list': [{ name: 'car-racing', doc: 'd', observationShape: [64, 64, 3], actionSpace: space, defaults: { size: 64, actionRepeat: 1, maxSteps: 1000 } }],
  'models:list': [{ family: 'world-models', doc: 'VAE + MDN-RNN', presets: [{ name: 'debug', doc: 'tiny' }], sources: ['dataset'] }],
  'datasets:list': [datasetSummary],
  'datasets:inspect': {
    ...datasetSummary, episodeList: [{ index: 0, file: 'a.npz', length: 10, return: 1 }],
    lengths: { min: 10, max: 10, mean: 10, std: 0 }, returns: { min: 1, max: 1, mean: 1, std: 0 },
    actions: { mean: [0], std: [1], min: [-1], max: [1] },
  },
  'datasets:episode': { dataset: 'demo', episode: 0, length: 3, imageShape: [4, 4, 3], actionDim: 1, reward: new Float32Array(3), action: new Float32Array(3), isTerminal: new Uint8Array(3) },
  'datasets:frames': { dataset: 'demo', episode: 0, start: 0, stride: 1, frames: frames(2) },
  'datasets:import': { dataset: datasetSummary, imported: 2, skipped: [{ file: 'bad.npz', reason: 'truncated' }], converted: ['float16 → float32'] },
  'datasets:collect': datasetSummary,
  'runs:list': [runSummary],
  'runs:get': { ...runSummary, config: { model: { z: 8 } } },
  'runs:create': { ...runSummary, status: 'created' },
  'runs:start': runSummary,
  'runs:pause': { ...runSummary, status: 'paused' },
  'runs:resume': runSummary,
  'runs:stop': { ...runSummary, status: 'stopped' },
  'runs:metrics': { runId: 'wm-1', points: [{ step: 1, time: 1.5, phase: 'vae', values: { 'loss/vae': 1 } }] },
  'runs:checkpoints': [runSummary.lastCheckpoint],
  'dreams:openloop': {
    runId: 'wm-1', dataset: 'demo', episode: 0, start: 3, context: 1, horizon: 2, temperature: 1,
    truth: frames(3), dream: frames(3), mse: new Float32Array(3), baselineMse: new Float32Array(3),
  },
  'dreams:reset': dreamFrame,
  'dreams:step': { ...dreamFrame, t: 1, reward: 0.1 },
  'dreams:frame': dreamFrame,
  'dreams:close': { closed: true },
  'exports:strip': { bytes: new Uint8Array([71, 73, 70]), mime: 'image/gif', fileName: 'x.gif', path: '/tmp/ws/exports/x.gif', frames: 3, width: 8, height: 8 },
};

export const EVENT_SAMPLES: Record<EventName, unknown> = {
  onRunStatus: runSummary,
  onMetrics: { runId: 'wm-1', points: [{ step: 2, time: null, phase: null, values: { kl: 0.1 } }] },
  onRunLog: { runId: 'wm-1', stream: 'trainer', line: 'trainer exited with signal SIGKILL' },
  onCollectProgress: { dataset: 'demo', env: 'cartpole-swingup', episodesDone: 1, episodesTotal: 2, steps: 100, done: false },
  onDatasetsChanged: { datasets: ['demo'] },
};
