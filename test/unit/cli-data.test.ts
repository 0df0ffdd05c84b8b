import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { readNpz } from '../../core/data/npz.ts';

// End-to-end through the real binary: collect → list → inspect → export → import → render → rm, and the errors.
const root = fileURLToPath(new URL('../../', import.meta.url));
const ws = mkdtempSync(join(tmpdir(), 'oneiro-cli-data-'));
after(() => rmSync(ws, { recursive: true, force: true }));

function oneiro(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/oneiro.mjs', ...args, '--workspace', ws], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]) {
  const r = oneiro(...args);
  assert.equal(r.status, 0, `oneiro ${args.join(' ')} failed: ${r.stderr.slice(-600)}`);
  return r;
}

const py = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const havePython = py.status === 0;

test('collect --env shapes-2d --episodes 2 --dataset d writes Dreamer episodes and dataset.json', () => {
  const r = JSON.parse(
    ok('collect', '--env', 'shapes-2d', '--episodes', '2', '--dataset', 'd', '--seed', '3', '--json').stdout,
  );
  assert.deepEqual(r, { dataset: 'd', env: 'shapes-2d', episodes: 2, steps: 200, returns: [0, 0], totalEpisodes: 2 });
  const dir = join(ws, 'datasets', 'd');
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
  ok('collect', '--env', 'shapes-2d', '--episodes', '1', '--dataset', 'same', '--seed', '3');
  const f2 = readdirSync(join(ws, 'datasets', 'same')).filter((f) => f.endsWith('.npz'));
  assert.deepEqual(
    readNpz(join(ws, 'datasets', 'same', f2[0])).image.data,
    readNpz(join(dir, meta.episodes[0].file)).image.data,
  );
  ok('dataset', 'rm', 'same');
});

test('dataset list --json and inspect --json report counts, lengths, returns and action statistics', () => {
  const list = JSON.parse(ok('dataset', 'list', '--json').stdout) as {
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
  const s = JSON.parse(ok('dataset', 'inspect', 'd', '--json').stdout);
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
  const text = ok('dataset', 'inspect', 'd').stdout;
  assert.match(text, /dataset d \(env shapes-2d\): 2 episodes, 200 steps, frames 50×50×3, actions discrete\(20\)/);
  assert.match(text, /episode length \(steps\): min 100/);
});

test('export → import round trip; the exported files load in np.load; bad files are counted and named', () => {
  const out = join(ws, 'export');
  const e = JSON.parse(ok('dataset', 'export', 'd', '--to', out, '--json').stdout);
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
  const imp = JSON.parse(ok('dataset', 'import', out, '--name', 'd2', '--json').stdout);
  assert.equal(imp.dataset, 'd2');
  assert.equal(imp.format, 'dreamer');
  assert.equal(imp.episodes, 2);
  assert.equal(imp.steps, 200);
  assert.deepEqual(imp.bad, []);
  const orig = readNpz(join(out, files[0]));
  const d2 = JSON.parse(readFileSync(join(ws, 'datasets', 'd2', 'dataset.json'), 'utf8'));
  assert.deepEqual(d2.actionSpace, { kind: 'discrete', n: 20 }); // one-hot rows recognised
  const back = d2.episodes.map((x: { file: string }) => readNpz(join(ws, 'datasets', 'd2', x.file)).image.data);
  assert.ok(
    back.some((b: Uint8Array) => Buffer.from(b).equals(Buffer.from(orig.image.data as Uint8Array))),
    'pixels survive export + import',
  );

  // A truncated copy and a non-zip among the good ones: skipped by name, counts printed, good ones kept.
  const bytes = readFileSync(join(out, files[0]));
  writeFileSync(join(out, '20240101T000000-cut-100.npz'), bytes.subarray(0, 300));
  writeFileSync(join(out, '20240101T000001-junk-100.npz'), 'hello');
  const r = oneiro('dataset', 'import', out, '--name', 'd3');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /imported 2 episodes \(200 steps\) into dataset 'd3'.*4 files/);
  assert.match(r.stdout, /good episodes: 2; bad files skipped: 2/);
  assert.match(r.stderr, /skipped 20240101T000000-cut-100\.npz: .*not a readable \.npz/);
  assert.match(r.stderr, /skipped 20240101T000001-junk-100\.npz: /);
  ok('dataset', 'rm', 'd3');
});

