import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addEpisode,
  createDataset,
  episodeFrames,
  listDatasets,
  openDataset,
  readEpisode,
  removeDataset,
  exportDataset,
  datasetActionRepeat,
  updateDatasetMeta,
} from '../../../core/data/dataset.ts';
import { loadTrainData } from '../../../core/runs/run-data.ts';
import { inspectDataset, histogram, summarize } from '../../../core/data/dataset-stats.ts';
import { episodeFileName } from '../../../core/data/episode-file.ts';
import { readNpz } from '../../../core/data/npz.ts';
import { codedEpisode } from './helpers.ts';

async function withWorkspace(f: (ws: string) => void | Promise<void>): Promise<void> {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-ds-'));
  try {
    await f(ws);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

const init = {
  env: 'coded',
  observationShape: [2, 2, 3] as [number, number, 3],
  actionSpace: { kind: 'box' as const, shape: [2], low: [0, 0], high: [9, 99] },
  source: { kind: 'test' },
};

test('episodes are written as <YYYYmmddTHHMMSS>-<uuid hex>-<steps>.npz with the Dreamer keys, atomically', () => {
  assert.equal(
    episodeFileName(codedEpisode(0, 8), new Date(Date.UTC(2024, 1, 3, 4, 5, 6)), 'ab'.repeat(16)),
    `20240203T040506-${'ab'.repeat(16)}-7.npz`,
  );
  return withWorkspace((ws) => {
    const ds = createDataset(ws, 'd', init);
    const entry = addEpisode(ds, codedEpisode(1, 5, 2, true));
    assert.match(entry.file, /^\d{8}T\d{6}-[0-9a-f]{32}-4\.npz$/);
    assert.deepEqual(readdirSync(ds.dir).sort(), ['dataset.json', entry.file].sort()); // no temp files left
    const a = readNpz(join(ds.dir, entry.file));
    assert.deepEqual(Object.fromEntries(Object.entries(a).map(([k, v]) => [k, `${v.dtype} (${v.shape.join(', ')})`])), {
      image: '|u1 (5, 2, 2, 3)',
      action: '<f4 (5, 2)',
      reward: '<f4 (5)',
      is_first: '|b1 (5)',
      is_last: '|b1 (5)',
      is_terminal: '|b1 (5)',
      discount: '<f4 (5)',
    });
    assert.equal(entry.return, 101 + 102 + 103 + 104);
    const back = readEpisode(openDataset(ws, 'd'), 0);
    const orig = codedEpisode(1, 5, 2, true);
    for (const k of ['image', 'action', 'reward', 'isFirst', 'isLast', 'isTerminal', 'discount'] as const)
      assert.deepEqual(back[k], orig[k], k);
    assert.deepEqual([...back.discount], [1, 1, 1, 1, 0]);
  });
});

test('dataset.json counts, list, frames by range, export and rm', async () => {
  await withWorkspace(async (ws) => {
    const ds = createDataset(ws, 'd', init);
    [4, 6, 3].forEach((n, i) => addEpisode(ds, codedEpisode(i, n, 2, i === 1)));
    const meta = JSON.parse(readFileSync(join(ds.dir, 'dataset.json'), 'utf8'));
    assert.deepEqual(meta.counts, { episodes: 3, steps: 3 + 5 + 2, frames: 13 });
    assert.equal(meta.env, 'coded');
    assert.throws(() => createDataset(ws, 'd', init), /dataset 'd' already exists/);
    assert.throws(() => addEpisode(ds, codedEpisode(0, 3, 4)), /frames are 4×4, the dataset's are 2×2/);

    const { frames, shape } = await episodeFrames(ds, 1, 2, 99);
    assert.deepEqual(shape, [4, 2, 2, 3]);
    assert.deepEqual([frames[0], frames[12], frames[47]], [12, 13, 15]);
    await assert.rejects(episodeFrames(ds, 3), /has 3 episodes; episode index 3 is outside \[0, 2\]/);

    const stats = inspectDataset(openDataset(ws, 'd'));
    assert.deepEqual([stats.length.min, stats.length.max, stats.length.median], [2, 5, 3]);
    assert.equal(stats.terminated, 1);
    assert.deepEqual(stats.action.min, [0, 1]);
    assert.deepEqual(stats.action.max, [2, 5]);
    assert.equal(stats.return.max, 101 + 102 + 103 + 104 + 105);

    const out = join(ws, 'out');
    assert.deepEqual(exportDataset(ds, out).files, 3);
    assert.deepEqual(readdirSync(out).sort(), [...ds.meta.episodes.map((e) => e.file), 'oneiro-dataset.json'].sort());

    createDataset(ws, 'e', init);
    writeFileSync(join(ws, 'datasets', 'e', 'dataset.json'), '{"format": "oneiro-dataset", "version": 2}');
    const listed = listDatasets(ws);
    assert.deepEqual(
      listed.map((d) => d.name),
      ['d', 'e'],
    );
    assert.match((listed[1] as { error: string }).error, /dataset 'e': .*dataset\.json is invalid at 'version'/);
    removeDataset(ws, 'd');
    assert.throws(() => openDataset(ws, 'd'), /no dataset 'd' in .* \(have: e\)/);
  });
});

test('summaries and histograms', () => {
  assert.deepEqual(summarize([3, 1, 2, 10]), {
    min: 1,
    max: 10,
    mean: 4,
    std: Math.sqrt((9 + 4 + 1 + 36) / 4),
    median: 2.5,
  });
  assert.deepEqual(histogram([0, 1, 2, 3, 4], 2), { edges: [0, 2, 4], counts: [2, 3] });
  assert.deepEqual(histogram([5, 5], 4), { edges: [5, 6], counts: [2] });
});

test('a run’s data carries the action repeat its dataset was collected at (the last collection run’s; null when none)', () =>
  withWorkspace((ws) => {
    const ds = createDataset(ws, 'd', init);
    for (let i = 0; i < 3; i++) addEpisode(ds, codedEpisode(i, 5), { file: `ep-${i}-4.npz` });
    assert.equal(datasetActionRepeat(openDataset(ws, 'd').meta), null);
    assert.equal(loadTrainData(ws, 'd', 0.3).actionRepeat, null);
    updateDatasetMeta(ds, { source: { kind: 'collect', runs: [{ actionRepeat: 2 }, { actionRepeat: 4 }] } });
    assert.equal(datasetActionRepeat(openDataset(ws, 'd').meta), 4);
    assert.equal(loadTrainData(ws, 'd', 0.3).actionRepeat, 4);
    // Not a positive integer: not a repeat to act at.
    updateDatasetMeta(ds, { source: { kind: 'collect', runs: [{ actionRepeat: 0 }] } });
    assert.equal(datasetActionRepeat(openDataset(ws, 'd').meta), null);
  }));

test('a run’s data carries the background its dataset was drawn on (scored over it: core/runs/data-env.ts)', () =>
  withWorkspace((ws) => {
    const ds = createDataset(ws, 'd', init);
    for (let i = 0; i < 3; i++) addEpisode(ds, codedEpisode(i, 5), { file: `ep-${i}-4.npz` });
    assert.deepEqual(loadTrainData(ws, 'd', 0.3).background, { background: 'plain', source: null });
    updateDatasetMeta(ds, {
      source: { kind: 'collect', runs: [{ background: 'video', backgroundSource: '/clips/a' }] },
    });
    assert.deepEqual(loadTrainData(ws, 'd', 0.3).background, { background: 'video', source: '/clips/a' });
  }));
