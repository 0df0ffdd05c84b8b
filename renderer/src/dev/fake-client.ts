/**
 * DEV ONLY — an in-memory stand-in for the service, so the views can be looked at before (or without) a
 * host. Loaded by renderer/dev.html through the Vite dev server, and by one UI test as the service behind a
 * real web host (test/e2e/train-longer.test.ts: no model trains); never part of the build. Frames are
 * procedural (a ball on a track), dreams drift away from them as the horizon grows.
 */
import { buildClient } from '../../../core/contract/client.ts';
import type { WorkbenchClient } from '../../../core/contract/client.ts';
import type { ChannelName, EventName, Envelope } from '../../../core/contract/names.ts';
import type { RunSummary, DatasetSummary, MetricPoint } from '../../../core/contract/channels.ts';

const W = 64;
const H = 64;

function render(px: number, py: number, t: number, noise = 0, seed = 1): Uint8Array {
  const f = new Uint8Array(W * H * 3);
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const road = Math.abs(x - 32 - 10 * Math.sin((y + t) / 9)) < 14;
      let r = road ? 105 : 60,
        g = road ? 105 : 150,
        b = road ? 105 : 60;
      if (road && (y + t) % 16 < 2 && Math.abs(x - 32 - 10 * Math.sin((y + t) / 9)) > 12) {
        r = 230;
        g = 230;
        b = 230;
      }
      const d = Math.hypot(x - px, y - py);
      if (d < 4) {
        r = 220;
        g = 40;
        b = 40;
      }
      if (noise) {
        const n = (rnd() - 0.5) * noise;
        r += n;
        g += n;
        b += n;
      }
      f[i] = Math.max(0, Math.min(255, r));
      f[i + 1] = Math.max(0, Math.min(255, g));
      f[i + 2] = Math.max(0, Math.min(255, b));
    }
  }
  return f;
}

const truthPos = (ep: number, t: number) => ({
  x: 32 + 10 * Math.sin((48 + t) / 9) + 6 * Math.sin((t + ep * 7) / 13),
  y: 48,
});

