import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEnv } from '../../../core/envs/registry.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import { envOptionsOf } from '../../../core/runs/agent-session.ts';
import { rssmFamily } from '../../../core/models/rssm/family.ts';
import { openDataset, readEpisode } from '../../../core/data/dataset.ts';
import { isUserError } from '../../../core/util/errors.ts';

// Issue 15, item 3: distractor backgrounds on cartpole-swingup and pendulum-swingup.

const ENVS = ['cartpole-swingup', 'pendulum-swingup'];

/** Frames and states of `n` steps under a fixed action sequence. */
function roll(env: string, background: 'plain' | 'noise' | 'video' | undefined, seed: number, n = 6) {
  const e = makeEnv(env, { size: 32, ...(background ? { background } : {}) });
  const frames: Uint8Array[] = [];
  const states: number[][] = [];
  const rewards: number[] = [];
  let o = e.reset(seed);
  frames.push(o.image.slice());
  states.push(Array.from(o.state!));
  for (let t = 0; t < n; t++) {
    const r = e.step([Math.sin(t)]);
    o = r.obs;
    frames.push(o.image.slice());
    states.push(Array.from(o.state!));
    rewards.push(r.reward);
  }
  return { frames, states, rewards };
}

/** The frames of two episodes of one env, both from `seed`: the second reset must restart the background's clock. */
function rollTwice(env: string, background: 'noise' | 'video', seed: number, n = 3): Uint8Array[][] {
  const e = makeEnv(env, { size: 32, background });
  return [0, 1].map(() => {
    const frames = [e.reset(seed).image.slice()];
    for (let t = 0; t < n; t++) frames.push(e.step([Math.sin(t)]).obs.image.slice());
    return frames;
  });
}

const meanAbs = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

for (const env of ENVS) {
  test(`${env}: 'plain' is today's render; 'noise' and 'video' change only the pixels, reproducibly from the seed`, () => {
    const base = roll(env, undefined, 7);
    assert.deepEqual(roll(env, 'plain', 7).frames, base.frames, 'plain = no option');
    for (const bg of ['noise', 'video'] as const) {
      const a = roll(env, bg, 7);
      assert.deepEqual(a.states, base.states, `${bg}: the physics does not see the background`);
      assert.deepEqual(a.rewards, base.rewards, `${bg}: nor does the reward`);
      assert.deepEqual(roll(env, bg, 7).frames, a.frames, `${bg}: reproducible from the seed`);
      assert.ok(meanAbs(a.frames[3], base.frames[3]) > 20, `${bg}: the background replaces the plain one`);
      assert.ok(meanAbs(roll(env, bg, 8).frames[0], a.frames[0]) > 5, `${bg}: another seed, another background`);
      assert.ok(meanAbs(a.frames[1], a.frames[2]) > 0.5, `${bg}: the background moves`);
    }
    // Video is a moving texture (consecutive frames alike); noise is fresh every frame.
    const v = roll(env, 'video', 7);
    const n = roll(env, 'noise', 7);
    assert.ok(
      meanAbs(v.frames[2], v.frames[3]) < meanAbs(n.frames[2], n.frames[3]) / 3,
      'video is temporally coherent',
    );
  });
}

test('a bad or unsupported background is a one-line error naming what is expected', () => {
  const check = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: Error) => isUserError(e) && !e.message.includes('\n') && re.test(e.message));
  check(
    () => makeEnv('cartpole-swingup', { background: 'tv' as never }),
    /background must be one of plain, noise, video, got 'tv'/,
  );
  check(
    () => makeEnv('shapes-2d', { background: 'video' }),
    /has no distractor backgrounds.*cartpole-swingup, pendulum-swingup/,
  );
  assert.ok(makeEnv('shapes-2d', { background: 'plain' }));
});

test('online runs take the background from the config (online.background) to the env they make', () => {
  const c = rssmConfig('debug', { online: { background: 'video' } });
  const opts = envOptionsOf(rssmFamily.agentSettings!(c)!);
  assert.equal(opts.background, 'video');
  assert.equal(rssmConfig('debug').online.background, 'plain');
  assert.throws(
    () => rssmConfig('debug', { online: { background: 'tv' as never } }),
    (e: Error) => isUserError(e) && /online\.background/.test(e.message),
  );
});

test('oneiro collect --background passes it to the env and records it; a bad value or a mix is refused', () => {
  const root = mkdtempSync(join(tmpdir(), 'oneiro-bg-'));
  const bin = new URL('../../../bin/oneiro.mjs', import.meta.url).pathname;
  const oneiro = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--workspace', root], {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_TEST: '1' },
    });
    return { code: r.status, err: r.stderr };
  };
  try {
    const common = ['collect', '--env', 'pendulum-swingup', '--episodes', '1', '--size', '16', '--max-steps', '4'];
    assert.equal(oneiro(...common, '--dataset', 'v', '--background', 'video').code, 0);
    assert.equal(oneiro(...common, '--dataset', 'p').code, 0);
    const v = openDataset(root, 'v');
    assert.equal((v.meta.source.runs as { background: string }[])[0].background, 'video');
    const ev = readEpisode(v, 0);
    const ep = readEpisode(openDataset(root, 'p'), 0);
    assert.deepEqual(ev.extra?.state?.data, ep.extra?.state?.data, 'same seed, same physics');
    assert.notDeepEqual(ev.image, ep.image, 'but other pixels');
    const bad = oneiro(...common, '--dataset', 'x', '--background', 'tv');
    assert.equal(bad.code, 2);
    assert.match(
      bad.err.trim(),
      /^oneiro collect: --background must be one of plain, noise, video or video:PATH, got 'tv'$/,
    );
    const mix = oneiro(...common, '--dataset', 'v', '--background', 'noise');
    assert.notEqual(mix.code, 0);
    assert.match(mix.err, /collected with background 'video'; collecting with 'noise' would mix them/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

for (const env of ENVS) {
  test(`${env}: a reset restarts the background's clock (the same seed twice, the same frames)`, () => {
    for (const bg of ['noise', 'video'] as const) {
      const [first, second] = rollTwice(env, bg, 7);
      assert.deepEqual(second, first, bg);
    }
  });
}
