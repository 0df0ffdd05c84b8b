import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Episode } from '../../../core/data/episode.ts';
import { importDreamerFolder, chunkStreams, detectFormat } from '../../../core/data/import-dreamer.ts';
import { importIntoDataset } from '../../../core/data/dataset-import.ts';
import { openDataset, readEpisode, episodeFrames } from '../../../core/data/dataset.ts';
import { npyArray } from '../../../core/data/npy.ts';
import { readNpz, writeNpz } from '../../../core/data/npz.ts';

const FIX = new URL('../../fixtures/numpy/', import.meta.url).pathname;
const V2 = join(FIX, 'dreamer_v2');
const V1 = join(FIX, 'dreamer_v1');
const V3 = join(FIX, 'dreamerv3');

function collect(dir: string, format?: 'dreamer' | 'dreamerv3') {
  const eps: { ep: Episode; sources: string[] }[] = [];
  const report = importDreamerFolder(dir, { format, onEpisode: (ep, sources) => eps.push({ ep, sources }) });
  return { eps, report };
}

const range = (n: number, mod: number) => Uint8Array.from({ length: n }, (_, i) => i % mod);

test('DreamerV2 episode imports as is', () => {
  const { eps, report } = collect(V2);
  assert.equal(report.format, 'dreamer');
  assert.equal(report.episodes, 1);
  assert.equal(report.steps, 6);
  assert.deepEqual(report.converted, {});
  const ep = eps[0].ep;
  assert.deepEqual(ep.imageShape, [7, 4, 4, 3]);
  assert.deepEqual(ep.image, range(7 * 48, 251));
  assert.equal(ep.actionDim, 2);
  assert.deepEqual(
    [...ep.action.slice(0, 6)],
    [0, 0, Math.fround(0.1), Math.fround(-0.1), Math.fround(0.2), Math.fround(-0.2)],
  );
  assert.deepEqual([...ep.reward], [0, 0.5, 1, 1.5, 2, 2.5, 3]);
  assert.deepEqual([...ep.isFirst], [1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...ep.isLast], [0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...ep.isTerminal], [0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...ep.discount], [1, 1, 1, 1, 1, 1, 0]); // 1 − is_terminal
});