export function createFakeClient(): WorkbenchClient {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const emit = (e: EventName, p: unknown) => listeners.get(e)?.forEach((l) => l(p));
  const datasets: DatasetSummary[] = [
    {
      name: 'car-racing-20',
      env: 'car-racing',
      episodes: 20,
      steps: 4000,
      imageShape: [64, 64, 3],
      actionSpace: { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] },
      actionDim: 3,
      source: 'collect',
      createdAt: new Date().toISOString(),
    },
  ];
  const runs: RunSummary[] = [];
  const metrics = new Map<string, MetricPoint[]>();
  const sessions = new Map<string, { run: string; ep: number; t: number; x: number; v: number; temp: number }>();
  let runSeq = 0;
  const runOf = (runId: string) => runs.find((x) => x.id === runId)!;
  /** A run changed: its listeners hear of it, and the caller gets a copy, as from the service. */
  const announce = (r: RunSummary) => {
    emit('onRunStatus', { ...r });
    return { ...r };
  };
  /** A new run goes first in the list (the newest first, as the service lists them), with no metrics yet. */
  const addRun = (r: RunSummary) => {
    runs.unshift(r);
    metrics.set(r.id, []);
    return announce(r);
  };

  const mkRun = (id: string, status: RunSummary['status'], step: number): RunSummary => ({
    id,
    family: 'world-models',
    preset: 'debug',
    dataset: 'car-racing-20',
    env: null,
    status,
    phase: step < 300 ? 'vae' : 'mdnrnn',
    step,
    totalSteps: 600,
    backend: 'wasm',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    lastCheckpoint: step
      ? {
          step: Math.floor(step / 100) * 100,
          path: `runs/${id}/checkpoints/x`,
          createdAt: new Date().toISOString(),
          bytes: 1_234_567,
          latest: true,
        }
      : null,
    message: null,
    lastMetrics: {},
    behavior: null,
  });
  const seed = mkRun('wm-debug-0', 'completed', 600);
  runs.push(seed);
  runs.push({ ...mkRun('dreamer-debug-0', 'completed', 600), family: 'rssm', behavior: 'actor-critic' });
  const pts: MetricPoint[] = [];
  for (let s = 10; s <= 600; s += 10) pts.push(point(s));
  metrics.set(seed.id, pts);

  function point(s: number): MetricPoint {
    const vae = s <= 300;
    return vae
      ? {
          step: s,
          time: Date.now(),
          phase: 'vae',
          values: {
            'loss/vae': 900 * Math.exp(-s / 80) + 60 + 5 * Math.random(),
            'loss/recon': 850 * Math.exp(-s / 80) + 44 + 5 * Math.random(),
            'loss/kl': 16 + 4 * Math.random(),
          },
        }
      : {
          step: s,
          time: Date.now(),
          phase: 'mdnrnn',
          values: { 'loss/mdn': 1.5 * Math.exp(-(s - 300) / 90) - 0.4 + 0.05 * Math.random() },
        };
  }

  const timers = new Map<string, ReturnType<typeof setInterval>>();
  function train(id: string) {
    clearInterval(timers.get(id));
    if (!metrics.has(id)) metrics.set(id, []);
    timers.set(
      id,
      setInterval(() => {
        const r = runOf(id);
        if (r.status !== 'running') return;
        const budget = r.totalSteps ?? 600;
        const p = point(r.step + 10);
        r.step += 10;
        metrics.get(id)!.push(p);
        emit('onMetrics', { runId: id, points: [p] });
        Object.assign(r, mkRun(id, r.step >= budget ? 'completed' : 'running', r.step), {
          createdAt: r.createdAt,
          family: r.family,
          behavior: r.behavior,
          totalSteps: budget,
        });
        emit('onRunStatus', { ...r });
        if (r.step >= budget) clearInterval(timers.get(id));
      }, 250),
    );
  }

  /** Where a behaviour's dream (the actor's, the goal dream) starts: the real frame, after the context before it. */
  const dreamStart = (
    r: { runId: string; dataset?: string; episode: number; start: number },
    context: number,
    p: { x: number; y: number },
  ) => ({
    runId: r.runId,
    pixels: 'decoder' as const,
    dataset: r.dataset ?? 'car-racing-20',
    episode: r.episode,
    start: r.start,
    context: Math.min(context, r.start + 1),
    real: frames(1, () => render(p.x, p.y, r.start)),
  });
  const frames = (n: number, f: (i: number) => Uint8Array) => {
    const data = new Uint8Array(n * W * H * 3);
    for (let i = 0; i < n; i++) data.set(f(i), i * W * H * 3);
    return { shape: [n, H, W, 3] as [number, number, number, 3], data };
  };

  let queue: { url: string | null; connected: boolean; error: string | null; password: string; tls: boolean } = {
    url: null,
    connected: false,
    error: null,
    password: 'none',
    tls: false,
  };
  const fakeSweep = {
    id: '20260101-120000-debug-ab12',
    name: 'debug',
    created: '2026-01-01T12:00:00Z',
    family: 'world-models',
    preset: 'debug',
    dataset: 'car-racing-100',
    env: null,
    fields: ['train.lr'],
    runs: 2,
  };
  const handlers: Record<string, (req: any) => unknown> = {
    workspaceInfo: () => ({
      workspace: '/tmp/fake-workspace',
      version: '0.1.0',
      host: 'web',
      backend: { name: 'wasm', tfName: 'wasm', threads: 2, skipped: [] },
      versions: { node: '20.20.0', tfjs: '4.22.0', electron: null, chrome: null },
      electron: { available: false, version: null, detail: 'no binary' },
      chromium: { available: true, version: '131', detail: '/usr/bin/chromium' },
      empty: false,
    }),
    listEnvs: () => [
      {
        name: 'car-racing',
        doc: 'Top-down car racing (World Models).',
        observationShape: [64, 64, 3],
        actionSpace: { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] },
        defaults: { size: 64, actionRepeat: 1, maxSteps: 1000 },
      },
      {
        name: 'shapes-2d',
        doc: 'C-SWM 2D shapes.',
        observationShape: [50, 50, 3],
        actionSpace: { kind: 'discrete', n: 20 },
        defaults: { size: 50, actionRepeat: 1, maxSteps: 100 },
      },
    ],
    listModels: () => [
      {
        family: 'world-models',
        doc: 'VAE + MDN-RNN',
        presets: [
          { name: 'debug', doc: 'tiny' },
          { name: 'default', doc: 'paper' },
        ],
        sources: ['dataset'],
      },
      { family: 'rssm', doc: 'PlaNet/Dreamer', presets: [{ name: 'debug', doc: '' }], sources: ['dataset', 'env'] },
    ],
    listDatasets: () => datasets,
    inspectDataset: ({ dataset }) => {
      const d = datasets.find((x) => x.name === dataset);
      if (!d) throw { code: 'not_found', message: `no dataset '${dataset}'` };
      return {
        ...d,
        episodeList: Array.from({ length: d.episodes }, (_, i) => ({
          index: i,
          file: `2026-${i}.npz`,
          length: 200,
          return: -20 + 30 * Math.sin(i),
        })),
        lengths: { min: 200, max: 200, mean: 200, std: 0 },
        returns: { min: -20, max: 10, mean: -5, std: 9 },
        actions: { mean: [0, 0.5, 0.2], std: [0.5, 0.3, 0.3], min: [-1, 0, 0], max: [1, 1, 1] },
      };
    },
    readEpisode: ({ dataset, episode }) => {
      const T = 200;
      const action = new Float32Array(T * 3);
      for (let t = 1; t < T; t++) {
        action[t * 3] = Math.sin(t / 10);
        action[t * 3 + 1] = t % 30 < 20 ? 1 : 0;
        action[t * 3 + 2] = t % 30 >= 25 ? 0.8 : 0;
      }
      const reward = new Float32Array(T).map((_, t) => (t % 7 === 0 ? 3.2 : -0.1));
      return {
        dataset,
        episode,
        length: T,
        imageShape: [64, 64, 3],
        actionDim: 3,
        reward,
        action,
        isTerminal: new Uint8Array(T),
      };
    },
    episodeFrames: ({ dataset, episode, start, count, stride = 1 }) => {
      const n = Math.max(0, Math.min(count, Math.ceil((200 - start) / stride)));
      return {
        dataset,
        episode,
        start,
        stride,
        frames: frames(n, (i) => {
          const t = start + i * stride;
          const p = truthPos(episode, t);
          return render(p.x, p.y, t);
        }),
      };
    },
    importDataset: () => {
      throw { code: 'invalid_request', message: 'fake client cannot import', field: 'source' };
    },
    removeDataset: async ({ dataset }) => {
      const i = datasets.findIndex((d) => d.name === dataset);
      if (i < 0) throw { code: 'not_found', message: `no dataset '${dataset}'` };
      datasets.splice(i, 1);
      emit('onDatasetsChanged', { datasets: datasets.map((x) => x.name) });
      return { dataset, cancelled: false, removed: true, unreadable: null };
    },
    collectDataset: async ({ env, dataset, episodes, append }) => {
      const had = datasets.find((d) => d.name === dataset);
      if (append && !had) throw { code: 'not_found', message: `no dataset '${dataset}' to add episodes to` };
      if (!append && had)
        throw { code: 'conflict', message: `dataset '${dataset}' already exists; choose another name` };
      for (let i = 1; i <= episodes; i++) {
        await new Promise((r) => setTimeout(r, 150));
        emit('onCollectProgress', {
          dataset,
          env,
          episodesDone: i,
          episodesTotal: episodes,
          steps: i * 200,
          done: i === episodes,
        });
      }
      const d: DatasetSummary = had
        ? Object.assign(had, { episodes: had.episodes + episodes, steps: had.steps + episodes * 200 })
        : { ...datasets[0], name: dataset, env, episodes, steps: episodes * 200 };
      if (!had) datasets.push(d);
      emit('onDatasetsChanged', { datasets: datasets.map((x) => x.name) });
      return d;
    },
    listRuns: () => runs.map((r) => ({ ...r })),
    getRun: ({ runId }) => ({
      ...runOf(runId),
      config: {
        family: 'world-models',
        vae: { z: 8 },
        rnn: { hidden: 64, mixtures: 5 },
        // config.json's own place for the model's settings (RunsView reads model.rnn.steps to prefill Continue from).
        model: { rnn: { steps: 300 } },
      },
    }),
    createRun: (req) => addRun(mkRun(`wm-${req.preset}-${++runSeq}`, 'created', 0)),
    startRun: ({ runId }) => {
      const r = runOf(runId);
      r.status = 'running';
      train(runId);
      return announce(r);
    },
    pauseRun: ({ runId }) => {
      const r = runOf(runId);
      r.status = 'paused';
      return announce(r);
    },
    resumeRun: ({ runId, steps }) => {
      const r = runOf(runId);
      if (steps !== undefined) {
        // A dev stand-in for two of core/runs/run-steps.ts's refusals, so the Runs view's inline message can be seen.
        if (steps < r.step)
          throw {
            code: 'invalid_request',
            message: `run ${runId}: steps ${steps} is below its ${r.step} steps done (fake)`,
          };
        if (r.family === 'world-models' && r.status === 'completed')
          throw {
            code: 'invalid_request',
            message: `run ${runId}: phase 'vae' finished and phase 'rnn' trained after it, so steps ${steps} cannot apply (fake)`,
          };
        r.totalSteps = steps;
      }
      // A paused run's timer still ticks; a stopped or completed one's was cleared.
      const idle = r.status !== 'paused';
      r.status = 'running';
      if (idle) train(runId);
      return announce(r);
    },
    forkRun: ({ runId, phase, name }) => {
      const src = runOf(runId);
      // A dev stand-in for one of core/runs/seed-from.ts forkRun's refusals, so the form's toast can be seen.
      if (src.family !== 'world-models' || src.status !== 'completed')
        throw {
          code: 'invalid_request',
          message: `run ${runId} is ${src.family}, ${src.status}: only a completed World Models run can be continued (fake)`,
        };
      return addRun({ ...mkRun(name ?? `${runId}-${phase}-${++runSeq}`, 'created', 0), from: { run: runId, phase } });
    },
    stopRun: ({ runId }) => {
      const r = runOf(runId);
      r.status = 'stopped';
      clearInterval(timers.get(runId));
      return announce(r);
    },
    runMetrics: ({ runId }) => ({ runId, points: metrics.get(runId) ?? [] }),
    runCheckpoints: ({ runId }) => {
      const r = runOf(runId);
      return Array.from({ length: Math.floor(r.step / 100) }, (_, i) => ({
        step: (i + 1) * 100,
        path: `runs/${runId}/checkpoints/step-${(i + 1) * 100}.safetensors`,
        createdAt: new Date().toISOString(),
        bytes: 987_654,
        latest: i === Math.floor(r.step / 100) - 1,
      }));
    },
    runEval: ({ runId, checkpointStep }) => {
      const r = runOf(runId);
      const latest = Math.floor(r.step / 100) * 100;
      // As runCheckpoints keeps them: every 100 steps (the service's refusal names the steps the run keeps).
      if (
        checkpointStep !== undefined &&
        (checkpointStep % 100 !== 0 || checkpointStep < 100 || checkpointStep > latest)
      )
        throw {
          code: 'invalid_request',
          message: `run ${runId} has no checkpoint at step ${checkpointStep}; it keeps steps 100 to ${latest} by 100 (fake)`,
          field: 'payload.checkpointStep',
        };
      // Dev UI fake: illustrative numbers, not measured; an older checkpoint's model is a little worse.
      const worse = 1 + (latest - (checkpointStep ?? latest)) / Math.max(latest, 1);
      const m = (model: number, baselines: Record<string, number>, lower = true) => {
        const [name, baseline] = Object.entries(baselines).sort((a, b) => (lower ? a[1] - b[1] : b[1] - a[1]))[0];
        return { model, baseline, baseline_name: name, baselines, ...(lower ? {} : { lower_is_better: false }) };
      };
      return {
        runId,
        checkpointStep: checkpointStep ?? latest,
        episodes: 2,
        foregroundFraction: 0.016,
        metrics: {
          'openloop_mse@10': {
            ...m(0.0009 * worse, { 'copy-last-frame': 0.0016, 'mean-frame': 0.00075 }),
            ratio_baseline: 'mean-frame',
            ratio_ci95: [1.02 * worse, 1.41 * worse],
          },
          'openloop_fg_mse@10': {
            ...m(0.05 * worse, { 'copy-last-frame': 0.09, 'mean-frame': 0.047 }),
            ratio_baseline: 'mean-frame',
            ratio_ci95: [0.88 * worse, 1.27 * worse],
          },
          'probe_r2/cart position@0': { ...m(0.62 / worse, { 'random-init model': 0.41 }, false), ci95: [0.48, 0.74] },
          // The MLP reads more than the ridge where the features hold the variable bent (saturating, as above).
          'probe_mlp_r2/cart position@0': {
            ...m(0.83 / worse, { 'random-init model': 0.12 }, false),
            ci95: [0.74, 0.9],
          },
        },
        // Illustrative: a read that saturates at the ends, where most of the error is.
        probeCalibration: {
          'cart position': [-1.5, -0.9, -0.3, 0.3, 0.9, 1.5].map((t, i) => ({
            lo: t - 0.3,
            hi: t + 0.3,
            n: [20, 60, 120, 120, 60, 20][i],
            truth: t,
            read: Math.tanh(t) / worse,
            error_share: [0.3, 0.12, 0.08, 0.08, 0.12, 0.3][i],
          })),
        },
        notes: ['fake client: illustrative numbers'],
      };
    },
    dreamOpenLoop: ({ runId, episode, start, horizon, context = 1, temperature = 0, samples, seed, dataset }) => {
      const T = context + horizon;
      const truth = frames(T, (i) => {
        const p = truthPos(episode, start + i);
        return render(p.x, p.y, start + i);
      });
      const dream = frames(T, (i) => {
        const p = truthPos(episode, start + i);
        const drift = i < context ? 0 : (i - context) * 0.35 * (temperature || 1);
        return render(p.x + drift, p.y - drift / 2, start + Math.round(i * 0.9), 10 + 40 * Math.min(1, i / T), i + 7);
      });
      const mse = new Float32Array(T),
        baselineMse = new Float32Array(T);
      for (let i = 0; i < T; i++) {
        let s = 0,
          b = 0;
        const a = truth.data.subarray(i * W * H * 3, (i + 1) * W * H * 3),
          d = dream.data.subarray(i * W * H * 3, (i + 1) * W * H * 3),
          l = truth.data.subarray((context - 1) * W * H * 3, context * W * H * 3);
        for (let k = 0; k < a.length; k++) {
          s += ((a[k] - d[k]) / 255) ** 2;
          b += ((a[k] - l[k]) / 255) ** 2;
        }
        mse[i] = s / a.length;
        baselineMse[i] = i < context ? 0 : b / a.length;
      }
      // The fake has no training split: the mean of these truth frames stands in for the training mean frame.
      const F = W * H * 3;
      const mean = new Float32Array(F);
      for (let i = 0; i < T; i++) for (let k = 0; k < F; k++) mean[k] += truth.data[i * F + k] / T;
      const meanFrameMse = new Float32Array(T);
      const fg = {
        threshold: 0.1,
        fraction: new Float32Array(T),
        mse: new Float32Array(T),
        baselineMse: new Float32Array(T),
        meanFrameMse: new Float32Array(T),
      };
      for (let i = 0; i < T; i++) {
        let m = 0,
          n = 0;
        const se = { mse: 0, baselineMse: 0, meanFrameMse: 0 };
        for (let p = 0; p < W * H; p++) {
          let on = false;
          for (let c = 0; c < 3; c++) {
            const v = truth.data[i * F + p * 3 + c];
            m += ((v - mean[p * 3 + c]) / 255) ** 2;
            if (Math.abs(v - mean[p * 3 + c]) > 25.5) on = true;
          }
          if (!on) continue;
          n++;
          for (let c = 0; c < 3; c++) {
            const v = truth.data[i * F + p * 3 + c];
            se.mse += ((dream.data[i * F + p * 3 + c] - v) / 255) ** 2;
            se.baselineMse += ((truth.data[(context - 1) * F + p * 3 + c] - v) / 255) ** 2;
            se.meanFrameMse += ((mean[p * 3 + c] - v) / 255) ** 2;
          }
        }
        meanFrameMse[i] = m / F;
        fg.fraction[i] = n / (W * H);
        fg.mse[i] = n ? se.mse / (3 * n) : NaN;
        fg.baselineMse[i] = i < context ? 0 : n ? se.baselineMse / (3 * n) : NaN;
        fg.meanFrameMse[i] = n ? se.meanFrameMse / (3 * n) : NaN;
      }
      return {
        runId,
        pixels: 'decoder',
        pixelsNote: null,
        dataset: dataset ?? 'car-racing-20',
        episode,
        start,
        context,
        horizon,
        temperature,
        samples: samples ?? null,
        seed,
        truth,
        dream,
        mse,
        baselineMse,
        clamped: {},
        meanFrameMse,
        foreground: fg,
      };
    },
    runProbe: ({ runId }) => ({
      runId,
      modelPixels: 'decoder',
      probe: null,
      problem: 'the fake client trains no probe decoders',
    }),
    dreamReset: ({ runId, episode, step, temperature = 1, sessionId }) => {
      const id = sessionId ?? `s${Math.random().toString(36).slice(2, 8)}`;
      const p = truthPos(episode, step);
      sessions.set(id, { run: runId, ep: episode, t: step, x: p.x, v: 0, temp: temperature });
      return {
        sessionId: id,
        pixels: 'decoder',
        t: 0,
        frame: frames(1, () => render(p.x, p.y, step)),
        actionSpace: { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] },
        reward: null,
        done: false,
        action: null,
        driver: null,
      };
    },
    dreamStep: ({ sessionId, action: asked, autopilot }) => {
      const s = sessions.get(sessionId);
      if (!s) throw { code: 'not_found', message: `no dream session '${sessionId}'` };
      if (autopilot && !runs.find((r) => r.id === s.run)?.behavior)
        throw { code: 'conflict', message: 'the fake World Models run has no actor' };
      // The fake "actor" steers toward the middle of the road.
      const action = asked ?? [Math.max(-1, Math.min(1, (32 - s.x) / 12)), 0.3, 0];
      s.v = 0.8 * s.v + 1.2 * action[0];
      s.x = Math.max(4, Math.min(60, s.x + s.v));
      s.t += 1 + Math.round((action[1] ?? 0) * 2);
      return {
        sessionId,
        pixels: 'decoder',
        t: s.t,
        frame: frames(1, () => render(s.x, 48, s.t, 12 * s.temp, s.t)),
        actionSpace: { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] },
        reward: 0.1,
        done: false,
        action,
        driver: autopilot ? 'actor' : 'user',
      };
    },
    dreamImagine: (req) => {
      const { runId, episode, start, horizon = 15, context = 5, sample = false } = req;
      if (!runs.find((r) => r.id === runId)?.behavior)
        throw { code: 'conflict', message: `run ${runId} has no actor to dream with (fake)` };
      const p = truthPos(episode, start);
      let x = p.x;
      const xs: number[] = [];
      const actions = new Float32Array(horizon * 3);
      for (let t = 0; t <= horizon; t++) {
        xs.push(x);
        if (t < horizon) {
          const a = Math.max(-1, Math.min(1, (32 - x) / 12));
          actions.set([a, 0.3, 0], t * 3);
          x += 2 * a;
        }
      }
      const reward = Float32Array.from(xs, (v) => 1 - Math.abs(v - 32) / 32);
      const discount = new Float32Array(horizon + 1).fill(0.99);
      const value = Float32Array.from(xs, (v) => 20 * (1 - Math.abs(v - 32) / 40));
      const ret = new Float32Array(horizon + 1);
      ret[horizon] = value[horizon];
      for (let t = horizon - 1; t >= 0; t--)
        ret[t] = reward[t + 1] + discount[t + 1] * (0.05 * value[t + 1] + 0.95 * ret[t + 1]);
      return {
        ...dreamStart(req, context, p),
        horizon,
        sample,
        frames: frames(horizon + 1, (i) => render(xs[i], 48, start + i, sample ? 20 : 6, i + 3)),
        actionSpace: { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] },
        actions,
        reward,
        discount,
        value,
        lambdaReturn: ret,
        gamma: 0.99,
        lambda: 0.95,
      };
    },
    dreamGoal: (req) => {
      const { runId, episode, start, goalEpisode, goalStep, horizon = 10, context = 5 } = req;
      if (runs.find((r) => r.id === runId)?.behavior !== 'lexa')
        throw { code: 'conflict', message: `run ${runId} has no achiever to dream with (fake)` };
      const p = truthPos(episode, start);
      const g = truthPos(goalEpisode ?? episode, goalStep);
      const xs = Array.from({ length: horizon + 1 }, (_, t) => p.x + ((g.x - p.x) * t) / horizon);
      return {
        ...dreamStart(req, context, p),
        goalEpisode: goalEpisode ?? episode,
        goalStep,
        horizon,
        goal: frames(1, () => render(g.x, g.y, goalStep)),
        frames: frames(horizon + 1, (i) => render(xs[i], 48, start + i, 6, i + 3)),
        cosineDistance: Float32Array.from(xs, (x) => Math.abs(x - g.x) / 64),
        temporalDistance: null,
        // The fake datasets are car racing: no goal env to set to a recorded state.
        realEnv: { kind: 'refused', reason: 'no real env side: the fake workspace has no goal env (fake)' },
      };
    },
    objectsView: ({ runId }) => {
      throw { code: 'conflict', message: `run ${runId}: the fake workspace has no object-graph run` };
    },
    dreamFrame: () => {
      throw { code: 'internal', message: 'not in fake' };
    },
    dreamClose: ({ sessionId }) => ({ closed: sessions.delete(sessionId) }),
    queueSettings: () => queue,
    setQueue: ({ url }) => {
      if (url && !/^rediss?:\/\//.test(url))
        throw { code: 'invalid_request', message: 'expected redis:// or rediss://', field: 'payload.url' };
      const u = url ? new URL(url) : null;
      queue = {
        url: u ? `${u.protocol}//${u.host}/0` : null,
        connected: !!u,
        error: null,
        password: u?.password ? 'memory' : 'none',
        tls: u?.protocol === 'rediss:',
      };
      return queue;
    },
    queueWorkers: () =>
      queue.connected
        ? [
            {
              id: 'gpu-1:4242',
              host: 'gpu-1',
              backend: 'tensorflow',
              load: 1.3,
              cpus: 16,
              concurrency: 2,
              runs: runs.slice(0, 1).map((r) => r.id),
              updated: new Date().toISOString(),
            },
          ]
        : [],
    listSweeps: () => [fakeSweep],
    getSweep: () => ({
      ...fakeSweep,
      rows: runs.slice(0, 2).map((r, i) => ({
        runId: r.id,
        seed: i,
        fields: { 'train.lr': 0.001 * (i + 1) },
        status: r.status,
        step: r.step,
        totalSteps: r.totalSteps,
        job: r.status === 'running' ? 'active' : 'completed',
        attempts: 1,
        worker: 'gpu-1:4242',
        message: null,
        last: r.lastMetrics,
        eval: null,
      })),
    }),
    exportFeatures: (req) => {
      return {
        bytes: new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]),
        mime: 'application/octet-stream',
        fileName: `features-${req.runId}-step${req.checkpointStep ?? 600}-${req.split ?? 'all'}.npz`,
        path: `/tmp/fake/exports/features-${req.runId}.npz`,
        checkpointStep: req.checkpointStep ?? 600,
        rows: 120,
        dim: 48,
        episodes: 3,
        heldOutRows: 40,
        stateNames: ['cart position', 'cos pole angle', 'sin pole angle'],
      };
    },
    exportStrip: ({ format }) => ({
      bytes: new Uint8Array([71, 73, 70, 56, 57, 97]),
      mime: `image/${format}`,
      fileName: `fake.${format}`,
      path: '/tmp/fake',
      frames: 1,
      width: 64,
      height: 64,
    }),
  };

  const invoke = async (channel: ChannelName, payload: unknown): Promise<Envelope<unknown>> => {
    const { CHANNEL_METHODS } = await import('../../../core/contract/names.ts');
    await new Promise((r) => setTimeout(r, 5));
    try {
      return { ok: true, result: await handlers[CHANNEL_METHODS[channel]](payload) };
    } catch (e) {
      const err = e as { code?: string; message?: string; field?: string };
      return {
        ok: false,
        error: { code: (err.code ?? 'internal') as never, message: err.message ?? String(e), field: err.field },
      };
    }
  };
  const subscribe = (event: EventName, l: (p: unknown) => void) => {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event)!.add(l);
    return () => listeners.get(event)!.delete(l);
  };
  return buildClient('web', invoke, subscribe);
}
