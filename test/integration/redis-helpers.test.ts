import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_AVAILABLE, startRedis } from './redis-helpers.ts';

test(
  "a test redis is ready only when the server on its port is its own, not another test's, and a refused one leaves no folder",
  { skip: REDIS_AVAILABLE ? false : 'redis-server is not installed (.ci/run installs it)' },
  async () => {
    const a = await startRedis();
    // os.tmpdir() reads TMPDIR on each call: the refused server's folder would land here.
    const scratch = mkdtempSync(join(tmpdir(), 'oneiro-redis-scratch-'));
    const saved = process.env.TMPDIR;
    try {
      process.env.TMPDIR = scratch;
      // The second server cannot bind a's port; a's answer on that port must not pass for the second's.
      await assert.rejects(startRedis({ port: a.port }), new RegExp(`could not start on port ${a.port}`));
      assert.deepEqual(readdirSync(scratch), [], 'the refused server removed its temp folder');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(scratch, { recursive: true, force: true });
      await a.stop();
    }
  },
);
