import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addEpisode, createDataset, type Dataset } from '../../../core/data/dataset.ts';
import { Replay, splitEpisodes } from '../../../core/data/replay.ts';
import { codedEpisode } from './helpers.ts';
import { seededEpisodeName } from '../../../core/data/episode-file.ts';
import { readEpisode } from '../../../core/data/dataset.ts';
import { Rng } from '../../../core/util/rng.ts';
import { memoryWindows, prepareEpisode, replayWindows } from '../../../core/models/rssm/batch.ts';

function makeDataset(lengths: number[], seeded?: number): { ds: Dataset; cleanup: () => void } {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-replay-'));
  const ds = createDataset(ws, 'coded', {
    env: null,
    observationShape: [2, 2, 3],
    actionSpace: { kind: 'box', shape: [2], low: [0, 0], high: [9, 99] },
    source: { kind: 'test' },
  });
  lengths.forEach((n, id) => {
    const ep = codedEpisode(id, n);
    addEpisode(ds, ep, { level: 1, ...(seeded === undefined ? {} : { file: seededEpisodeName(ep, seeded, id) }) });
  });
  return { ds, cleanup: () => rmSync(ws, { recursive: true, force: true }) };
}

test('windows never cross episode boundaries and hold consecutive rows of one episode', () => {
  const { ds, cleanup } = makeDataset([6, 9, 3, 12]);
  try {
    const r = new Replay(ds, { batch: 16, length: 4, seed: 1 });
    assert.equal(r.windows, 3 + 6 + 0 + 9);
    for (let k = 0; k < 20; k++) {
      const b = r.sample();
      assert.equal(b.image.length, 16 * 4 * 2 * 2 * 3);
      for (let i = 0; i < 16; i++) {
        const { episode, row } = b.origin[i];
        assert.notEqual(episode, 2); // 3 rows: too short for L = 4
        for (let t = 0; t < 4; t++) {
          assert.equal(b.image[(i * 4 + t) * 12], 10 * episode + row + t);
          assert.equal(b.image[(i * 4 + t) * 12 + 11], 10 * episode + row + t);
          assert.equal(b.reward[i * 4 + t], row + t === 0 ? 0 : 100 * episode + row + t);
          assert.equal(b.action[(i * 4 + t) * 2 + 1], row + t === 0 ? 0 : row + t);
          assert.equal(b.isFirst[i * 4 + t], row + t === 0 ? 1 : 0);
          assert.equal(b.discount[i * 4 + t], 1);
        }
      }
    }
  } finally {
    cleanup();
  }
});

test('sampling is uniform over windows (long episodes are picked in proportion to their windows)', () => {
  const { ds, cleanup } = makeDataset([5, 14]); // 1 and 10 windows of length 5
  try {
    const r = new Replay(ds, { batch: 1000, length: 5, seed: 7 });
    const counts = new Map<string, number>();
    for (const o of r.sample().origin)
      counts.set(`${o.episode}:${o.row}`, (counts.get(`${o.episode}:${o.row}`) ?? 0) + 1);
    assert.equal(counts.size, 11);
    for (const c of counts.values()) assert.ok(c > 50 && c < 140, `window count ${c} is far from 1000/11`);
  } finally {
    cleanup();
  }
});

test('same seed, same batches; another seed, other batches', () => {
  const { ds, cleanup } = makeDataset([8, 8, 8]);
  try {
    const a = new Replay(ds, { batch: 4, length: 3, seed: 3 });
    const b = new Replay(ds, { batch: 4, length: 3, seed: 3 });
    const c = new Replay(ds, { batch: 4, length: 3, seed: 4 });
    for (let k = 0; k < 5; k++) {
      const [x, y, z] = [a.sample(), b.sample(), c.sample()];
      assert.deepEqual(x.image, y.image);
      assert.deepEqual(x.origin, y.origin);
      if (k === 0) assert.notDeepEqual(x.origin, z.origin);
    }
  } finally {
    cleanup();
  }
});

test('crossing episodes when asked: windows run into the next episode and is_first marks the seam', () => {
  const { ds, cleanup } = makeDataset([3, 3, 3]);
  try {
    assert.throws(() => new Replay(ds, { batch: 2, length: 5, seed: 0 }), /no window of 5 rows fits.*longest 3 rows/);
    const r = new Replay(ds, { batch: 64, length: 5, seed: 0, crossEpisodes: true });
    assert.equal(r.windows, 9 - 5 + 1);
    const b = r.sample();
    for (let i = 0; i < 64; i++) {
      const { episode, row } = b.origin[i];
      for (let t = 0; t < 5; t++) {
        const g = 3 * episode + row + t; // row in the concatenated stream
        const [ep, rr] = [Math.floor(g / 3), g % 3];
        assert.equal(b.image[(i * 5 + t) * 12], 10 * ep + rr);
        assert.equal(b.isFirst[i * 5 + t], rr === 0 ? 1 : 0);
      }
    }
  } finally {
    cleanup();
  }
});

