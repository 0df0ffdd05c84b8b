import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadBackgroundFrames } from '../../../core/media/background-frames.ts';
import { encodeAnimation } from '../../../core/media/encode.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import type { VideoFrames } from '../../../core/envs/background.ts';
import { openDataset, readEpisode } from '../../../core/data/dataset.ts';
import { isUserError } from '../../../core/util/errors.ts';

// Issue 15, item 3: distractor clips the user gives (a folder of images or an animated GIF/WebP), read by sharp.

/** Solid colour of clip frame i (distinct per frame, exact in GIF's palette and lossless WebP). */
const COLOURS: [number, number, number][] = [
  [250, 20, 20],
  [20, 250, 20],
  [20, 20, 250],
  [240, 240, 20],
  [20, 240, 240],
];

let dir = '';

/** n frames of H×W (not square: the loader crops the centre), frame i solid COLOURS[i] with a white left sixth. */
function clip(n: number, H: number, W: number): Uint8Array {
  const f = new Uint8Array(n * H * W * 3);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < H * W; p++) f.set(p % W < W / 6 ? [255, 255, 255] : COLOURS[i], (i * H * W + p) * 3);
  return f;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oneiro-bgclip-'));
  const [n, H, W] = [5, 12, 36];
  writeFileSync(join(dir, 'clip.gif'), await encodeAnimation(clip(n, H, W), n, H, W, { format: 'gif' }));
  writeFileSync(join(dir, 'clip.webp'), await encodeAnimation(clip(n, H, W), n, H, W, { format: 'webp' }));
  // A folder in natural name order (f2 before f10), with a greyscale and an RGBA image among RGB ones.
  mkdirSync(join(dir, 'frames'));
  await sharp(Buffer.alloc(6 * 6, 100), { raw: { width: 6, height: 6, channels: 1 } })
    .png()
    .toFile(join(dir, 'frames', 'f1.png'));
  await sharp(Buffer.alloc(6 * 6 * 3, 30), { raw: { width: 6, height: 6, channels: 3 } })
    .jpeg({ quality: 100 })
    .toFile(join(dir, 'frames', 'f2.jpg'));
  await sharp(Buffer.alloc(6 * 6 * 4, 200), { raw: { width: 6, height: 6, channels: 4 } })
    .png()
    .toFile(join(dir, 'frames', 'f10.png'));
  writeFileSync(join(dir, 'frames', 'notes.txt'), 'not a frame');
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'empty', 'readme.md'), 'no images here');
  writeFileSync(join(dir, 'broken.gif'), 'GIF89a but not really');
  mkdirSync(join(dir, 'badframe'));
  writeFileSync(join(dir, 'badframe', 'a.png'), 'not a png');
});

after(() => rmSync(dir, { recursive: true, force: true }));

const pixel = (v: VideoFrames, i: number, x: number, y: number) => {
  const o = (i * v.size * v.size + y * v.size + x) * 3;
  return [...v.frames.subarray(o, o + 3)];
};

for (const file of ['clip.gif', 'clip.webp']) {
  test(`an animated ${file.slice(5).toUpperCase()} gives every page, resized to the frame size by a centre crop`, async () => {
    const v = await loadBackgroundFrames(join(dir, file), 8);
    assert.equal(v.count, 5);
    assert.equal(v.size, 8);
    assert.equal(v.frames.length, 5 * 8 * 8 * 3);
    assert.equal(v.source, join(dir, file));
    for (let i = 0; i < 5; i++) {
      // The 36×12 frame's centre 12×12 is all colour (the white sixth is cropped away, far enough for the resampling kernel), scaled to 8×8.
      for (const [x, y] of [
        [0, 0],
        [7, 7],
        [3, 4],
      ])
        pixel(v, i, x, y).forEach((c, k) =>
          assert.ok(Math.abs(c - COLOURS[i][k]) <= 3, `frame ${i} (${x},${y}): ${c}`),
        );
    }
  });
}

test('a folder gives one frame per image in natural name order; grey and alpha become RGB; other files are skipped', async () => {
  const v = await loadBackgroundFrames(join(dir, 'frames'), 4);
  assert.equal(v.count, 3);
  assert.deepEqual(pixel(v, 0, 1, 1), [100, 100, 100]); // f1.png (grey)
  pixel(v, 1, 1, 1).forEach((c) => assert.ok(Math.abs(c - 30) <= 2, `f2.jpg: ${c}`));
  pixel(v, 2, 1, 1).forEach((c) => assert.ok(Math.abs(c - 200) <= 2, `f10.png (RGBA): ${c}`));
});

