/**
 * The Runs view's "Train to N steps" control, in Debian's Chromium against the built renderer and the real web
 * host (core/host/server.ts: its dispatcher validates every request and reply). Behind the host is the dev fake
 * service (renderer/dev/fake-client.ts) instead of a workspace, so no model trains: its runs progress on a timer.
 * The test records what runs:resume receives and, for one run, refuses as core/runs/run-steps.ts does (a UserError,
 * i.e. invalid_request), so the UI's handling of the service's word is what is checked, not the service's rules.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright';
import type { WorkbenchApi } from '../../core/contract/client.ts';
import type { ParsedRequestOf } from '../../core/contract/channels.ts';
import { UserError } from '../../core/util/errors.ts';
import { createFakeClient } from '../../renderer/src/dev/fake-client.ts';
import { waitUntil, shot } from './support/page.ts';
import { chromiumMissingReason } from './support/browser.ts';
import { useFakeHost } from './support/fake-host.ts';

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

/** The fake's completed runs: an rssm run (600/600) that can grow, and a World Models one the test refuses. */
const GROWS = 'dreamer-debug-0';
const REFUSED = 'wm-debug-0';
// The shape of run-steps.ts' refusal for a completed World Models run (its `steps` grows the finished vae too).
const REFUSAL = `run ${REFUSED}: phase 'vae' finished at 300 steps and phase 'rnn' trained after it, so steps 1200 (vae 1200) cannot apply: expected only 'rnn' to grow; train 'vae' longer in a new run`;

describe('Runs view: train a run longer (web host, fake service)', { skip: skipReason ?? false }, () => {
  const fake = createFakeClient();
  const calls: ParsedRequestOf<'runs:resume'>[] = [];
  let listed = 0;
  const api = {
    ...fake,
    listRuns: async () => {
      listed++;
      return fake.listRuns();
    },
    resumeRun: async (req: ParsedRequestOf<'runs:resume'>) => {
      calls.push(req);
      if (req.runId === REFUSED && req.steps !== undefined) throw new UserError(REFUSAL);
      return fake.resumeRun(req);
    },
  } as unknown as WorkbenchApi;
  const step = useFakeHost(fake, api, async () => {
    await fake.stopRun({ runId: GROWS }).catch(() => {});
  });

  const runRow = (page: Page, id: string) =>
    page.getByRole('region', { name: 'Runs' }).getByRole('row').filter({ hasText: id });
  const control = (page: Page) => page.getByRole('form', { name: 'Train longer' });
  const status = (page: Page) => page.getByLabel('Run status', { exact: true });

  step('a completed run trains to the steps given, and the control is gone while it runs', 60_000, async (page) => {
    await runRow(page, GROWS).getByRole('button', { name: GROWS }).click();
    await waitUntil('the selected run to be completed', async () => (await status(page).textContent()) === 'completed');
    const input = control(page).getByRole('spinbutton', { name: 'Steps to train to' });
    assert.equal(await input.inputValue(), '1200', 'prefilled with twice the run total (600)');
    await shot(page, 'runs-train-longer');
    await input.fill('900');
    await control(page).getByRole('button', { name: 'Train longer' }).click();
    await waitUntil('runs:resume to be called', async () => calls.length === 1);
    assert.deepEqual(calls, [{ runId: GROWS, steps: 900 }]);
    await waitUntil('the run to be running', async () => (await status(page).textContent()) === 'running');
    assert.equal(await control(page).count(), 0, 'no "Train to" control on a running run');
    // Progress as any resume's: the status events move the step toward the new budget, then it completes there.
    await waitUntil(
      'the run to complete at 900',
      async () => (await runRow(page, GROWS).textContent())?.includes('900/900'),
      30_000,
    );
    await waitUntil('the control back, prefilled from the new total', async () => (await control(page).count()) === 1);
    assert.equal(await control(page).getByRole('spinbutton').inputValue(), '1800');
  });

  step("a refusal shows the service's message and changes nothing", 30_000, async (page) => {
    await runRow(page, REFUSED).getByRole('button', { name: REFUSED }).click();
    await waitUntil('the selected run to be completed', async () => (await status(page).textContent()) === 'completed');
    // The refused run's row (the other run may still be training if the step before failed).
    const before = await runRow(page, REFUSED).textContent();
    const rows = await page.getByRole('region', { name: 'Runs' }).getByRole('row').count();
    await control(page).getByRole('button', { name: 'Train longer' }).click();
    const refusal = page.getByRole('alert', { name: 'Train longer refused' });
    await refusal.waitFor({ timeout: 10_000 });
    assert.equal((await refusal.textContent())?.trim(), REFUSAL);
    assert.deepEqual(calls.at(-1), { runId: REFUSED, steps: 1200 });
    assert.equal(await runRow(page, REFUSED).textContent(), before, 'the refused run is unchanged in the list');
    assert.equal(await page.getByRole('region', { name: 'Runs' }).getByRole('row').count(), rows);
    assert.equal(await status(page).textContent(), 'completed');
    assert.equal(await control(page).count(), 1, 'the control stays, to try another number');
    // The same runs listed again (new objects, same values) keep the message and a number being typed.
    await control(page).getByRole('spinbutton').fill('1234');
    const n = listed;
    await page.getByRole('button', { name: 'Refresh runs' }).click();
    await waitUntil('the runs to be listed again', async () => listed > n);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await refusal.count(), 1, 'the refusal outlives a refresh');
    assert.equal((await refusal.textContent())?.trim(), REFUSAL);
    assert.equal(await control(page).getByRole('spinbutton').inputValue(), '1234');
    await shot(page, 'runs-train-longer-refused');
  });
});