test('an LRU byte cap streams from disk and gives the same batches as an unlimited cache', () => {
  const { ds, cleanup } = makeDataset([10, 10, 10, 10, 10, 10]);
  try {
    const perEpisode = 10 * (12 + 8 + 4 + 4 + 3); // image + action + reward + discount + three flags
    const small = new Replay(ds, { batch: 8, length: 4, seed: 5, cacheBytes: 2 * perEpisode });
    const big = new Replay(ds, { batch: 8, length: 4, seed: 5 });
    for (let k = 0; k < 10; k++) {
      assert.deepEqual(small.sample().image, big.sample().image);
      assert.ok(small.cacheBytes <= 2 * perEpisode, `cache holds ${small.cacheBytes} bytes`);
    }
    assert.ok(small.counters.evictions > 0);
    assert.ok(small.counters.loads > big.counters.loads);
    assert.equal(big.counters.loads, 6);
  } finally {
    cleanup();
  }
});

test('train / held-out split by episode is deterministic, disjoint, and stable as the dataset grows', () => {
  // Seeded file names: the split hashes names, so clock-and-uuid names would make the held-out count a fresh
  // Binomial(40, 0.2) draw each run (it once drew 18, outside the bound below).
  const { ds, cleanup } = makeDataset(new Array(40).fill(3), 5);
  try {
    const s1 = splitEpisodes(ds, 0.2, 0);
    const s2 = splitEpisodes(ds, 0.2, 0);
    assert.deepEqual(s1, s2);
    assert.deepEqual(
      [...s1.train, ...s1.heldOut].sort((a, b) => a - b),
      [...Array(40).keys()],
    );
    assert.ok(s1.heldOut.length >= 2 && s1.heldOut.length <= 16, `held out ${s1.heldOut.length} of 40`);
    assert.notDeepEqual(splitEpisodes(ds, 0.2, 1).heldOut, s1.heldOut);
    const smaller = { ...ds, meta: { ...ds.meta, episodes: ds.meta.episodes.slice(0, 30) } };
    const s3 = splitEpisodes(smaller, 0.2, 0);
    assert.deepEqual(
      s3.heldOut,
      s1.heldOut.filter((i) => i < 30),
    );
    const tiny = { ...ds, meta: { ...ds.meta, episodes: ds.meta.episodes.slice(0, 2) } };
    assert.equal(splitEpisodes(tiny, 0.1, 0).heldOut.length, 1);
    const r = new Replay(ds, { batch: 32, length: 2, seed: 0, episodes: s1.heldOut });
    for (const o of r.sample().origin) assert.ok(s1.heldOut.includes(o.episode));
  } finally {
    cleanup();
  }
});

test('draw with a caller Rng gives the windows of in-memory sampling, under a cache of about one episode', () => {
  const { ds, cleanup } = makeDataset([6, 9, 3, 12, 8]);
  try {
    const episodes = [0, 1, 2, 4]; // a split's training side
    const r = new Replay(ds, { batch: 1, length: 1, seed: 0, episodes, cacheBytes: 1 });
    const stream = replayWindows(r, 2, 2);
    const memory = memoryWindows(
      episodes.map((i) => prepareEpisode(readEpisode(ds, i), 2)),
      2,
      2,
    );
    for (const L of [4, 2, 7]) {
      const a = stream(16, L, new Rng(L));
      const b = memory(16, L, new Rng(L));
      assert.deepEqual(a, b, `windows of ${L}`);
    }
    assert.equal(r.counters.peakEpisodes, 1);
    assert.ok(r.counters.loads > 4);
    assert.throws(() => r.draw(2, 13, new Rng(1)), /no episode has 13 rows/);
  } finally {
    cleanup();
  }
});

test('episodes named by seededEpisodeName split alike on every re-collection (scripted evals reproduce per seed)', () => {
  // Default names carry the clock and a random uuid, so the same episodes collected twice split differently.
  const [a, b, c] = [
    makeDataset(new Array(24).fill(3), 7),
    makeDataset(new Array(24).fill(3), 7),
    makeDataset(new Array(24).fill(3), 8),
  ];
  try {
    assert.deepEqual(
      a.ds.meta.episodes.map((e) => e.file),
      b.ds.meta.episodes.map((e) => e.file),
    );
    assert.deepEqual(splitEpisodes(a.ds, 0.1, 0), splitEpisodes(b.ds, 0.1, 0));
    assert.notDeepEqual(
      a.ds.meta.episodes.map((e) => e.file),
      c.ds.meta.episodes.map((e) => e.file),
    );
    assert.equal(new Set(a.ds.meta.episodes.map((e) => e.file)).size, 24, 'one name per episode');
    assert.match(a.ds.meta.episodes[0].file, /^20000101T000000-[0-9a-f]{32}-2\.npz$/);
    // A name already in the dataset, or one that is not a plain .npz name, is refused in one line.
    const ep = codedEpisode(0, 3);
    assert.throws(() => addEpisode(a.ds, ep, { file: a.ds.meta.episodes[3].file }), /already there/);
    assert.throws(() => addEpisode(a.ds, ep, { file: '../x.npz' }), /plain name ending in \.npz/);
    assert.equal(a.ds.meta.episodes.length, 24);
  } finally {
    for (const d of [a, b, c]) d.cleanup();
  }
});
