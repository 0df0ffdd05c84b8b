import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDIS_AVAILABLE, startRedis } from './redis-helpers.ts';

test(
  "a test redis is ready only when the server on its port is its own, not another test's",
  { skip: REDIS_AVAILABLE ? false : 'redis-server is not installed (.ci/run installs it)' },
  async () => {
    const a = await startRedis();
    try {
      // The second server cannot bind a's port; a's answer on that port must not pass for the second's.
      await assert.rejects(startRedis({ port: a.port }), new RegExp(`could not start on port ${a.port}`));
    } finally {
      await a.stop();
    }
  },
);
