import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { addEpisode, createDataset } from '../../core/data/dataset.ts';
import type { Episode } from '../../core/data/episode.ts';
import { validateRequest } from '../../core/contract/validate.ts';
import { createWorkbenchService } from '../../core/service/service.ts';
import { DreamService } from '../../core/runs/dreams.ts';
import { DreamWorkerClient } from '../../core/service/dream-worker.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { FakeLauncher } from '../unit/service/fake-launcher.ts';

// Hardening issue, item 6: a PNG/GIF strip export ran on the host's thread (episode read, grid composed
// in JS, encode, atomic write) and stalled its event loop for 1.6–2.3 s. Exports now run in the dream
// server: the host only forwards the validated request and the reply.

let ws: string;
const T = 400;
const S = 64;

function noisyEpisode(): Episode {
  const image = new Uint8Array(T * S * S * 3);
  let x = 12345;
  for (let i = 0; i < image.length; i++) image[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const flag = (at: number) => Uint8Array.from({ length: T }, (_, t) => (t === at ? 1 : 0));
  return {
    image,
    imageShape: [T, S, S, 3],
    action: new Float32Array(T),
    actionDim: 1,
    reward: new Float32Array(T),
    isFirst: flag(0),
    isLast: flag(T - 1),
    isTerminal: new Uint8Array(T),
    discount: new Float32Array(T).fill(1),
  };
}

before(() => {
  ws = mkdtempSync(join(tmpdir(), 'oneiro-export-thread-'));
  const ds = createDataset(ws, 'noise', {
    env: null,
    observationShape: [S, S, 3],
    actionSpace: { kind: 'box', shape: [1], low: [-1], high: [1] },
    source: { kind: 'test' },
  });
  addEpisode(ds, noisyEpisode());
});
after(() => rmSync(ws, { recursive: true, force: true }));

const request = (format: 'gif' | 'png', count = T, scale = 2) => {
  const r = validateRequest('exports:strip', {
    source: { kind: 'episode', dataset: 'noise', episode: 0, start: 0, count },
    format,
    scale,
  });
  assert.ok(r.ok);
  return r.value;
};

/** Max event-loop delay (ms) while `work` runs; the monitor needs a few samples before the work starts. */
async function maxStall(work: () => Promise<unknown>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await new Promise((r) => setTimeout(r, 100));
  await work();
  await new Promise((r) => setTimeout(r, 50));
  h.disable();
  return h.max / 1e6;
}

test('the service hands exports to the dream server and encodes nothing itself', async () => {
  const launcher = new FakeLauncher();
  const service = createWorkbenchService({ workspace: ws, host: 'web', launcher });
  try {
    const before = existsSync(join(ws, 'exports')) ? readdirSync(join(ws, 'exports')).length : 0;
    const reply = service.api.exportStrip(request('png', 4));
    const w = launcher.last();
    assert.equal(w.name, 'dreams');
    w.say({ type: 'ready', pid: w.pid });
    w.say({ type: 'started', backend: 'cpu' });
    await new Promise((r) => setTimeout(r, 0));
    const call = w.received.find((m) => m.type === 'call');
    assert.ok(call && call.type === 'call');
    assert.equal(call.method, 'exportStrip');
    assert.deepEqual(call.req, request('png', 4));
    const fake = {
      bytes: new Uint8Array([1]),
      mime: 'image/png',
      fileName: 'x.png',
      path: '/x',
      frames: 4,
      width: 1,
      height: 1,
    };
    w.say({ type: 'reply', id: call.id, ok: true, value: fake });
    assert.deepEqual(await reply, fake);
    const after = existsSync(join(ws, 'exports')) ? readdirSync(join(ws, 'exports')).length : 0;
    assert.equal(after, before, 'the host wrote no export file itself');
  } finally {
    void service.close();
    for (const w of launcher.workers) w.exit(0, null);
  }
});

test('a real dream server exports; the host event loop stays responsive (regression guard, generous bound)', async (t) => {
  // 400 frames at scale 8 as one PNG: composing 105 Mpx in JS blocked the host for ~2.4 s here.
  const big = request('png', T, 8);
  const inHost = await maxStall(() => new DreamService(ws).exportStrip(big));
  const dreams = new DreamWorkerClient(ws, forkLauncher(), 'cpu');
  try {
    const gif = await dreams.exportStrip(request('gif', 3)); // also starts the server (tsx, tfjs): not measured
    const meta = await sharp(gif.bytes).metadata();
    assert.deepEqual([meta.format, meta.pages, meta.width, meta.height], ['gif', 3, S * 2, S * 2]);
    assert.ok(existsSync(gif.path), 'the dream server wrote the export into the workspace');
    let png: { width: number; height: number } | null = null;
    const viaServer = await maxStall(async () => (png = await dreams.exportStrip(big)));
    assert.deepEqual([png!.width, png!.height], [16 * S * 8, (T / 16) * S * 8]);
    t.diagnostic(
      `max event-loop delay during the export: in the host ${inHost.toFixed(0)} ms, via the dream server ${viaServer.toFixed(0)} ms`,
    );
    // Wall-clock on a shared machine: only a gross stall (the old behaviour) fails this.
    assert.ok(viaServer < 1000, `the host stalled ${viaServer.toFixed(0)} ms during an export`);
  } finally {
    await dreams.close();
  }
});
