import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRun } from '../../../core/runs/trainer.ts';
import { DEFAULT_TRAIN } from '../../../core/runs/run-dir.ts';

// Hardening issue, item 4: the runner's own numeric settings are bounded like the families' configs.
test('every numeric run setting has an upper bound, refused before a run folder is made', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-settings-'));
  try {
    for (const key of Object.keys(DEFAULT_TRAIN)) {
      await assert.rejects(
        createRun({
          workspace: ws,
          family: 'rssm',
          preset: 'debug',
          dataset: null,
          backend: 'cpu',
          train: { [key]: 1e12 },
        }),
        (e: Error) => new RegExp(`invalid run settings: ${key}: .*(at most|expected)`).test(e.message),
      );
    }
    assert.ok(!existsSync(join(ws, 'runs')));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