test('render: filmstrip PNG, animated GIF and WebP with the right frame counts', async () => {
  const png = join(ws, 'x.png');
  const info = JSON.parse(
    ok('render', 'd', '--episode', '0', '--from', '0', '--to', '8', '--out', png, '--json').stdout,
  );
  assert.equal(info.frames, 8);
  const pb = readFileSync(png);
  assert.deepEqual([...pb.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const pm = await sharp(pb).metadata();
  assert.deepEqual([pm.format, pm.width, pm.height], ['png', 8 * 50 * 2, 50 * 2]); // 8 frames in a row, scale 2

  const gif = join(ws, 'x.gif');
  ok('render', 'd', '--episode', '1', '--out', gif); // the whole episode: 101 frames
  const gb = readFileSync(gif);
  assert.equal(gb.subarray(0, 6).toString('latin1'), 'GIF89a');
  const gm = await sharp(gb).metadata();
  // Every step is a frame: identical consecutive frames (blocked moves) are kept, not merged by libvips.
  assert.deepEqual([gm.format, gm.pages, gm.width, gm.height], ['gif', 101, 50, 50]);
  assert.deepEqual(gm.delay, new Array(101).fill(50)); // 20 fps

  const webp = join(ws, 'x.webp');
  ok('render', 'd', '--episode', '0', '--from', '5', '--to', '17', '--scale', '2', '--out', webp);
  const wb = readFileSync(webp);
  assert.equal(wb.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(wb.subarray(8, 12).toString('latin1'), 'WEBP');
  const wm = await sharp(wb).metadata();
  // libwebp's animation encoder always merges identical consecutive frames into one with the summed duration
  // (sharp exposes no switch), so pages = runs of identical frames in 5..16 and the timing is kept.
  const epw = readNpz(
    join(
      ws,
      'datasets',
      'd',
      JSON.parse(readFileSync(join(ws, 'datasets', 'd', 'dataset.json'), 'utf8')).episodes[0].file,
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
      ws,
      'datasets',
      'd',
      JSON.parse(readFileSync(join(ws, 'datasets', 'd', 'dataset.json'), 'utf8')).episodes[1].file,
    ),
  );
  const first = await sharp(gb, { page: 0 }).removeAlpha().raw().toBuffer();
  const want = (ep.image.data as Uint8Array).subarray(0, 50 * 50 * 3);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(first[i] - want[i]));
  assert.ok(maxDiff <= 8, `GIF frame 0 differs from the episode's frame 0 by ${maxDiff}`);
});

test('dataset import --format dreamerv3 reports what it converted; ONEIRO_WORKSPACE is the default workspace', () => {
  const v3 = join(root, 'test', 'fixtures', 'numpy', 'dreamerv3');
  const r = JSON.parse(ok('dataset', 'import', v3, '--name', 'v3', '--format', 'dreamerv3', '--json').stdout);
  assert.equal(r.format, 'dreamerv3');
  assert.equal(r.episodes, 2);
  assert.equal(r.converted['joined across chunks'], 1);
  assert.equal(r.converted['discrete action <i4 index → one-hot float32 [4]'], 2);
  const text = oneiro('dataset', 'inspect', 'v3');
  assert.match(text.stdout, /2 episodes, 7 steps, frames 4×4×3, actions discrete\(4\)/);
  ok('dataset', 'rm', 'v3');
  // Without --workspace: ONEIRO_WORKSPACE picks the folder.
  const env = { ...process.env, ONEIRO_WORKSPACE: ws };
  const l = spawnSync(process.execPath, ['bin/oneiro.mjs', 'dataset', 'list', '--json'], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  assert.equal(l.status, 0, l.stderr);
  assert.ok((JSON.parse(l.stdout) as { name: string }[]).some((d) => d.name === 'd'));
});

test('dataset rm deletes the folder', () => {
  const r = JSON.parse(ok('dataset', 'rm', 'd2', '--json').stdout);
  assert.deepEqual(r, { removed: 'd2', episodes: 2 });
  assert.equal(existsSync(join(ws, 'datasets', 'd2')), false);
  assert.deepEqual(
    (JSON.parse(ok('dataset', 'list', '--json').stdout) as { name: string }[]).map((d) => d.name),
    ['d'],
  );
});

test('clear errors (exit 2, one line naming the problem) for unknown env, missing dataset, bad flags', () => {
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
    [['dataset', 'frobnicate'], /unknown subcommand 'frobnicate'/],
    [['dataset', 'import', join(ws, 'nowhere'), '--name', 'q'], /nowhere is not a folder/],
    [
      ['dataset', 'import', join(ws, 'export'), '--name', 'q', '--format', 'dreamerv9'],
      /--format must be 'dreamer' or 'dreamerv3', got 'dreamerv9'/,
    ],
    [['render', 'missing', '--episode', '0', '--out', join(ws, 'y.png')], /no dataset 'missing'/],
    [
      ['render', 'd', '--episode', '7', '--out', join(ws, 'y.png')],
      /dataset 'd' has 2 episodes; episode index 7 is outside \[0, 1\]/,
    ],
    [
      ['render', 'd', '--episode', '0', '--out', join(ws, 'y.jpg')],
      /unsupported extension '\.jpg', expected \.png, \.gif or \.webp/,
    ],
    [
      ['render', 'd', '--episode', '0', '--from', '200', '--out', join(ws, 'y.png')],
      /frame range \[200, 101\) is empty or outside episode 0 \(101 frames\)/,
    ],
    [['dataset', 'import', join(ws, 'export'), '--name', 'd'], /dataset 'd' already exists/],
    [['dataset', 'import', join(ws, 'export'), '--name', '../evil'], /dataset name '\.\.\/evil' is not valid/],
  ];
  for (const [args, re] of cases) {
    const r = oneiro(...args);
    assert.equal(r.status, 2, `oneiro ${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.equal(existsSync(join(ws, 'datasets', 'q')), false);
  assert.equal(existsSync(join(ws, 'y.png')), false);
});
