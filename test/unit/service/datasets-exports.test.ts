import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DatasetService } from '../../../core/service/datasets.ts';
import { DreamService } from '../../../core/runs/dreams.ts';
import { EventHub } from '../../../core/service/events.ts';
import { exportStrip } from '../../../core/runs/exports.ts';
import { addEpisode, createDataset } from '../../../core/data/dataset.ts';
import type { Episode } from '../../../core/data/episode.ts';
import { validateReply, validateRequest } from '../../../core/contract/validate.ts';
import { FakeLauncher } from './fake-launcher.ts';

// Datasets and exports of the service on a tiny hand-made dataset: every reply must pass the
// contract's reply schema (what the hosts check), and the media must be what they claim.

let ws: string;
let datasets: DatasetService;
let dreams: DreamService;
const T = 6;
const S = 8;

function episode(seed: number): Episode {
  const image = new Uint8Array(T * S * S * 3);
  for (let t = 0; t < T; t++) image.fill(10 * t + seed, t * S * S * 3, (t + 1) * S * S * 3); // frame t is flat grey 10t+seed
  const isFirst = new Uint8Array(T);
  isFirst[0] = 1;
  const isLast = new Uint8Array(T);
  isLast[T - 1] = 1;
  return {
    image,
    imageShape: [T, S, S, 3],
    action: Float32Array.from({ length: T * 2 }, (_, i) => (i < 2 ? 0 : (i % 3) - 1)),
    actionDim: 2,
    reward: Float32Array.from({ length: T }, (_, t) => (t ? 1 : 0)),
    isFirst,
    isLast,
    isTerminal: new Uint8Array(T),
    discount: new Float32Array(T).fill(1),
  };
}

before(() => {
  ws = mkdtempSync(join(tmpdir(), 'oneiro-ds-'));
  const ds = createDataset(ws, 'hand', {
    env: null,
    observationShape: [S, S, 3],
    actionSpace: { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] },
    source: { kind: 'test' },
  });
  addEpisode(ds, episode(0));
  addEpisode(ds, episode(1));
  datasets = new DatasetService(ws, new EventHub(), new FakeLauncher());
  dreams = new DreamService(ws);
});
after(() => rmSync(ws, { recursive: true, force: true }));

const parse = <C extends Parameters<typeof validateRequest>[0]>(c: C, p: unknown) => {
  const r = validateRequest(c, p);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
};

test('list, inspect and episode replies match the contract', () => {
  const list = datasets.list();
  assert.equal(validateReply('datasets:list', list), null);
  assert.deepEqual(
    list.map((d) => [d.name, d.episodes, d.steps, d.actionDim, d.source]),
    [['hand', 2, 10, 2, 'test']],
  );
  const d = datasets.inspect(parse('datasets:inspect', { dataset: 'hand' }));
  assert.equal(validateReply('datasets:inspect', d), null);
  assert.deepEqual(d.returns, { min: 5, max: 5, mean: 5, std: 0 });
  const ep = datasets.episode(parse('datasets:episode', { dataset: 'hand', episode: 1 }));
  assert.equal(validateReply('datasets:episode', ep), null);
  assert.equal(ep.length, T);
  assert.deepEqual(Array.from(ep.reward), [0, 1, 1, 1, 1, 1]);
});

test('frames by range and stride are the right frames', async () => {
  const r = await datasets.frames(
    parse('datasets:frames', { dataset: 'hand', episode: 1, start: 1, count: 3, stride: 2 }),
  );
  assert.equal(validateReply('datasets:frames', r), null);
  assert.deepEqual(r.frames.shape, [3, S, S, 3]);
  const F = S * S * 3;
  assert.deepEqual(
    [r.frames.data[0], r.frames.data[F], r.frames.data[2 * F]],
    [11, 31, 51],
    'frames 1, 3, 5 of episode 1',
  );
  const tail = await datasets.frames(parse('datasets:frames', { dataset: 'hand', episode: 0, start: 4, count: 10 }));
  assert.deepEqual(tail.frames.shape, [2, S, S, 3], 'clamped at the episode end');
  await assert.rejects(
    () => datasets.frames(parse('datasets:frames', { dataset: 'hand', episode: 5, start: 0, count: 1 })),
    /episode index 5 is outside/,
  );
  await assert.rejects(
    () => datasets.frames(parse('datasets:frames', { dataset: 'nope', episode: 0, start: 0, count: 1 })),
    /no dataset 'nope'/,
  );
});

test('exports: PNG filmstrip, GIF and WebP animations with the right size and frame count, saved in exports/', async () => {
  const png = await exportStrip(
    ws,
    dreams,
    parse('exports:strip', {
      source: { kind: 'episode', dataset: 'hand', episode: 0, count: 4 },
      format: 'png',
      scale: 3,
    }),
  );
  assert.equal(validateReply('exports:strip', png), null);
  assert.deepEqual([...png.bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const pm = await sharp(png.bytes).metadata();
  assert.equal(pm.height, S * 3);
  assert.ok(pm.width! >= 4 * S * 3, `4 frames side by side: ${pm.width}`);
  assert.equal(png.mime, 'image/png');
  assert.ok(existsSync(png.path) && readFileSync(png.path).equals(Buffer.from(png.bytes)));

  const frames = new Uint8Array(5 * S * S * 3).map((_, i) => (i * 7) % 256);
  const gif = await exportStrip(
    ws,
    dreams,
    parse('exports:strip', {
      source: { kind: 'frames', frames: { shape: [5, S, S, 3], data: frames } },
      format: 'gif',
      scale: 2,
      fps: 20,
      name: 'played',
    }),
  );
  assert.equal(new TextDecoder().decode(gif.bytes.subarray(0, 6)), 'GIF89a');
  const gm = await sharp(gif.bytes, { animated: true }).metadata();
  assert.deepEqual(
    [gm.pages, gm.width, gm.pageHeight, gif.frames, gif.width, gif.height],
    [5, 2 * S, 2 * S, 5, 2 * S, 2 * S],
  );
  assert.ok(
    gm.delay!.every((d) => d === 50),
    `20 fps = 50 ms per frame: ${gm.delay}`,
  );
  assert.match(gif.fileName, /^played-\d{8}T\d{6}\.gif$/);

  const webp = await exportStrip(
    ws,
    dreams,
    parse('exports:strip', {
      source: { kind: 'episode', dataset: 'hand', episode: 1, start: 2, count: 3 },
      format: 'webp',
    }),
  );
  assert.equal(new TextDecoder().decode(webp.bytes.subarray(8, 12)), 'WEBP');
  assert.equal((await sharp(webp.bytes, { animated: true }).metadata()).pages, 3);

  await assert.rejects(
    exportStrip(
      ws,
      dreams,
      parse('exports:strip', {
        source: { kind: 'frames', frames: { shape: [2, S, S, 3], data: new Uint8Array(10) } },
        format: 'png',
      }),
    ),
    (e: any) => e.code === 'invalid_request' && e.field === 'payload.source.frames.data',
  );
});
