import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimRunDir, runDirOf } from '../../../core/runs/run-dir.ts';
import { UserError } from '../../../core/util/errors.ts';
import { createDataset } from '../../../core/data/dataset.ts';
import { createRun } from '../../../core/runs/trainer.ts';

test('a drawn run id whose folder exists is drawn again: two runs never share a folder', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-runid-'));
  try {
    // The same id twice, as two runs created in the same second with the same 4-hex suffix would draw it.
    const ids = ['20261203-052300-rssm-abcd', '20261203-052300-rssm-abcd', '20261203-052300-rssm-0001'];
    const draw = () => ids.shift()!;
    const a = claimRunDir(ws, 'rssm', undefined, draw);
    writeFileSync(join(a.dir, 'config.json'), '{"first": true}');
    const b = claimRunDir(ws, 'rssm', undefined, draw);
    assert.equal(a.id, '20261203-052300-rssm-abcd');
    assert.equal(b.id, '20261203-052300-rssm-0001');
    assert.equal(b.dir, runDirOf(ws, b.id));
    assert.deepEqual(readdirSync(a.dir), ['config.json'], "the first run's folder is untouched");
    assert.deepEqual(readdirSync(b.dir), []);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('an id the caller chose that exists is refused with a one-line error, and its folder is kept', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-runid-'));
  try {
    const a = claimRunDir(ws, 'rssm', 'mine');
    writeFileSync(join(a.dir, 'config.json'), '{}');
    assert.throws(
      () => claimRunDir(ws, 'rssm', 'mine'),
      (e) => e instanceof UserError && /^a run named 'mine' already exists in /.test(e.message),
    );
    assert.ok(existsSync(join(a.dir, 'config.json')));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a run whose config cannot be written leaves no folder behind', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-runid-'));
  try {
    createDataset(ws, 'd', {
      env: 'shapes-2d',
      observationShape: [16, 16, 3],
      actionSpace: { kind: 'discrete', n: 2 },
      source: { kind: 'test' },
    });
    // JSON has no BigInt: writing config.json throws after the folder is claimed, as a full disk would.
    const from = { run: 'x', phase: 'rnn', step: 1n } as never;
    await assert.rejects(
      createRun({ workspace: ws, family: 'world-models', preset: 'debug', dataset: 'd', from, backend: 'cpu' }),
      /BigInt/,
    );
    assert.deepEqual(readdirSync(join(ws, 'runs')), []);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
