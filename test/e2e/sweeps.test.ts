/**
 * End to end, web mode: the Settings view connects the host (`oneiro serve`) to a real redis-server
 * (password-protected, loopback, temp folder) and lists a real `oneiro worker` process; a sweep of two
 * tiny World Models jobs enqueued by `oneiro sweep` from another process trains on that worker; the
 * Sweeps view shows its table (sortable) and both runs' loss curves overlaid on one chart.
 * ONEIRO_E2E_SHOTS=DIR saves screenshots of the Settings and Sweeps views.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright';
import { ROOT, startHost, type RunningHost } from './support/host.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { chromiumMissingReason, openSession, closeSession, keepFailure, type Session } from './support/browser.ts';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from '../integration/redis-helpers.ts';

const BIN = join(ROOT, 'bin/oneiro.mjs');
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const SHOTS = process.env.ONEIRO_E2E_SHOTS;

const missing = chromiumMissingReason() ?? (REDIS_AVAILABLE ? null : 'redis-server is not installed');
const skipReason = missing && !process.env.CI ? missing : null;

describe('Settings and Sweeps views against a real queue', { skip: skipReason ?? false }, () => {
  let host: RunningHost | undefined;
  let s: Session | undefined;
  let redis: TestRedis | undefined;
  let worker: ChildProcess | undefined;
  let sweepId = '';
  let workerOut = '';

  before(
    async () => {
      if (missing) throw new Error(missing);
      await ensureRendererBuilt();
      redis = await startRedis({ args: ['--requirepass', PASSWORD], cliArgs: ['-a', PASSWORD, '--no-auth-warning'] });
      host = await startHost();
      s = await openSession(host.url);
      const ws = host.workspace;
      const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
      const c = spawnSync(
        process.execPath,
        [BIN, 'collect', '--env', 'cartpole-swingup', '--episodes', '3', '--dataset', 'cart', '--size', '32'],
        { encoding: 'utf8', env: { ...process.env, ONEIRO_WORKSPACE: ws } },
      );
      assert.equal(c.status, 0, c.stderr);
      worker = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--workspace', ws, '--concurrency', '2'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker.stdout!.on('data', (d) => (workerOut += d));
      worker.stderr!.on('data', (d) => (workerOut += d));
      const file = join(ws, 'tiny.json');
      writeFileSync(
        file,
        JSON.stringify({
          name: 'tiny',
          family: 'world-models',
          preset: 'debug',
          dataset: 'cart',
          steps: 8,
          grid: { 'vae.zDim': [8, 16] },
          overrides: { 'controller.enabled': false, 'vae.batch': 4, 'rnn.batch': 2, 'rnn.seqLen': 8 },
          train: { checkpointEvery: 8, logEvery: 1 },
        }),
      );
      const r = spawnSync(process.execPath, [BIN, 'sweep', file, '--queue', url, '--workspace', ws, '--json'], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      sweepId = (JSON.parse(r.stdout) as { sweep: string }).sweep;
    },
    { timeout: 300_000 },
  );

  after(async () => {
    if (s) await closeSession(s);
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    if (host) await host.stop();
    await redis?.stop();
  });

  function step(name: string, timeout: number, fn: (page: Page) => Promise<void>) {
    it(name, { timeout }, async () => {
      assert.ok(s && host, 'the host and browser did not start (see the before hook)');
      try {
        await fn(s.page);
      } catch (e) {
        const base = await keepFailure(s, name);
        (e as Error).message +=
          `\n  screenshot: ${base}.png\n  browser problems: ${s.problems.slice(-5).join(' | ') || 'none'}` +
          `\n  host output (tail):\n${host.output().slice(-1500)}\n  worker output (tail):\n${workerOut.slice(-1500)}`;
        throw e;
      }
    });
  }
  const nav = (page: Page, label: string) =>
    page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: label, exact: true }).click();
  const shot = async (page: Page, name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };

  step('Settings: connect the queue (the password never shows) and see the worker', 60_000, async (page) => {
    await nav(page, 'Settings');
    await page.getByRole('textbox', { name: 'Queue URL' }).fill(`redis://127.0.0.1:${redis!.port}`);
    await page.getByLabel('Queue password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('connected', { exact: true }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('queue-url').textContent(), `redis://127.0.0.1:${redis!.port}/0`);
    assert.equal(await page.getByLabel('Queue password').inputValue(), '', 'the typed password is cleared');
    const workers = page.getByRole('region', { name: 'Workers' });
    await workers
      .getByRole('cell', { name: 'wasm' })
      .or(workers.getByRole('cell', { name: 'cpu' }))
      .or(workers.getByRole('cell', { name: 'tensorflow' }))
      .first()
      .waitFor({ timeout: 20_000 });
    assert.ok(!(await page.content()).includes(PASSWORD), 'the password is nowhere in the page');
    await shot(page, 'settings');
  });

  step('Sweeps: the table of both runs and their loss curves overlaid', 240_000, async (page) => {
    await nav(page, 'Sweeps');
    await page
      .getByRole('button', { name: new RegExp('^tiny') })
      .first()
      .waitFor();
    const table = page.getByRole('table', { name: 'Sweep runs' });
    // Both tiny jobs train on the worker and complete; the table re-reads the sweep every 3 s.
    for (const t0 = Date.now(); ;) {
      const done = await table.getByText('completed', { exact: true }).count();
      if (done >= 2 * 2) break; // run status and job state both read 'completed'
      assert.ok(Date.now() - t0 < 200_000, `the runs did not complete: ${await table.textContent()}`);
      await page.waitForTimeout(1000);
    }
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    const first = (await rows.nth(0).locator('td').first().textContent())!.trim();
    assert.ok(first.startsWith(`${sweepId}-`), first);
    // Sorting by vae.zDim descending puts the 16 row first.
    await table.getByRole('button', { name: /^vae\.zDim/ }).click();
    await table.getByRole('button', { name: /^vae\.zDim/ }).click();
    assert.match((await rows.nth(0).textContent()) ?? '', /16/);
    assert.equal(await table.getByRole('columnheader', { name: /vae\.zDim/ }).getAttribute('aria-sort'), 'descending');
    // One chart, one series per run (uPlot's legend lists them).
    const chart = page.getByRole('img', { name: /^Sweep loss curves / });
    await chart.waitFor();
    const legend = await chart.locator('.u-legend .u-series .u-label').allTextContents();
    assert.deepEqual(legend.slice(1).sort(), [`${sweepId}-000`, `${sweepId}-001`]);
    await shot(page, 'sweeps');
    assert.ok(!(await page.content()).includes(PASSWORD));
  });
});