test('a missing path, an empty folder or an unreadable file is a one-line error saying what was expected', async () => {
  const check = async (path: string, re: RegExp) =>
    assert.rejects(loadBackgroundFrames(path, 8), (e: Error) => {
      assert.ok(isUserError(e), `${e.name}: ${e.message}`);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.match(e.message, re);
      return true;
    });
  await check(
    join(dir, 'nope'),
    /'.*nope': no such file or folder \(expected a folder of images or an animated GIF\/WebP\)/,
  );
  await check(join(dir, 'empty'), /the folder has no images \(expected files ending in \.png, \.jpg/);
  await check(join(dir, 'broken.gif'), /cannot read image '.*broken\.gif' \(.+\)/);
  await check(join(dir, 'badframe'), /cannot read image '.*a\.png' \(.+\)/);
});

/** The colour at the frame's top-left corner (above the cart and pole) after each env step. */
function corners(seed: number, v: VideoFrames, steps: number, env = 'cartpole-swingup') {
  const e = makeEnv(env, { size: 8, actionRepeat: 1, background: 'video', backgroundFrames: v });
  const out = [[...e.reset(seed).image.subarray(0, 3)]];
  for (let t = 0; t < steps; t++) out.push([...e.step([0.3]).obs.image.subarray(0, 3)]);
  return out;
}

test('the env plays the clip behind the bodies: one frame per simulator step, cycling from a start drawn from the seed', async () => {
  const v = await loadBackgroundFrames(join(dir, 'clip.gif'), 8);
  const index = (c: number[]) => COLOURS.findIndex((k) => k.every((x, i) => Math.abs(x - c[i]) <= 3));
  for (const env of ['cartpole-swingup', 'pendulum-swingup']) {
    const starts = new Set<number>();
    for (const seed of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const seen = corners(seed, v, 7, env).map(index);
      assert.ok(
        seen.every((i) => i >= 0),
        `${env} seed ${seed}: every corner is a clip colour, got ${seen}`,
      );
      seen.forEach((i, t) => assert.equal(i, (seen[0] + t) % 5, `${env} seed ${seed}: step ${t} shows the next frame`));
      assert.deepEqual(corners(seed, v, 7, env).map(index), seen, `${env} seed ${seed}: reproducible`);
      starts.add(seen[0]);
    }
    assert.ok(starts.size >= 2, `${env}: the start frame depends on the seed (${[...starts]})`);
  }
  // The physics does not see the clip.
  const a = makeEnv('cartpole-swingup', { size: 8, actionRepeat: 1 });
  const b = makeEnv('cartpole-swingup', { size: 8, actionRepeat: 1, background: 'video', backgroundFrames: v });
  a.reset(3);
  b.reset(3);
  for (let t = 0; t < 5; t++) assert.deepEqual(b.step([0.5]).obs.state, a.step([0.5]).obs.state);
});

test('clip frames of another size or with another background are refused by name', async () => {
  const v = await loadBackgroundFrames(join(dir, 'clip.gif'), 8);
  const refuses = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: Error) => isUserError(e) && !e.message.includes('\n') && re.test(e.message));
  refuses(
    () => makeEnv('cartpole-swingup', { size: 16, background: 'video', backgroundFrames: v }),
    /background frames from .*clip\.gif are 8px, the env renders 16px/,
  );
  refuses(
    () => makeEnv('pendulum-swingup', { size: 8, background: 'noise', backgroundFrames: v }),
    /background frames are for background 'video', got 'noise'/,
  );
});

test("oneiro collect --background video:PATH records the clip; its errors are one line; clips don't mix", () => {
  const ws = join(dir, 'ws');
  const bin = new URL('../../../bin/oneiro.mjs', import.meta.url).pathname;
  const oneiro = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_TEST: '1' },
    });
    return { code: r.status, err: r.stderr };
  };
  const common = ['collect', '--env', 'cartpole-swingup', '--episodes', '1', '--size', '8', '--max-steps', '3'];
  const gif = join(dir, 'clip.gif');
  const ok = oneiro(...common, '--dataset', 'c', '--background', `video:${gif}`);
  assert.equal(ok.code, 0, ok.err);
  const ds = openDataset(ws, 'c');
  const run = (ds.meta.source.runs as Record<string, unknown>[])[0];
  assert.deepEqual([run.background, run.backgroundSource, run.backgroundFrames], ['video', gif, 5]);
  const corner = readEpisode(ds, 0).image.subarray(0, 3);
  assert.ok(
    COLOURS.some((k) => k.every((x, i) => Math.abs(x - corner[i]) <= 3)),
    `the recorded frame shows the clip: ${[...corner]}`,
  );
  const missing = oneiro(...common, '--dataset', 'd', '--background', `video:${join(dir, 'nope')}`);
  assert.equal(missing.code, 2);
  assert.match(missing.err.trim(), /^oneiro collect: background video '.*nope': no such file or folder .*$/);
  const mix = oneiro(...common, '--dataset', 'c', '--background', 'video');
  assert.notEqual(mix.code, 0);
  assert.match(mix.err, /collected with background 'video:.*clip\.gif'; collecting with 'video' would mix them/);
});
