import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import type { Page } from 'playwright';
import { keepFailure, type Session } from './browser.ts';
import { ROOT, type RunningHost } from './host.ts';

/** `oneiro …` in a workspace (what the host lists is on disk); a non-zero exit fails with its stderr. */
export function oneiroCli(workspace: string): (args: string[]) => string {
  return (args) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/oneiro.mjs'), ...args, '--workspace', workspace], {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_TEST: '1' },
    });
    assert.equal(r.status, 0, `oneiro ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
}

/**
 * One e2e step on the shared page; a failure keeps a screenshot and a trace and appends the browser's problems and
 * the host's output to the message. `get` reads the suite's session and host when the step runs.
 */
export function defineStep(
  get: () => { s: Session | undefined; host: RunningHost | undefined },
): (name: string, timeout: number, fn: (page: Page) => Promise<void>) => void {
  return (name, timeout, fn) =>
    it(name, { timeout }, async () => {
      const { s, host } = get();
      assert.ok(s && host, 'the host and browser did not start (see the before hook)');
      try {
        await fn(s.page);
      } catch (e) {
        const base = await keepFailure(s, name);
        const err = e as Error;
        err.message +=
          `\n  screenshot: ${base}.png\n  trace: ${base}-trace.zip` +
          `\n  browser problems: ${s.problems.slice(-5).join(' | ') || 'none'}\n  host output (tail):\n${host.output().slice(-1500)}`;
        throw err;
      }
    });
}