test('Dreamer v1 episode: float16 converted, is_first/is_last derived, time-limit end is not terminal', () => {
  const { eps, report } = collect(V1);
  assert.equal(report.episodes, 1);
  for (const note of [
    'action float16 → float32',
    'reward float16 → float32',
    'discount float16 → float32',
    'position float16 → float32',
    'is_first derived (row 0)',
    'is_last derived (last row)',
    'is_terminal derived from discount == 0',
  ]) {
    assert.equal(report.converted[note], 1, note);
  }
  const ep = eps[0].ep;
  assert.deepEqual([...ep.reward], [0, 0.5, 1, 1.5, 2]);
  assert.ok(Math.abs(ep.action[2] - 0.1) < 1e-3); // float16 0.1
  assert.deepEqual([...ep.isFirst], [1, 0, 0, 0, 0]);
  assert.deepEqual([...ep.isLast], [0, 0, 0, 0, 1]);
  assert.deepEqual([...ep.isTerminal], [0, 0, 0, 0, 0]); // discount stayed 1: a time limit, not a termination
  assert.deepEqual([...(ep.extra!.position.data as Float32Array)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('DreamerV3 chunks: streams follow successor links, episodes joined across chunks, actions shifted and one-hot', () => {
  const files = readdirSync(V3).sort().reverse();
  const { streams } = chunkStreams(files);
  assert.equal(streams.length, 1);
  assert.deepEqual(
    streams[0].map((c) => c.uuid),
    ['1'.repeat(32), '2'.repeat(32)],
  );
  assert.equal(detectFormat(V3), 'dreamerv3');

  const { eps, report } = collect(V3);
  assert.equal(report.format, 'dreamerv3');
  assert.equal(report.numActions, 4);
  assert.equal(report.episodes, 2);
  assert.equal(report.partial, 0);
  assert.equal(report.converted['joined across chunks'], 1);
  assert.equal(report.converted['discrete action <i4 index → one-hot float32 [4]'], 2);
  const [a, b] = eps.map((e) => e.ep);
  // v3 row t holds the action chosen at obs t: [1,2,3,0 | 3,2,1,1,0]; v2 row t the action that led to it.
  const argmax = (ep: Episode) =>
    Array.from({ length: ep.imageShape[0] }, (_, t) => {
      const row = [...ep.action.slice(t * 4, t * 4 + 4)];
      return row.every((v) => v === 0) ? -1 : row.indexOf(1);
    });
  assert.deepEqual(argmax(a), [-1, 1, 2, 3]);
  assert.deepEqual(argmax(b), [-1, 3, 2, 1, 1]);
  assert.deepEqual(eps[1].sources.length, 2);
  assert.deepEqual(a.imageShape, [4, 4, 4, 3]);
  assert.deepEqual(b.imageShape, [5, 4, 4, 3]);
  assert.deepEqual(
    b.image,
    Uint8Array.from({ length: 5 * 48 }, (_, i) => (4 * 48 + i) % 253),
  );
  assert.deepEqual([...b.reward], [0, 5, 6, 7, 8]);
  assert.deepEqual([...a.isTerminal], [0, 0, 0, 1]);
  assert.deepEqual([...b.isTerminal], [0, 0, 0, 0, 0]);
  assert.deepEqual([...b.isFirst], [1, 0, 0, 0, 0]);
  assert.deepEqual([...b.isLast], [0, 0, 0, 0, 1]);
});

test('DreamerV3: a stream missing its first chunk drops the cut episode and says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-v3-'));
  try {
    const second = readdirSync(V3).sort()[1];
    copyFileSync(join(V3, second), join(dir, second));
    const { eps, report } = collect(dir, 'dreamerv3');
    assert.equal(eps.length, 0);
    assert.equal(report.partial, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad files are reported by name and skipped; good episodes are kept in the dataset', async () => {
  const root = mkdtempSync(join(tmpdir(), 'oneiro-imp-'));
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    const good = readdirSync(V2)[0];
    copyFileSync(join(V2, good), join(src, good));
    const arrays = readNpz(join(V2, good));
    const variant = (file: string, patch: (a: typeof arrays) => void) => {
      const a = { ...arrays };
      patch(a);
      writeNpz(join(src, file), a);
    };
    variant('20240101T000010-aa-6.npz', () => {}); // a second good one
    const bytes = readFileSync(join(V2, good));
    writeFileSync(join(src, '20240101T000011-truncated-6.npz'), bytes.subarray(0, bytes.length >> 1));
    variant('20240101T000012-missing-6.npz', (a) => {
      delete (a as Record<string, unknown>).reward;
    });
    variant('20240101T000013-dtype-6.npz', (a) => {
      a.image = npyArray('<f4', a.image.shape, Float32Array.from(a.image.data as Uint8Array));
    });
    variant('20240101T000014-shape-6.npz', (a) => {
      a.image = npyArray('|u1', [7, 48], a.image.data as Uint8Array);
    });
    variant('20240101T000015-length-6.npz', (a) => {
      a.reward = npyArray('<f4', [6], (a.reward.data as Float32Array).slice(0, 6));
    });
    variant('20240101T000016-size-6.npz', (a) => {
      a.image = npyArray('|u1', [7, 2, 8, 3], a.image.data as Uint8Array);
    });

    const ws = join(root, 'ws');
    const { report, dataset } = importIntoDataset(ws, 'mixed', src);
    assert.equal(report.episodes, 2);
    const reasons = Object.fromEntries(report.bad.map((b) => [b.file, b.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), [
      '20240101T000011-truncated-6.npz',
      '20240101T000012-missing-6.npz',
      '20240101T000013-dtype-6.npz',
      '20240101T000014-shape-6.npz',
      '20240101T000015-length-6.npz',
      '20240101T000016-size-6.npz',
    ]);
    assert.match(reasons['20240101T000011-truncated-6.npz'], /not a readable \.npz \(zip\) archive/);
    assert.match(reasons['20240101T000012-missing-6.npz'], /missing key 'reward'/);
    assert.match(reasons['20240101T000013-dtype-6.npz'], /wrong dtype: 'image' is <f4, expected uint8/);
    assert.match(reasons['20240101T000014-shape-6.npz'], /wrong shape: 'image' is \(7, 48\)/);
    assert.match(reasons['20240101T000015-length-6.npz'], /lengths disagree: 'image' has 7 rows but 'reward' has 6/);
    assert.match(reasons['20240101T000016-size-6.npz'], /frames are 2×8, the dataset's are 4×4/);

    assert.ok(dataset);
    const ds = openDataset(ws, 'mixed');
    assert.equal(ds.meta.counts.episodes, 2);
    assert.equal(ds.meta.counts.steps, 12);
    assert.deepEqual(ds.meta.observationShape, [4, 4, 3]);
    // Inferred from the data: actions (t/10, −t/10) for t = 1..6.
    assert.deepEqual(ds.meta.actionSpace, {
      kind: 'box',
      shape: [2],
      low: [0, Math.fround(-0.6)],
      high: [Math.fround(0.6), 0],
    });
    assert.equal((ds.meta.source as { skipped: unknown[] }).skipped.length, 6);
    const ep = readEpisode(ds, 1);
    assert.deepEqual(ep.image, range(7 * 48, 251));
    const { frames, shape } = await episodeFrames(ds, 0, 2, 4);
    assert.deepEqual(shape, [2, 4, 4, 3]);
    assert.deepEqual(
      frames,
      Uint8Array.from({ length: 96 }, (_, i) => (96 + i) % 251),
    );
    assert.deepEqual(readdirSync(join(ws, 'datasets')), ['mixed']); // staging folder gone
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an import with no good episode creates no dataset', () => {
  const root = mkdtempSync(join(tmpdir(), 'oneiro-imp-'));
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'x-1.npz'), 'not a zip');
    const { report, dataset } = importIntoDataset(join(root, 'ws'), 'none', src);
    assert.equal(dataset, null);
    assert.equal(report.bad.length, 1);
    assert.equal(existsSync(join(root, 'ws', 'datasets', 'none')), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('imported episodes keep names of their own, so re-importing a folder gives the same held-out split', () => {
  const root = mkdtempSync(join(tmpdir(), 'oneiro-imp-'));
  try {
    const ws = join(root, 'ws');
    const names = (name: string, src: string) =>
      importIntoDataset(ws, name, src).dataset!.meta.episodes.map((e) => e.file);
    // One episode per file: the file's own name.
    assert.deepEqual(names('v2', V2), readdirSync(V2));
    // DreamerV3: both episodes start in the first chunk; each gets that chunk's time, a uuid from its own frames
    // and actions, and its length, as DreamerV2 names episodes.
    const v3 = names('v3-a', V3);
    assert.equal(v3.length, 2);
    for (const [i, n] of v3.entries()) assert.match(n, new RegExp(`^20240101T000002-[0-9a-f]{32}-${[3, 4][i]}\\.npz$`));
    assert.notEqual(v3[0].split('-')[1], v3[1].split('-')[1]);
    assert.deepEqual(names('v3-b', V3), v3, 'a second import names them the same');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
