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

// Section 1: a workspace filled from the Dreamer fixtures (test/fixtures/numpy), and `collect` edge cases.

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
  // Episodes are named from (seed, index in the dataset), so the held-out split (a hash of the names) is the same
  // for the same seed; an appended episode gets a name of its own.
  const names = (d: string) => openDataset(ws, d).meta.episodes.map((e) => e.file);
  assert.deepEqual(names('sh-a').slice(0, 2), names('sh-b'));
  assert.equal(new Set(names('sh-a')).size, 3);
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

test('collect refuses to append at another action repeat (one line, exit 2, the dataset untouched); the same repeat appends', () => {
  const common = ['collect', '--env', 'cartpole-swingup', '--episodes', '1', '--max-steps', '4', '--size', '16'];
  assert.equal(oneiro(...common, '--action-repeat', '2', '--dataset', 'rep').code, 0);
  const before = readFileSync(join(ws, 'datasets', 'rep', 'dataset.json'), 'utf8');
  const r = oneiro(...common, '--action-repeat', '1', '--dataset', 'rep');
  assert.equal(r.code, 2, r.err);
  assert.equal(
    r.err.trim(),
    "oneiro collect: dataset 'rep' was collected at action repeat 2; collecting at 1 would mix them. Pass --action-repeat 2 or choose another --dataset name.",
  );
  assert.equal(readFileSync(join(ws, 'datasets', 'rep', 'dataset.json'), 'utf8'), before, 'nothing recorded');
  assert.equal(openDataset(ws, 'rep').meta.counts.episodes, 1);
  assert.equal(oneiro(...common, '--action-repeat', '2', '--dataset', 'rep').code, 0);
  assert.equal(openDataset(ws, 'rep').meta.counts.episodes, 2);
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

// Section 2: a workspace filled by `oneiro collect` (shapes-2d), then list → inspect → export → import →
// render → rm through the real binary, and the errors (exit 2, one line) with nothing left behind.
const wsc = join(root, 'collected');

function collected(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', wsc], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function okc(...args: string[]) {
  const r = collected(...args);
  assert.equal(r.status, 0, `oneiro ${args.join(' ')} failed: ${r.stderr.slice(-600)}`);
  return r;
}

test('collect --env shapes-2d --episodes 2 --dataset d writes Dreamer episodes and dataset.json', () => {
  const r = JSON.parse(
    okc('collect', '--env', 'shapes-2d', '--episodes', '2', '--dataset', 'd', '--seed', '3', '--json').stdout,
  );
  assert.deepEqual(r, { dataset: 'd', env: 'shapes-2d', episodes: 2, steps: 200, returns: [0, 0], totalEpisodes: 2 });
  const dir = join(wsc, 'datasets', 'd');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.npz'))
    .sort();
  assert.equal(files.length, 2);
  // Dreamer v2 names: <timestamp>-<uuid hex>-<steps>.npz with steps = rows − 1.
  for (const f of files) assert.match(f, /^\d{8}T\d{6}-[0-9a-f]{32}-100\.npz$/);
  const a = readNpz(join(dir, files[0]));
  assert.deepEqual(a.image.shape, [101, 50, 50, 3]);
  assert.equal(a.image.dtype, '|u1');
  assert.deepEqual(a.action.shape, [101, 20]);
  assert.deepEqual([...a.action.data.subarray(0, 20)], new Array(20).fill(0)); // row 0: no action led to it
  for (let t = 1; t < 101; t++)
    assert.equal(
      Array.from(a.action.data.subarray(20 * t, 20 * t + 20), Number).reduce((s, v) => s + v, 0),
      1,
      `row ${t} one-hot`,
    );
  assert.equal(a.is_first.dtype, '|b1');
  assert.deepEqual(
    [a.is_first.data[0], a.is_first.data[1], a.is_last.data[100], a.is_terminal.data[100]],
    [1, 0, 1, 0],
  );
  assert.equal(a.discount.dtype, '<f4');
  const meta = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8'));
  assert.equal(meta.env, 'shapes-2d');
  assert.deepEqual(meta.counts, { episodes: 2, steps: 200, frames: 202 });
  assert.deepEqual(meta.actionSpace, { kind: 'discrete', n: 20 });
  // Same seed into a second dataset → the same pixels (collection is deterministic).
  okc('collect', '--env', 'shapes-2d', '--episodes', '1', '--dataset', 'same', '--seed', '3');
  const f2 = readdirSync(join(wsc, 'datasets', 'same')).filter((f) => f.endsWith('.npz'));
  assert.deepEqual(
    readNpz(join(wsc, 'datasets', 'same', f2[0])).image.data,
    readNpz(join(dir, meta.episodes[0].file)).image.data,
  );
  okc('dataset', 'rm', 'same');
});

test('dataset list --json and inspect --json report counts, lengths, returns and action statistics', () => {
  const list = JSON.parse(okc('dataset', 'list', '--json').stdout) as {
    name: string;
    env: string;
    episodes: number;
    steps: number;
    observationShape: number[];
  }[];
  assert.deepEqual(
    list.map((d) => [d.name, d.env, d.episodes, d.steps, d.observationShape]),
    [['d', 'shapes-2d', 2, 200, [50, 50, 3]]],
  );
  const s = JSON.parse(okc('dataset', 'inspect', 'd', '--json').stdout);
  assert.equal(s.episodes, 2);
  assert.equal(s.steps, 200);
  assert.deepEqual(s.length, { min: 100, max: 100, mean: 100, std: 0, median: 100 });
  assert.equal(s.return.mean, 0); // shapes-2d pays nothing
  assert.equal(s.terminated, 0);
  assert.equal(s.action.mean.length, 20);
  assert.equal(s.action.counts.length, 20);
  assert.equal(
    s.action.counts.reduce((a: number, b: number) => a + b, 0),
    200,
  ); // one chosen action per step
  const sumMean = s.action.mean.reduce((a: number, b: number) => a + b, 0);
  assert.ok(Math.abs(sumMean - 1) < 1e-9, `one-hot means sum to 1, got ${sumMean}`);
  const text = okc('dataset', 'inspect', 'd').stdout;
  assert.match(text, /dataset d \(env shapes-2d\): 2 episodes, 200 steps, frames 50×50×3, actions discrete\(20\)/);
  assert.match(text, /episode length \(steps\): min 100/);
});

test('export → import round trip; the exported files load in np.load; bad files are counted and named', () => {
  const out = join(wsc, 'export');
  const e = JSON.parse(okc('dataset', 'export', 'd', '--to', out, '--json').stdout);
  assert.equal(e.files, 2);
  const files = readdirSync(out)
    .filter((f) => f.endsWith('.npz'))
    .sort();
  assert.equal(files.length, 2);
  if (havePython) {
    const script = [
      'import sys, json, numpy as np',
      'with np.load(sys.argv[1]) as f:',
      '  print(json.dumps({k: [str(f[k].dtype), list(f[k].shape)] for k in sorted(f.files)}))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, join(out, files[0])], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      action: ['float32', [101, 20]],
      discount: ['float32', [101]],
      image: ['uint8', [101, 50, 50, 3]],
      is_first: ['bool', [101]],
      is_last: ['bool', [101]],
      is_terminal: ['bool', [101]],
      reward: ['float32', [101]],
      state: ['float32', [101, 10]], // shapes-2d's vector state [row, col] × 5 objects, an extra key Dreamer ignores
    });
  }
  const imp = JSON.parse(okc('dataset', 'import', out, '--name', 'd2', '--json').stdout);
  assert.equal(imp.dataset, 'd2');
  assert.equal(imp.format, 'dreamer');
  assert.equal(imp.episodes, 2);
  assert.equal(imp.steps, 200);
  assert.deepEqual(imp.bad, []);
  const orig = readNpz(join(out, files[0]));
  const d2 = JSON.parse(readFileSync(join(wsc, 'datasets', 'd2', 'dataset.json'), 'utf8'));
  assert.deepEqual(d2.actionSpace, { kind: 'discrete', n: 20 }); // one-hot rows recognised
  const back = d2.episodes.map((x: { file: string }) => readNpz(join(wsc, 'datasets', 'd2', x.file)).image.data);
  assert.ok(
    back.some((b: Uint8Array) => Buffer.from(b).equals(Buffer.from(orig.image.data as Uint8Array))),
    'pixels survive export + import',
  );

  // A truncated copy and a non-zip among the good ones: skipped by name, counts printed, good ones kept.
  const bytes = readFileSync(join(out, files[0]));
  writeFileSync(join(out, '20240101T000000-cut-100.npz'), bytes.subarray(0, 300));
  writeFileSync(join(out, '20240101T000001-junk-100.npz'), 'hello');
  const r = collected('dataset', 'import', out, '--name', 'd3');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /imported 2 episodes \(200 steps\) into dataset 'd3'.*4 files/);
  assert.match(r.stdout, /good episodes: 2; bad files skipped: 2/);
  assert.match(r.stderr, /skipped 20240101T000000-cut-100\.npz: .*not a readable \.npz/);
  assert.match(r.stderr, /skipped 20240101T000001-junk-100\.npz: /);
  okc('dataset', 'rm', 'd3');
});

