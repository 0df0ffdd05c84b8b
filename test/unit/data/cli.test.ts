import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openDataset, readEpisode } from '../../../core/data/dataset.ts';
import { readNpz } from '../../../core/data/npz.ts';

const bin = new URL('../../../bin/oneiro.mjs', import.meta.url).pathname;
const FIX = new URL('../../fixtures/numpy/', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'oneiro-cli-data-'));
const ws = join(root, 'ws');
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

function oneiro(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const havePython = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

test('dataset import reports good and bad files by name, then list / inspect / export / rm', async () => {
  const src = join(root, 'src');
  mkdirSync(src);
  const good = readdirSync(join(FIX, 'dreamer_v2'))[0];
  copyFileSync(join(FIX, 'dreamer_v2', good), join(src, good));
  const bytes = readFileSync(join(FIX, 'dreamer_v2', good));
  writeFileSync(join(src, '20240101T000009-bad-6.npz'), bytes.subarray(0, 100));

  let r = oneiro('dataset', 'import', src, '--name', 'v2');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /imported 1 episodes \(6 steps\) into dataset 'v2'/);
  assert.match(r.out, /good episodes: 1; bad files skipped: 1/);
  assert.match(r.err, /skipped 20240101T000009-bad-6\.npz: not a readable \.npz \(zip\) archive/);

  r = oneiro('dataset', 'import', src, '--name', 'v2');
  assert.equal(r.code, 2);
  assert.match(r.err, /dataset 'v2' already exists/);

  r = oneiro('dataset', 'import', join(FIX, 'dreamer_v1'), '--name', 'v1', '--format', 'dreamer', '--json');
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out);
  assert.equal(rep.episodes, 1);
  assert.equal(rep.converted['action float16 → float32'], 1);

  r = oneiro('dataset', 'import', join(FIX, 'dreamerv3'), '--name', 'v3');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /imported 2 episodes \(7 steps\) into dataset 'v3' .*format dreamerv3/);
  assert.match(r.out, /joined across chunks \(1 episode\)/);

  r = oneiro('dataset', 'list', '--json');
  const list = JSON.parse(r.out) as { name: string; episodes: number; actionSpace: { kind: string; n?: number } }[];
  assert.deepEqual(
    list.map((d) => [d.name, d.episodes]),
    [
      ['v1', 1],
      ['v2', 1],
      ['v3', 2],
    ],
  );
  assert.deepEqual(list[2].actionSpace, { kind: 'discrete', n: 4 });

  r = oneiro('dataset', 'inspect', 'v3', '--json');
  const stats = JSON.parse(r.out);
  assert.deepEqual(
    [stats.episodes, stats.steps, stats.length.min, stats.length.max, stats.terminated],
    [2, 7, 3, 4, 1],
  );
  assert.deepEqual(stats.action.counts, [0, 3, 2, 2]); // v2 actions after reset: [1,2,3] and [3,2,1,1]
  assert.equal(stats.return.max, 26); // 5 + 6 + 7 + 8
  r = oneiro('dataset', 'inspect', 'v3');
  assert.match(r.out, /return: min 6\.00 +median 16\.00/);

  const out = join(root, 'exported');
  r = oneiro('dataset', 'export', 'v3', '--to', out);
  assert.equal(r.code, 0, r.err);
  const files = readdirSync(out)
    .filter((f) => f.endsWith('.npz'))
    .sort();
  assert.equal(files.length, 2);
  for (const f of files) assert.match(f, /^\d{8}T\d{6}-[0-9a-f]{32}-\d+\.npz$/);
  const arrays = readNpz(join(out, files[0]));
  assert.deepEqual(Object.keys(arrays).sort(), [
    'action',
    'discount',
    'image',
    'is_first',
    'is_last',
    'is_terminal',
    'reward',
  ]);
  if (havePython) {
    // Our episode files load in numpy with the Dreamer dtypes and shapes.
    const py =
      'import sys, json, numpy as np\nf = np.load(sys.argv[1])\nprint(json.dumps({k: [str(f[k].dtype), list(f[k].shape)] for k in f.files}))';
    const p = spawnSync('python3', ['-c', py, join(out, files[0])], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    const got = JSON.parse(p.stdout);
    const T = arrays.image.shape[0];
    assert.deepEqual(got, {
      image: ['uint8', [T, 4, 4, 3]],
      action: ['float32', [T, 4]],
      reward: ['float32', [T]],
      is_first: ['bool', [T]],
      is_last: ['bool', [T]],
      is_terminal: ['bool', [T]],
      discount: ['float32', [T]],
    });
  }

  r = oneiro('dataset', 'rm', 'v1');
  assert.equal(r.code, 0);
  assert.equal(existsSync(join(ws, 'datasets', 'v1')), false);
  r = oneiro('dataset', 'inspect', 'v1');
  assert.equal(r.code, 2);
  assert.match(r.err, /oneiro dataset: no dataset 'v1' in .*\(have: v2, v3\)/);
  await Promise.resolve();
});

