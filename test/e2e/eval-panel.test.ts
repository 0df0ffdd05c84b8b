/**
 * The Runs view's Evaluation panel, in Debian's Chromium against the built renderer and the real web host, with the
 * dev fake service behind it (renderer/dev/fake-client.ts): no model trains. Its metric table grew a ratio column
 * (model / mean frame with its interval over held-out episodes), which made the whole Runs view scroll sideways (the
 * run list cut off) and, as the sixth column, sat out of view; this checks the table scrolls inside its panel and
 * the ratio is in view in the suite's 1280 px window. Below it, the state probe's read against the true value is drawn.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkbenchApi } from '../../core/contract/client.ts';
import { createFakeClient } from '../../renderer/src/dev/fake-client.ts';
import { waitUntil, shot } from './support/page.ts';
import { chromiumMissingReason } from './support/browser.ts';
import { useFakeHost } from './support/fake-host.ts';

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

describe('Runs view: the evaluation table (web host, fake service)', { skip: skipReason ?? false }, () => {
  const fake = createFakeClient();
  const step = useFakeHost(fake, fake as unknown as WorkbenchApi, async () => {});

  step('the metric table scrolls inside its panel and the ratio column is in view', 60_000, async (page) => {
    await page
      .getByRole('region', { name: 'Runs' })
      .getByRole('row')
      .filter({ hasText: 'wm-debug-0' })
      .getByRole('button', { name: 'wm-debug-0' })
      .click();
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    const table = page.getByRole('table', { name: 'Evaluation metrics' });
    await waitUntil('the evaluation table', async () => (await table.count()) === 1);
    await shot(page, 'runs-eval-table');
    // The view's own containers scroll (the page itself never does), so ask every ancestor of the table's wrapper.
    const overflowing = await table.evaluate((t) => {
      const out: string[] = [];
      for (let e = t.parentElement?.parentElement ?? null; e; e = e.parentElement)
        if (e.scrollWidth > e.clientWidth + 1)
          out.push(`<${e.tagName.toLowerCase()} class="${e.className}"> ${e.scrollWidth} > ${e.clientWidth}`);
      return out;
    });
    assert.deepEqual(overflowing, [], 'containers around the table scroll sideways');
    const viewWidth = page.viewportSize()?.width ?? 0;
    const headers = await table.getByRole('columnheader').allTextContents();
    const col = headers.findIndex((h) => h.trim() === 'model / mean frame');
    assert.ok(col >= 0, `no 'model / mean frame' column among ${headers.join(' | ')}`);
    const cell = table.getByRole('row').filter({ hasText: 'openloop_fg_mse@10' }).getByRole('cell').nth(col);
    assert.match((await cell.textContent()) ?? '', /^\s*\d[\d.]*\s*\[\d[\d.]*, \d[\d.]*\]\s*$/, 'ratio [lo, hi]');
    const box = await cell.boundingBox();
    assert.ok(box, 'the ratio cell has a box');
    assert.ok(box.x + box.width <= viewWidth, `the ratio cell ends at ${box.x + box.width} px, past ${viewWidth}`);
  });

  step(
    'the probe read by true value is drawn per variable: a dot per bin, its numbers in its tooltip',
    30_000,
    async (page) => {
      const plot = page.getByRole('img', { name: 'probe read of cart position' });
      await waitUntil('the calibration plot', async () => (await plot.count()) === 1);
      await plot.scrollIntoViewIfNeeded();
      await shot(page, 'runs-eval-calibration');
      assert.equal(await plot.locator('circle').count(), 6, 'the fake reply has 6 bins');
      assert.equal(await plot.locator('line').count(), 1, 'the diagonal');
      const tip = await plot.locator('circle').first().locator('title').textContent();
      assert.match(
        tip ?? '',
        /^true −1\.80 to −1\.20 \(20 frames\): mean −1\.50, read −0\.\d+, 30 % of the squared error$/,
      );
    },
  );
});