test('render: filmstrip PNG, animated GIF and WebP with the right frame counts', async () => {
  const png = join(wsc, 'x.png');
  const info = JSON.parse(
    okc('render', 'd', '--episode', '0', '--from', '0', '--to', '8', '--out', png, '--json').stdout,
  );
  assert.equal(info.frames, 8);
  const pb = readFileSync(png);
  assert.deepEqual([...pb.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const pm = await sharp(pb).metadata();
  assert.deepEqual([pm.format, pm.width, pm.height], ['png', 8 * 50 * 2, 50 * 2]); // 8 frames in a row, scale 2

  const gif = join(wsc, 'x.gif');
  okc('render', 'd', '--episode', '1', '--out', gif); // the whole episode: 101 frames
  const gb = readFileSync(gif);
  assert.equal(gb.subarray(0, 6).toString('latin1'), 'GIF89a');
  const gm = await sharp(gb).metadata();
  // Every step is a frame: identical consecutive frames (blocked moves) are kept, not merged by libvips.
  assert.deepEqual([gm.format, gm.pages, gm.width, gm.height], ['gif', 101, 50, 50]);
  assert.deepEqual(gm.delay, new Array(101).fill(50)); // 20 fps

  const webp = join(wsc, 'x.webp');
  okc('render', 'd', '--episode', '0', '--from', '5', '--to', '17', '--scale', '2', '--out', webp);
  const wb = readFileSync(webp);
  assert.equal(wb.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(wb.subarray(8, 12).toString('latin1'), 'WEBP');
  const wm = await sharp(wb).metadata();
  // libwebp's animation encoder always merges identical consecutive frames into one with the summed duration
  // (sharp exposes no switch), so pages = runs of identical frames in 5..16 and the timing is kept.
  const epw = readNpz(
    join(
      wsc,
      'datasets',
      'd',
      JSON.parse(readFileSync(join(wsc, 'datasets', 'd', 'dataset.json'), 'utf8')).episodes[0].file,
    ),
  );
  const fs = 50 * 50 * 3;
  const img = epw.image.data as Uint8Array;
  const runs: number[] = [];
  for (let t = 5; t < 17; t++) {
    const same =
      t > 5 && Buffer.from(img.subarray(t * fs, (t + 1) * fs)).equals(Buffer.from(img.subarray((t - 1) * fs, t * fs)));
    if (same) runs[runs.length - 1] += 1;
    else runs.push(1);
  }
  assert.deepEqual([wm.format, wm.pages, wm.width, wm.height], ['webp', runs.length, 100, 100]);
  assert.deepEqual(
    wm.delay,
    runs.map((r) => 50 * r),
  );
  // The first GIF page is the episode's first frame (palette quantisation aside, shapes-2d colours are few).
  const ep = readNpz(
    join(
      wsc,
      'datasets',
      'd',
      JSON.parse(readFileSync(join(wsc, 'datasets', 'd', 'dataset.json'), 'utf8')).episodes[1].file,
    ),
  );
  const first = await sharp(gb, { page: 0 }).removeAlpha().raw().toBuffer();
  const want = (ep.image.data as Uint8Array).subarray(0, 50 * 50 * 3);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(first[i] - want[i]));
  assert.ok(maxDiff <= 8, `GIF frame 0 differs from the episode's frame 0 by ${maxDiff}`);
});

test('ONEIRO_WORKSPACE is the default workspace', () => {
  const l = spawnSync(process.execPath, [bin, 'dataset', 'list', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1', ONEIRO_WORKSPACE: wsc },
  });
  assert.equal(l.status, 0, l.stderr);
  assert.ok((JSON.parse(l.stdout) as { name: string }[]).some((d) => d.name === 'd'));
});

test('dataset rm deletes the folder', () => {
  const r = JSON.parse(okc('dataset', 'rm', 'd2', '--json').stdout);
  assert.deepEqual(r, { removed: 'd2', episodes: 2 });
  assert.equal(existsSync(join(wsc, 'datasets', 'd2')), false);
  assert.deepEqual(
    (JSON.parse(okc('dataset', 'list', '--json').stdout) as { name: string }[]).map((d) => d.name),
    ['d'],
  );
});

test('clear errors (exit 2, one line naming the problem, nothing written) for bad flags, missing datasets and ranges', () => {
  const cases: [string[], RegExp][] = [
    [
      ['collect', '--env', 'nope', '--episodes', '1', '--dataset', 'q'],
      /unknown environment 'nope'\. Expected one of: car-racing, .*shapes-2d/,
    ],
    [
      ['collect', '--env', 'shapes-2d', '--episodes', '1', '--dataset', 'q', '--bogus'],
      /Unknown option '--bogus' \(see 'oneiro collect --help'\)/,
    ],
    [
      ['collect', '--env', 'shapes-2d', '--episodes', 'two', '--dataset', 'q'],
      /--episodes must be an integer >= 1 and <= 10000, got 'two'/,
    ],
    [['collect', '--env', 'shapes-2d', '--episodes', '1'], /--dataset is required/],
    [
      ['collect', '--env', 'cartpole-swingup', '--episodes', '1', '--dataset', 'd', '--max-steps', '5'],
      /dataset 'd' exists with env shapes-2d.*would not fit/,
    ],
    [['dataset', 'inspect', 'missing'], /no dataset 'missing' in .*datasets \(have: d\)/],
    [['dataset', 'rm', 'missing'], /no dataset 'missing'/],
    [['render', 'missing', '--episode', '0', '--out', join(wsc, 'y.png')], /no dataset 'missing'/],
    [
      ['render', 'd', '--episode', '7', '--out', join(wsc, 'y.png')],
      /dataset 'd' has 2 episodes; episode index 7 is outside \[0, 1\]/,
    ],
    [
      ['render', 'd', '--episode', '0', '--out', join(wsc, 'y.jpg')],
      /unsupported extension '\.jpg', expected \.png, \.gif or \.webp/,
    ],
    [
      ['render', 'd', '--episode', '0', '--from', '200', '--out', join(wsc, 'y.png')],
      /frame range \[200, 101\) is empty or outside episode 0 \(101 frames\)/,
    ],
    [['dataset', 'import', join(wsc, 'export'), '--name', 'd'], /dataset 'd' already exists/],
    [['dataset', 'import', join(wsc, 'export'), '--name', '../evil'], /dataset name '\.\.\/evil' is not valid/],
  ];
  for (const [args, re] of cases) {
    const r = collected(...args);
    assert.equal(r.status, 2, `oneiro ${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.equal(existsSync(join(wsc, 'datasets', 'q')), false);
  assert.equal(existsSync(join(wsc, 'y.png')), false);
});