test('dataset command errors name what was wrong', () => {
  let r = oneiro('dataset', 'frob');
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown subcommand 'frob': expected list, inspect, import, export or rm/);
  r = oneiro('dataset', 'import', join(root, 'nowhere'), '--name', 'x');
  assert.match(r.err, /nowhere is not a folder/);
  r = oneiro('dataset', 'import', FIX, '--name', 'bad name');
  assert.match(r.err, /dataset name 'bad name' is not valid/);
  r = oneiro('dataset', 'import', FIX);
  assert.match(r.err, /--name is required/);
  r = oneiro('dataset', 'import', join(FIX, 'dreamer_v2'), '--name', 'y', '--format', 'atari');
  assert.match(r.err, /--format must be 'dreamer' or 'dreamerv3', got 'atari'/);
});

test('collect: seeded, progress line, appends to a compatible dataset; brownian and random policies', () => {
  let r = oneiro(
    'collect',
    '--env',
    'shapes-2d',
    '--episodes',
    '2',
    '--max-steps',
    '6',
    '--seed',
    '3',
    '--dataset',
    'sh-a',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /collect shapes-2d: 2\/2 in/);
  assert.match(r.out, /collected 2 episodes \(12 steps/);
  oneiro('collect', '--env', 'shapes-2d', '--episodes', '2', '--max-steps', '6', '--seed', '3', '--dataset', 'sh-b');
  const a = openDataset(ws, 'sh-a');
  const b = openDataset(ws, 'sh-b');
  assert.deepEqual(a.meta.observationShape, [50, 50, 3]);
  assert.deepEqual(a.meta.actionSpace, { kind: 'discrete', n: 20 });
  for (let i = 0; i < 2; i++) {
    const [x, y] = [readEpisode(a, i), readEpisode(b, i)];
    assert.deepEqual(x.image, y.image);
    assert.deepEqual(x.action, y.action);
    assert.equal(x.imageShape[0], 7);
    for (let t = 1; t < 7; t++)
      assert.equal(
        x.action.slice(t * 20, t * 20 + 20).reduce((s, v) => s + v, 0),
        1,
      ); // one-hot
    assert.deepEqual([...x.action.slice(0, 20)], new Array(20).fill(0));
    assert.equal(x.extra?.state.shape[1], 10);
  }
  r = oneiro(
    'collect',
    '--env',
    'shapes-2d',
    '--episodes',
    '1',
    '--max-steps',
    '6',
    '--seed',
    '4',
    '--dataset',
    'sh-a',
    '--json',
  );
  assert.equal(JSON.parse(r.out).totalEpisodes, 3);
  r = oneiro(
    'collect',
    '--env',
    'cartpole-swingup',
    '--episodes',
    '1',
    '--max-steps',
    '30',
    '--policy',
    'brownian',
    '--dataset',
    'cp',
    '--size',
    '32',
  );
  assert.equal(r.code, 0, r.err);
  const ep = readEpisode(openDataset(ws, 'cp'), 0);
  assert.deepEqual(ep.imageShape, [31, 32, 32, 3]);
  // Brownian steps are √(1/50)·N(0,1) ≈ 0.14 typical, far smoother than uniform noise in [−1, 1].
  let jump = 0;
  for (let t = 2; t < 31; t++) jump = Math.max(jump, Math.abs(ep.action[t] - ep.action[t - 1]));
  assert.ok(jump < 0.7, `largest brownian step ${jump}`);

  r = oneiro('collect', '--env', 'cartpole-swingup', '--episodes', '1', '--max-steps', '5', '--dataset', 'sh-a');
  assert.equal(r.code, 2);
  assert.match(r.err, /dataset 'sh-a' exists with env shapes-2d/);
  r = oneiro('collect', '--env', 'shapes-2d', '--episodes', '1', '--policy', 'brownian', '--dataset', 'z');
  assert.match(r.err, /--policy brownian needs a continuous \(box\) action space/);
  r = oneiro('collect', '--env', 'nope', '--episodes', '1', '--dataset', 'z');
  assert.match(r.err, /unknown environment 'nope'/);
  r = oneiro('collect', '--env', 'shapes-2d', '--episodes', '0', '--dataset', 'z');
  assert.match(r.err, /--episodes must be an integer >= 1 and <= 10000, got '0'/);
});

test('render: filmstrip PNG, animated GIF and WebP of an episode range', async () => {
  let r = oneiro(
    'render',
    'sh-a',
    '--episode',
    '1',
    '--from',
    '1',
    '--to',
    '5',
    '--scale',
    '2',
    '--out',
    join(root, 'strip.png'),
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /4 frames \(1\.\.4\) of episode 1, 100×100 px each, PNG/);
  const m = await sharp(join(root, 'strip.png')).metadata();
  assert.deepEqual([m.width, m.height], [4 * 100, 100]);
  const ep = readEpisode(openDataset(ws, 'sh-a'), 1);
  const png = await sharp(join(root, 'strip.png')).raw().toBuffer();
  // Pixel (x, y) of frame 1 at scale 2 equals the episode's frame-1 pixel (x/2, y/2).
  for (const [x, y] of [
    [21, 21],
    [61, 33],
    [95, 7],
  ]) {
    const src = (1 * 2500 + Math.floor(y / 2) * 50 + Math.floor(x / 2)) * 3;
    assert.deepEqual([...png.subarray((y * 400 + x) * 3, (y * 400 + x) * 3 + 3)], [...ep.image.subarray(src, src + 3)]);
  }
  for (const ext of ['gif', 'webp']) {
    r = oneiro('render', 'sh-a', '--episode', '0', '--out', join(root, `ep.${ext}`), '--fps', '10');
    assert.equal(r.code, 0, r.err);
    const a = await sharp(join(root, `ep.${ext}`), { animated: true }).metadata();
    assert.deepEqual([a.format, a.pageHeight, a.width], [ext, 50, 50]);
    // 7 frames at 10 fps. libwebp's animation encoder merges identical consecutive frames (a blocked move in
    // shapes-2d repeats the frame) into one with the summed delay, so check the total duration, not the count.
    assert.equal(
      a.delay!.reduce((x, y) => x + y, 0),
      700,
    );
    if (ext === 'gif') assert.equal(a.pages, 7);
    else assert.ok(a.pages! >= 2 && a.pages! <= 7);
  }
  r = oneiro('render', 'sh-a', '--episode', '9', '--out', join(root, 'x.png'));
  assert.equal(r.code, 2);
  assert.match(r.err, /dataset 'sh-a' has 3 episodes; episode index 9 is outside \[0, 2\]/);
  r = oneiro('render', 'sh-a', '--episode', '0', '--out', join(root, 'x.mp4'));
  assert.match(r.err, /unsupported extension '\.mp4', expected \.png, \.gif or \.webp/);
  r = oneiro('render', 'sh-a', '--episode', '0', '--from', '50', '--out', join(root, 'x.png'));
  assert.match(r.err, /frame range \[50, 7\) is empty or outside episode 0 \(7 frames\)/);
  r = oneiro('render', 'sh-a', '--out', join(root, 'x.png'));
  assert.match(r.err, /--episode is required/);
});
