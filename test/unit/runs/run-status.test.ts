import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_STATES, readStatus, statusPath } from '../../../core/runs/run-dir.ts';
import { RunStatus } from '../../../core/contract/schemas.ts';

// One run status for disk and wire (tests-and-configs issue, item 2).
test('the disk states are the wire statuses except the host-only "starting"', () => {
  assert.deepEqual(
    [...RUN_STATES],
    RunStatus.options.filter((s) => s !== 'starting'),
  );
  assert.ok(RUN_STATES.includes('completed') && RUN_STATES.includes('stopped'));
});

test('old run folders stay readable: "finished" and a stop told by the message map onto the shared states', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-status-'));
  const write = (s: object) =>
    writeFileSync(
      statusPath(dir),
      JSON.stringify({ phase: null, step: 3, totalSteps: 3, pid: null, backend: 'cpu', updated: '', ...s }),
    );
  try {
    write({ state: 'finished' });
    assert.equal(readStatus(dir)!.state, 'completed');
    write({ state: 'paused', message: 'stopped by the user' });
    assert.equal(readStatus(dir)!.state, 'stopped');
    write({ state: 'paused', message: 'paused by the user' });
    assert.equal(readStatus(dir)!.state, 'paused');
    write({ state: 'exploded' });
    assert.equal(readStatus(dir)!.state, 'crashed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
