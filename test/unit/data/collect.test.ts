import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brownianPolicy, randomPolicy } from '../../../core/agents/random-agents.ts';
import { rolloutEpisode } from '../../../core/agents/rollout.ts';
import { makeEnv } from '../../../core/envs/registry.ts';
import type { Space } from '../../../core/envs/types.ts';
import { Rng } from '../../../core/util/rng.ts';
import { collectJob } from '../../../core/trainer/collect-job.ts';
import { openDataset } from '../../../core/data/dataset.ts';
import { splitEpisodes } from '../../../core/data/replay.ts';

const box: Space = { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] };

test('random policy: uniform in the box, uniform over discrete actions', () => {
  const p = randomPolicy(box, new Rng(1));
  const xs = Array.from({ length: 2000 }, () => p.act() as Float32Array);
  for (let k = 0; k < 3; k++) {
    const col = xs.map((x) => x[k]);
    assert.ok(Math.min(...col) >= box.low[k] && Math.max(...col) <= box.high[k]);
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    assert.ok(Math.abs(mean - (box.low[k] + box.high[k]) / 2) < 0.05, `dim ${k} mean ${mean}`);
  }
  const d = randomPolicy({ kind: 'discrete', n: 5 }, new Rng(2));
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 5000; i++) counts[d.act() as number]++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `count ${c}`);
});

test('brownian policy: clipped random walk with steps of √(1/50)·N(0,1)', () => {
  const p = brownianPolicy(box, new Rng(3));
  let prev = Float32Array.from(p.act() as Float32Array);
  const steps: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const a = p.act() as Float32Array;
    for (let k = 0; k < 3; k++) assert.ok(a[k] >= box.low[k] && a[k] <= box.high[k]);
    if (a[0] > -0.9 && a[0] < 0.9 && prev[0] > -0.9 && prev[0] < 0.9) steps.push(a[0] - prev[0]);
    prev = Float32Array.from(a);
  }
  const sd = Math.sqrt(steps.reduce((s, x) => s + x * x, 0) / steps.length);
  assert.ok(Math.abs(sd - Math.sqrt(1 / 50)) < 0.02, `step sd ${sd}`);
  assert.throws(
    () => brownianPolicy({ kind: 'discrete', n: 4 }, new Rng(0)),
    /needs a continuous \(box\) action space/,
  );
});

test('rollout: Dreamer alignment, deterministic under the seed, termination flags', () => {
  const env = makeEnv('pendulum-swingup', { size: 16, maxSteps: 12 });
  const a = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(5)), 42).episode;
  const b = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(5)), 42).episode;
  assert.deepEqual(a.imageShape, [13, 16, 16, 3]);
  assert.deepEqual(a.image, b.image);
  assert.deepEqual(a.action, b.action);
  assert.equal(a.action[0], 0);
  assert.equal(a.reward[0], 0);
  assert.deepEqual([a.isFirst[0], a.isLast[12], a.isTerminal[12]], [1, 1, 0]); // time limit: not terminal
  assert.equal(a.extra?.state.shape.join(), '13,3');
  const c = rolloutEpisode(env, randomPolicy(env.actionSpace, new Rng(5)), 43).episode;
  assert.notDeepEqual(c.image, a.image);
});

test('a collect job names its episodes from (seed, index): the same seed gives the same held-out split', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-collect-job-'));
  try {
    const collect = (dataset: string, seed: number) =>
      collectJob(
        {
          kind: 'collect',
          workspace: ws,
          env: 'shapes-2d',
          dataset,
          episodes: 12,
          seed,
          maxSteps: 2,
          policy: 'random',
        },
        new AbortController().signal,
        () => {},
      );
    await collect('a', 5);
    await collect('b', 5);
    await collect('c', 6);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => openDataset(ws, n));
    const files = (d: typeof a) => d.meta.episodes.map((e) => e.file);
    // The split hashes file names: names from the clock and a random uuid split each collection anew.
    assert.deepEqual(files(b), files(a));
    assert.deepEqual(splitEpisodes(b, 0.3).heldOut, splitEpisodes(a, 0.3).heldOut);
    assert.equal(new Set(files(a)).size, 12);
    assert.ok(
      files(c).every((f) => !files(a).includes(f)),
      'another seed, other names',
    );
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('an append job stopped mid-way keeps the whole episodes it added, and its collection run says how many', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-collect-append-'));
  try {
    const job = { kind: 'collect', workspace: ws, env: 'shapes-2d', dataset: 'd', seed: 1, maxSteps: 2 } as const;
    await collectJob({ ...job, episodes: 2, policy: 'random' }, new AbortController().signal, () => {});
    const stop = new AbortController();
    const more = collectJob({ ...job, episodes: 5, seed: 2, policy: 'random', append: true }, stop.signal, (p) => {
      if (p.episodesDone === 2) stop.abort();
    });
    await assert.rejects(more, /^UserError: adding to 'd' was cancelled after 2 episodes; those stay in it$/);
    const d = openDataset(ws, 'd');
    assert.equal(d.meta.counts.episodes, 4);
    assert.equal(d.meta.counts.steps, 4 * 2);
    assert.deepEqual(
      (d.meta.source.runs as { seed: number; episodes: number }[]).map((r) => [r.seed, r.episodes]),
      [
        [1, 2],
        [2, 2],
      ],
    );
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
