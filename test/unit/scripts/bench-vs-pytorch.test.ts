import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// The side-by-side script refuses bad flags with one line naming the flag and what it expects (no bench runs).
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/bench-vs-pytorch.mjs', ...args], { encoding: 'utf8', timeout: 30e3 });

test('bench-vs-pytorch refuses an unknown workload, a bad thread list and too few steps', () => {
  for (const [args, msg] of [
    [['--only', 'vae,foo'], /unknown workload 'foo': expected some of vae, mdnrnn, rssm-small, rssm-big, imag/],
    [['--threads', '1,0'], /--threads takes thread counts from 1 to 99/],
    [['--steps', '3'], /--steps must be 10\.\.1000, got '3'/],
    [['--torch-threads', 'x'], /--torch-threads must be 1\.\.99/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}`);
    assert.match(r.stderr, msg);
  }
});
