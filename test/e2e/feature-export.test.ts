/**
 * The Runs view's "Features for your own probes" panel, in Debian's Chromium against the built renderer and the real
 * web host (its dispatcher validates every request and reply), with the dev fake service behind it: what is checked
 * is the request the panel sends (exports:features: split, stride, the kept checkpoint picked), that the reply's bytes
 * arrive as a download under the reply's file name, and that a bad stride is refused in one line without a call.
 * The service's side (the file equals `oneiro features`'s) is test/integration/features-export.test.ts.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright';
import type { WorkbenchApi } from '../../core/contract/client.ts';
import type { ParsedRequestOf } from '../../core/contract/channels.ts';
import { createFakeClient } from '../../renderer/src/dev/fake-client.ts';
import { waitUntil, shot } from './support/page.ts';
import { chromiumMissingReason } from './support/browser.ts';
import { useFakeHost } from './support/fake-host.ts';

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

const RUN = 'wm-debug-0';

describe('Runs view: export a run’s features as .npz (web host, fake service)', { skip: skipReason ?? false }, () => {
  const fake = createFakeClient();
  const calls: ParsedRequestOf<'exports:features'>[] = [];
  const api = {
    ...fake,
    exportFeatures: async (req: ParsedRequestOf<'exports:features'>) => {
      calls.push(req);
      return fake.exportFeatures(req);
    },
  } as unknown as WorkbenchApi;
  const step = useFakeHost(fake, api, async () => {});
  const panel = (page: Page) => page.getByRole('region', { name: 'Feature export' });

  step(
    'held out, every 5th step, a kept checkpoint: the request says so and the file downloads under its name',
    60_000,
    async (page) => {
      await page
        .getByRole('region', { name: 'Runs' })
        .getByRole('row')
        .filter({ hasText: RUN })
        .getByRole('button', { name: RUN })
        .click();
      await waitUntil('the export panel', async () => (await panel(page).count()) === 1);
      await panel(page).getByRole('combobox', { name: 'Feature export split' }).selectOption('held-out');
      await panel(page).getByRole('spinbutton', { name: 'Stride' }).fill('5');
      await panel(page).getByRole('combobox', { name: 'Feature export checkpoint' }).selectOption('500');
      const download = page.waitForEvent('download');
      await panel(page).getByRole('button', { name: 'Export features' }).click();
      const d = await download;
      await waitUntil('exports:features to be called', async () => calls.length === 1);
      assert.equal(calls[0].runId, RUN);
      assert.equal(calls[0].split, 'held-out');
      assert.equal(calls[0].stride, 5);
      assert.equal(calls[0].checkpointStep, 500, 'the kept checkpoint picked');
      assert.equal(d.suggestedFilename(), `features-${RUN}-step500-held-out.npz`);
      const path = await d.path();
      assert.deepEqual([...readFileSync(path).subarray(0, 4)], [80, 75, 5, 6], "the reply's bytes");
      const result = panel(page).getByLabel('Feature export result');
      await waitUntil('the summary line', async () => (await result.count()) === 1);
      assert.match((await result.textContent()) ?? '', /120 rows \(40 held out\) × 48 features of 3\s+episodes/);
      await panel(page).scrollIntoViewIfNeeded();
      await shot(page, 'runs-feature-export');
    },
  );

  step('a stride of 0 is refused in one line and nothing is exported', 30_000, async (page) => {
    await panel(page).getByRole('spinbutton', { name: 'Stride' }).fill('0');
    await panel(page).getByRole('button', { name: 'Export features' }).click();
    const toast = page.getByRole('alert').filter({ hasText: 'stride' });
    await waitUntil('the refusal', async () => (await toast.count()) >= 1);
    const text = (await toast.first().textContent()) ?? '';
    assert.match(text, /stride/);
    assert.equal(calls.length, 1, 'the service was not called again');
  });
});
