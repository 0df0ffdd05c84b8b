/**
 * The Runs view's "Continue from…" form, in Debian's Chromium against the built renderer and the real web host
 * (core/host/server.ts: its dispatcher validates every request and reply). Behind the host is the dev fake service
 * (renderer/dev/fake-client.ts), so no model trains: what is checked is the request the form sends (runs:fork), that
 * the new run is started and selected, and that the form is only on completed World Models runs. The service's side
 * is test/unit/service/runs-fork.test.ts.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright';
import type { WorkbenchApi } from '../../core/contract/client.ts';
import type { ParsedRequestOf } from '../../core/contract/channels.ts';
import { createFakeClient } from '../../renderer/src/dev/fake-client.ts';
import { waitUntil, shot } from './support/page.ts';
import { chromiumMissingReason } from './support/browser.ts';
import { useFakeHost } from './support/fake-host.ts';

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

/** The fake's completed runs: a World Models one (its config's rnn.steps 300) and an rssm one. */
const WM = 'wm-debug-0';
const RSSM = 'dreamer-debug-0';

describe(
  'Runs view: continue a World Models run at a later phase (web host, fake service)',
  { skip: skipReason ?? false },
  () => {
    const fake = createFakeClient();
    const calls: ParsedRequestOf<'runs:fork'>[] = [];
    const started: string[] = [];
    const api = {
      ...fake,
      forkRun: async (req: ParsedRequestOf<'runs:fork'>) => {
        calls.push(req);
        return fake.forkRun(req);
      },
      startRun: async (req: ParsedRequestOf<'runs:start'>) => {
        started.push(req.runId);
        return fake.startRun(req);
      },
    } as unknown as WorkbenchApi;
    const step = useFakeHost(fake, api, async () => {
      for (const id of started) await fake.stopRun({ runId: id }).catch(() => {});
    });

    const runRow = (page: Page, id: string) =>
      page.getByRole('region', { name: 'Runs' }).getByRole('row').filter({ hasText: id });
    const form = (page: Page) => page.getByRole('form', { name: 'Continue from' });
    const status = (page: Page) => page.getByLabel('Run status', { exact: true });

    step('no form on a completed rssm run', 30_000, async (page) => {
      await runRow(page, RSSM).getByRole('button', { name: RSSM }).click();
      await waitUntil(
        'the selected run to be completed',
        async () => (await status(page).textContent()) === 'completed',
      );
      assert.equal(await form(page).count(), 0);
    });

    step('prefilled per phase; Continue forks, starts and selects the new run', 60_000, async (page) => {
      await runRow(page, WM).getByRole('button', { name: WM }).click();
      await waitUntil('the form', async () => (await form(page).count()) === 1);
      const overrides = form(page).getByRole('textbox', { name: 'Overrides of the new run' });
      assert.equal(await overrides.inputValue(), 'controller.temperature=1.5');
      await form(page).getByRole('combobox', { name: 'Phase to start at' }).selectOption('rnn');
      await waitUntil('twice M’s 300 steps', async () => (await overrides.inputValue()) === 'rnn.steps=600');
      await shot(page, 'runs-continue-from');
      await form(page).getByRole('button', { name: 'Continue' }).click();
      await waitUntil('runs:fork to be called', async () => calls.length === 1);
      assert.deepEqual(calls, [{ runId: WM, phase: 'rnn', overrides: { 'rnn.steps': 600 } }]);
      await waitUntil('the new run to be started', async () => started.length === 1);
      assert.notEqual(started[0], WM);
      await waitUntil(
        'the new run selected, from wm-debug-0',
        async () => (await page.getByText(`${WM} at its rnn phase`).count()) === 1,
      );
    });
  },
);
