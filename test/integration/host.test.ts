import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportDataset, openDataset } from '../../core/data/dataset.ts';
import WebSocket from 'ws';
import { startTestHost, connect, rawSocket, until } from './host-helpers.ts';
import { WorkbenchError, type WorkbenchClient } from '../../core/contract/client.ts';
import { encodeMessage, WIRE_MAGIC } from '../../core/contract/wire.ts';
import type { MetricPoint, RunSummary } from '../../core/contract/channels.ts';

// Web mode end to end over a real WebSocket: tokens, hostile input, and a real tiny run.

let h: Awaited<ReturnType<typeof startTestHost>>;
let client: WorkbenchClient;
before(async () => {
  h = await startTestHost();
  client = await connect(h.host.wsUrl);
});
after(async () => {
  client?.close();
  await h?.close();
});

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => {});
  });
}

function httpGet(
  path: string,
  host = `127.0.0.1:${h.host.port}`,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.host.port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('binds to 127.0.0.1 and the printed URL carries a 64-hex-digit token', () => {
  assert.match(h.host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  assert.match(h.host.wsUrl, /^ws:\/\/127\.0\.0\.1:\d+\/api\?token=[0-9a-f]{64}$/);
});

test('connections without the right token, from another origin or another Host are refused', async () => {
  const base = `ws://127.0.0.1:${h.host.port}/api`;
  assert.equal(await upgradeStatus(base), 401);
  assert.equal(await upgradeStatus(`${base}?token=${'0'.repeat(64)}`), 401);
  assert.equal(await upgradeStatus(`${base}?token=${h.host.token.slice(0, 10)}`), 401);
  assert.equal(await upgradeStatus(h.host.wsUrl, { Origin: 'http://evil.example' }), 403);
  assert.equal(await upgradeStatus(h.host.wsUrl, { Host: 'attacker.example:80' }), 421);
  assert.equal(await upgradeStatus(`ws://127.0.0.1:${h.host.port}/other?token=${h.host.token}`), 404);
  assert.equal(await upgradeStatus(h.host.wsUrl, { Origin: `http://127.0.0.1:${h.host.port}` }), 101);
  // The client surfaces the refusal as an error, not a hang.
  await assert.rejects(connect(`${base}?token=nope`), /refused or closed|Unexpected server response: 401/);
});

test('static renderer files come with a CSP; traversal and foreign Host headers are refused', async () => {
  const index = await httpGet('/');
  assert.equal(index.status, 200);
  assert.match(String(index.headers['content-security-policy']), /default-src 'self'; script-src 'self'/);
  assert.match(index.body, /<html|Oneiro/);
  assert.equal((await httpGet('/../package.json')).status, 404);
  assert.equal((await httpGet('/%2e%2e/package.json')).status, 404);
  assert.equal((await httpGet('/', 'evil.example')).status, 421);
});

test('malformed and unknown messages get error replies and the host keeps answering', async () => {
  const raw = await rawSocket(h.host.wsUrl);
  assert.deepEqual((await raw.next()) as object, { t: 'hello', version: 1, protocol: 'oneiro-workbench' });
  const replies: { e?: { code: string; message: string; field?: string }; id?: unknown; ok?: boolean }[] = [];
  const ask = async (data: string | Uint8Array) => {
    raw.ws.send(data);
    const r = (await raw.next()) as (typeof replies)[number];
    replies.push(r);
    return r;
  };
  assert.equal((await ask('{not json')).e?.code, 'malformed');
  assert.equal((await ask('[1,2,3]')).e?.code, 'malformed');
  assert.equal((await ask(JSON.stringify({ t: 'req', id: 'x', ch: 'runs:list' }))).e?.code, 'malformed');
  const badMagic = new Uint8Array(16);
  assert.equal((await ask(badMagic)).e?.code, 'malformed');
  const truncated = encodeMessage({
    t: 'req',
    id: 5,
    ch: 'exports:strip',
    p: { b: new Uint8Array(100) },
  }) as Uint8Array;
  const r5 = await ask(truncated.subarray(0, truncated.length - 40));
  assert.equal(r5.e?.code, 'malformed');
  assert.match(r5.e!.message, /runs past the end/);
  const header = new Uint8Array(12);
  new DataView(header.buffer).setUint32(0, WIRE_MAGIC, true);
  new DataView(header.buffer).setUint32(4, 4, true);
  header.set(new TextEncoder().encode('{{{{'), 8);
  assert.equal((await ask(header)).e?.code, 'malformed');
  const unknown = await ask(JSON.stringify({ t: 'req', id: 7, ch: 'runs:explode', p: {} }));
  assert.deepEqual([unknown.id, unknown.e?.code], [7, 'unknown_channel']);
  const invalid = await ask(
    JSON.stringify({ t: 'req', id: 8, ch: 'datasets:frames', p: { dataset: 'x', episode: 0, start: 0, count: -1 } }),
  );
  assert.deepEqual([invalid.id, invalid.e?.code, invalid.e?.field], [8, 'invalid_request', 'payload.count']);
  // Pixels as a JSON array are refused: binary only.
  const jsonPixels = await ask(
    JSON.stringify({
      t: 'req',
      id: 9,
      ch: 'exports:strip',
      p: { source: { kind: 'frames', frames: { shape: [1, 1, 1, 3], data: [1, 2, 3] } }, format: 'png' },
    }),
  );
  assert.deepEqual([jsonPixels.e?.code, jsonPixels.e?.field], ['invalid_request', 'payload.source.frames.data']);
  // Still answering, on the same socket and on the typed client.
  const ok = await ask(JSON.stringify({ t: 'req', id: 10, ch: 'runs:list', p: {} }));
  assert.deepEqual([ok.id, ok.ok], [10, true]);
  assert.ok(Array.isArray(await client.listRuns()));
  raw.ws.close();
  assert.ok(replies.length >= 10);
});

test('end to end: collect, list, frames as binary, create and start a tiny run, metric events, stop', async () => {
  const progress: number[] = [];
  const offP = client.onCollectProgress((p) => progress.push(p.episodesDone));
  const ds = await client.collectDataset({ env: 'cartpole-swingup', dataset: 'tiny', episodes: 3, maxSteps: 30 });
  offP();
  assert.equal(ds.episodes, 3);
  assert.ok(progress.includes(3), `progress events: ${progress}`);
  const list = await client.listDatasets();
  assert.deepEqual(
    list.map((d) => d.name),
    ['tiny'],
  );
  const fr = await client.episodeFrames({ dataset: 'tiny', episode: 1, start: 2, count: 5 });
  assert.ok(fr.frames.data instanceof Uint8Array, 'frames arrive as a Uint8Array (binary frame)');
  assert.deepEqual(fr.frames.shape, [5, 64, 64, 3]);
  assert.ok(
    fr.frames.data.some((v) => v !== fr.frames.data[0]),
    'frames are not blank',
  );
  // Import (in a worker): the Dreamer-layout files of 'tiny', plus one corrupt file that is skipped.
  const exported = join(h.ws, 'exported');
  exportDataset(openDataset(h.ws, 'tiny'), exported);
  writeFileSync(join(exported, 'broken-episode.npz'), 'not a zip');
  const imp = await client.importDataset({ source: exported, name: 'reimported' });
  assert.equal(imp.imported, 3);
  assert.equal(imp.dataset.steps, ds.steps);
  assert.equal(imp.dataset.env, 'cartpole-swingup', 'the env name comes back through export → import');
  assert.deepEqual(
    imp.skipped.map((s) => s.file),
    ['broken-episode.npz'],
  );
  await assert.rejects(
    client.importDataset({ source: join(h.ws, 'nowhere'), name: 'x' }),
    (e: unknown) => e instanceof WorkbenchError && e.field === 'payload.source',
  );
  await assert.rejects(
    client.importDataset({ source: exported, name: 'tiny' }),
    (e: unknown) => e instanceof WorkbenchError && e.code === 'conflict',
  );
  const ep = await client.readEpisode({ dataset: 'tiny', episode: 0 });
  assert.ok(ep.reward instanceof Float32Array && ep.reward.length === ep.length);

  await assert.rejects(
    client.createRun({ family: 'no-such-family', dataset: 'tiny' }),
    (e: unknown) => e instanceof WorkbenchError && e.field === 'payload.family',
  );
  const statuses: RunSummary[] = [];
  const points: MetricPoint[] = [];
  const offS = client.onRunStatus((s) => statuses.push(s));
  const offM = client.onMetrics((m) => points.push(...m.points));
  // Many steps so it is still training when stopped.
  const run = await client.createRun({
    family: 'world-models',
    preset: 'debug',
    dataset: 'tiny',
    steps: 5000,
    name: 'e2e',
  });
  assert.equal(run.status, 'created');
  const started = await client.startRun({ runId: 'e2e' });
  assert.ok(['starting', 'running'].includes(started.status));
  await assert.rejects(
    client.startRun({ runId: 'e2e' }),
    (e: unknown) => e instanceof WorkbenchError && e.code === 'conflict',
  );
  await until('metric events', () => points.length >= 2, 120_000);
  assert.ok(points.every((p) => Number.isFinite(p.step) && Object.keys(p.values).length > 0));
  assert.ok(
    points.some((p) => Object.keys(p.values).some((k) => k.startsWith('vae/'))),
    'VAE losses stream during its phase',
  );
  assert.ok(statuses.some((s) => s.id === 'e2e' && s.status === 'running'));
  const stopped = await client.stopRun({ runId: 'e2e' });
  offS();
  offM();
  assert.equal(stopped.status, 'stopped');
  assert.ok(stopped.lastCheckpoint, 'stopping writes a checkpoint');
  assert.ok(
    stopped.step > 0 && stopped.step === stopped.lastCheckpoint!.step,
    `stopped at ${stopped.step}, checkpoint ${stopped.lastCheckpoint?.step}`,
  );
  const m = await client.runMetrics({ runId: 'e2e' });
  assert.ok(m.points.length >= points.length);
  assert.equal((await client.listRuns()).find((r) => r.id === 'e2e')?.status, 'stopped');
  assert.equal(h.service.runs.activeCount(), 0);

  // Dreams from the stopped run's checkpoint, over the wire as binary.
  const ol = await client.dreamOpenLoop({ runId: 'e2e', episode: 0, start: 6, horizon: 5, context: 3 });
  assert.ok(
    ol.truth.data instanceof Uint8Array && ol.dream.data instanceof Uint8Array && ol.mse instanceof Float32Array,
  );
  assert.equal(ol.context, 3);
  assert.equal(ol.horizon, 5);
  assert.deepEqual(ol.clamped, {}, 'used as asked');
  // Past the episode's end the host shortens the dream and says so.
  const cut = await client.dreamOpenLoop({ runId: 'e2e', episode: 0, start: ep.length - 4, horizon: 20, context: 3 });
  assert.deepEqual(cut.clamped, { horizon: { asked: 20, used: 3 } });
  assert.equal(cut.horizon, 3);
  assert.deepEqual(ol.truth.shape, ol.dream.shape);
  assert.equal(ol.truth.shape[0], 8);
  assert.equal(ol.mse.length, 8);
  assert.ok(
    Array.from(ol.baselineMse.subarray(3)).some((v) => v > 0),
    'copy-last-frame baseline differs from truth after the context',
  );
  // The mean-frame baseline and the foreground-weighted curves (issue 11) arrive with the dream.
  assert.ok(ol.meanFrameMse instanceof Float32Array && ol.meanFrameMse.length === 8);
  assert.ok(ol.foreground && ol.foreground.mse.length === 8 && ol.foreground.fraction.some((v) => v > 0));
  // The run's held-out measures, computed in the dream server.
  const ev = await client.runEval({ runId: 'e2e' });
  assert.equal(ev.runId, 'e2e');
  assert.equal(ev.checkpointStep, stopped.lastCheckpoint!.step);
  assert.deepEqual(Object.keys(ev.metrics['openloop_fg_mse@1'].baselines ?? {}).sort(), [
    'copy-last-frame',
    'mean-frame',
  ]);
  // The state probe's read by true value arrives too (through the contract's schema): one list per probe variable.
  const probeVars = Object.keys(ev.metrics)
    .filter((k) => /^probe_r2\/.*@0$/.test(k))
    .map((k) => k.slice('probe_r2/'.length, -'@0'.length));
  assert.ok(probeVars.length > 0, 'the run is probed');
  assert.deepEqual(Object.keys(ev.probeCalibration ?? {}).sort(), probeVars.sort());
  assert.ok(ev.notes.length > 0);
  const f0 = await client.dreamReset({ runId: 'e2e', episode: 1, step: 3 });
  const f1 = await client.dreamStep({ sessionId: f0.sessionId, action: [0.8] });
  assert.equal(f1.t, 1);
  await assert.rejects(
    client.dreamStep({ sessionId: f0.sessionId, action: [0.1, 0.2] }),
    (e: unknown) => e instanceof WorkbenchError && e.field === 'payload.action',
  );
  assert.deepEqual(await client.dreamClose({ sessionId: f0.sessionId }), { closed: true });
  await assert.rejects(
    client.dreamFrame({ sessionId: f0.sessionId }),
    (e: unknown) => e instanceof WorkbenchError && e.code === 'not_found',
  );
  // A run from an env collects its own small dataset first.
  const fromEnv = await client.createRun({ family: 'world-models', env: 'cartpole-swingup', name: 'fromenv' });
  assert.deepEqual([fromEnv.status, fromEnv.dataset, fromEnv.env], ['created', 'fromenv-data', 'cartpole-swingup']);
  assert.ok((await client.listDatasets()).some((d) => d.name === 'fromenv-data' && d.episodes === 10));
  const gif = await client.exportStrip({
    source: { kind: 'openloop', runId: 'e2e', episode: 0, start: 6, horizon: 5 },
    format: 'gif',
  });
  assert.equal(new TextDecoder().decode(gif.bytes.subarray(0, 6)), 'GIF89a');
  assert.ok(gif.frames >= 6);
});
