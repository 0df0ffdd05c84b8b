import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEpisode } from '../../../core/data/episode-file.ts';
import { importIntoDataset } from '../../../core/data/dataset-import.ts';
import {
  commitStagedDataset,
  createDatasetAt,
  listDatasets,
  openDataset,
  removeDataset,
} from '../../../core/data/dataset.ts';
import { writeJsonAtomic } from '../../../core/util/atomic-write.ts';
import { codedEpisode } from './helpers.ts';

const bin = new URL('../../../bin/oneiro.mjs', import.meta.url).pathname;

function withRoot(f: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'oneiro-badval-'));
  try {
    f(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function oneiro(ws: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The reproduction, small: a folder of good episodes and one whose reward holds a NaN. */
function folderWithNaN(root: string): string {
  const src = join(root, 'src');
  mkdirSync(src);
  writeEpisode(join(src, 'a.npz'), codedEpisode(1, 4));
  const nan = codedEpisode(2, 5);
  nan.reward[3] = NaN;
  writeEpisode(join(src, 'b-nan-reward.npz'), nan);
  const inf = codedEpisode(3, 5);
  inf.action[2 * 2 + 1] = -Infinity;
  writeEpisode(join(src, 'c-inf-action.npz'), inf);
  writeEpisode(join(src, 'd.npz'), codedEpisode(4, 6));
  return src;
}

test('a NaN reward or an infinite action is a named bad file; the rest of the folder imports and reads back', () =>
  withRoot((root) => {
    const ws = join(root, 'ws');
    const { report, dataset } = importIntoDataset(ws, 'ok', folderWithNaN(root));
    assert.deepEqual(
      report.bad.map((b) => `${b.file}: ${b.reason}`),
      [
        "b-nan-reward.npz: non-finite value: 'reward' is NaN at row 3; expected finite numbers",
        "c-inf-action.npz: non-finite value: 'action' is -Infinity at row 2, column 1; expected finite numbers",
      ],
    );
    assert.equal(dataset?.meta.counts.episodes, 2);
    const back = openDataset(ws, 'ok');
    assert.deepEqual(
      back.meta.episodes.map((e) => e.return),
      [101 + 102 + 103, 401 + 402 + 403 + 404 + 405],
    );
  }));

test('a staged dataset whose dataset.json would not read back is never committed, and leaves the name free', () =>
  withRoot((ws) => {
    const staged = join(ws, 'datasets', '.staging-x-1');
    const ds = createDatasetAt(staged, 'x', {
      env: null,
      observationShape: [2, 2, 3],
      actionSpace: { kind: 'box', shape: [2], low: [0, 0], high: [1, 1] },
      source: {},
    });
    // What an unvalidated NaN return became before: JSON null in the index.
    writeJsonAtomic(join(staged, 'dataset.json'), {
      ...ds.meta,
      episodes: [{ file: 'e.npz', length: 3, return: NaN }],
    });
    assert.throws(() => commitStagedDataset(ws, 'x', staged), /dataset 'x': .* is invalid at 'episodes\.0\.return'/);
    assert.equal(existsSync(join(ws, 'datasets', 'x')), false);
  }));

test('rm works on a dataset whose dataset.json is corrupt or missing (CLI and core); list shows it as unreadable', () =>
  withRoot((ws) => {
    const corrupt = join(ws, 'datasets', 'corrupt');
    const missing = join(ws, 'datasets', 'missing');
    mkdirSync(corrupt, { recursive: true });
    mkdirSync(missing, { recursive: true });
    writeFileSync(join(corrupt, 'dataset.json'), '{"format": "oneiro-dataset", "episodes": [{"return": null');
    writeFileSync(join(missing, 'x.npz'), 'junk');
    assert.deepEqual(
      listDatasets(ws).map((d) => [d.name, 'error' in d]),
      [
        ['corrupt', true],
        ['missing', true],
      ],
    );
    const r = removeDataset(ws, 'missing');
    assert.ok('unreadable' in r && /cannot read .*dataset\.json \(ENOENT\)/.test(r.unreadable), JSON.stringify(r));
    assert.equal(existsSync(missing), false);

    const cli = oneiro(ws, 'dataset', 'rm', 'corrupt');
    assert.equal(cli.code, 0, cli.err);
    assert.match(cli.out, /^removed dataset 'corrupt' \(it was unreadable: dataset 'corrupt': cannot read .*\)\n$/);
    assert.equal(existsSync(corrupt), false);
    const none = oneiro(ws, 'dataset', 'rm', 'corrupt');
    assert.equal(none.code, 2);
    assert.match(none.err, /no dataset 'corrupt'/);
  }));

test('import reads regular files only: a FIFO and a symlink to /dev/zero are named and skipped', () =>
  withRoot((root) => {
    const src = join(root, 'src');
    mkdirSync(src);
    writeEpisode(join(src, 'a.npz'), codedEpisode(1, 4));
    assert.equal(spawnSync('mkfifo', [join(src, 'b-fifo.npz')]).status, 0, 'mkfifo');
    symlinkSync('/dev/zero', join(src, 'c-zero.npz'));
    // Before: the FIFO blocked the import forever and /dev/zero was read until memory ran out.
    const { report, dataset } = importIntoDataset(join(root, 'ws'), 'regular', src);
    assert.deepEqual(
      report.bad.map((b) => `${b.file}: ${b.reason}`),
      [
        'b-fifo.npz: not a regular file (a FIFO); only regular files are read',
        'c-zero.npz: not a regular file (a character device); only regular files are read',
      ],
    );
    assert.equal(dataset?.meta.counts.episodes, 1);
  }));

test('the CLI removes .staging-* folders of killed imports when a dataset command starts', () =>
  withRoot((ws) => {
    const dead = join(ws, 'datasets', '.staging-x-999999999');
    mkdirSync(dead, { recursive: true });
    writeFileSync(join(dead, 'dataset.json'), '{}');
    const r = oneiro(ws, 'dataset', 'list');
    assert.equal(r.code, 0, r.err);
    assert.equal(existsSync(dead), false);
  }));
