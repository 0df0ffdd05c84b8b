import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunService } from '../../../core/service/runs.ts';
import { EventHub } from '../../../core/service/events.ts';
import { FakeLauncher } from './fake-launcher.ts';

// The UI's overrides (runs:create) go through the same strict family config as `oneiro train --set`.
test('runs:create refuses a misspelled override on every family, naming it, and makes no run folder', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-overrides-'));
  const runs = new RunService(ws, new EventHub(), new FakeLauncher());
  try {
    for (const [family, key] of [
      ['rssm', 'loss.klBalnce'],
      ['world-models', 'rnn.hiden'],
      ['rssm', 'rssm.deter'],
    ] as const) {
      const value = key === 'rssm.deter' ? 1e7 : 0.5;
      await assert.rejects(
        runs.create({ family, preset: 'debug', dataset: 'ok', overrides: { [key]: value } } as never),
        (e: Error) => e.message.includes(key) && !e.message.includes('\n'),
      );
    }
    assert.ok(!existsSync(join(ws, 'runs')) || readdirSync(join(ws, 'runs')).length === 0);
  } finally {
    await runs.close(100);
    rmSync(ws, { recursive: true, force: true });
  }
});
