import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importIntoDataset } from '../../../core/data/dataset-import.ts';
import { addEpisode, createDataset, exportDataset, openDataset } from '../../../core/data/dataset.ts';
import { codedEpisode } from './helpers.ts';

function withRoot(f: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'oneiro-rt-'));
  try {
    f(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const space = { kind: 'box' as const, shape: [2], low: [-5, -5], high: [5, 50] };

test('export → import keeps the env name and the action space without --env', () =>
  withRoot((root) => {
    const ws = join(root, 'ws');
    const ds = createDataset(ws, 'orig', {
      env: 'shapes-2d',
      observationShape: [2, 2, 3],
      actionSpace: space,
      source: { kind: 'collect' },
    });
    addEpisode(ds, codedEpisode(1, 4));
    addEpisode(ds, codedEpisode(2, 3));
    const out = join(root, 'out');
    exportDataset(ds, out);
    assert.ok(readdirSync(out).includes('oneiro-dataset.json'));

    const { report, dataset } = importIntoDataset(ws, 'back', out);
    assert.deepEqual(report.bad, []);
    const back = openDataset(ws, 'back').meta;
    assert.equal(dataset?.meta.env, 'shapes-2d');
    assert.equal(back.env, 'shapes-2d');
    assert.deepEqual(back.actionSpace, space, 'the exported space, not bounds inferred from the data');
    assert.equal(back.actionSpaceInferred, false);
    assert.equal(back.counts.episodes, 2);
    // --env still wins over the file.
    assert.equal(importIntoDataset(ws, 'renamed', out, { env: 'other' }).dataset?.meta.env, 'other');
  }));

test('a damaged export metadata file is a named bad file; the episodes still import', () =>
  withRoot((root) => {
    const ws = join(root, 'ws');
    const ds = createDataset(ws, 'orig', { env: 'e', observationShape: [2, 2, 3], actionSpace: space, source: {} });
    addEpisode(ds, codedEpisode(1, 4));
    const out = join(root, 'out');
    exportDataset(ds, out);
    writeFileSync(join(out, 'oneiro-dataset.json'), '{"format": "oneiro-export", "version": 1, "env": 3}');
    const { report, dataset } = importIntoDataset(ws, 'back', out);
    assert.equal(dataset?.meta.env, null);
    assert.equal(report.bad.length, 1);
    assert.match(report.bad[0].file, /^oneiro-dataset\.json$/);
    assert.match(report.bad[0].reason, /^invalid at '.*': .* \(env name not taken from it\)$/);
  }));
