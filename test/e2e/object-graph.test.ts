/**
 * End to end in web mode, seeing objects (issue 16 item 4): a debug object-graph (C-SWM) run trained through the
 * CLI on a small shapes-2d dataset; the Dream Lab shows its objects panel — one drawn mask per slot, the real frame,
 * and the k-step prediction by retrieval (a real frame, since C-SWM decodes no pixels) with the true frame's rank.
 * ONEIRO_E2E_SHOTS=DIR saves a screenshot.
 */
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { defineStep, oneiroCli } from './support/steps.ts';
import { waitUntil, canvasInfo, nav, shot, assertNoErrors } from './support/page.ts';
import { startHost } from './support/host.ts';
import type { RunningHost } from './support/host.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { chromiumMissingReason, openSession, closeSession } from './support/browser.ts';
import type { Session } from './support/browser.ts';

const DATASET = 'e2e-shapes';
/** Slots of the debug preset (core/models/object-graph/config.ts). */
const SLOTS = 5;

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

describe('an object-graph run seen in the Dream Lab: slot masks and retrieval', { skip: skipReason ?? false }, () => {
  let host: RunningHost | undefined;
  let s: Session | undefined;
  let run = '';

  before(
    async () => {
      if (missing) throw new Error(missing);
      await ensureRendererBuilt();
      host = await startHost();
      const cli = oneiroCli(host.workspace);
      cli([
        'collect',
        '--env',
        'shapes-2d',
        '--episodes',
        '4',
        '--max-steps',
        '10',
        '--dataset',
        DATASET,
        '--size',
        '50',
      ]);
      const out = cli([
        'train',
        '--model',
        'object-graph',
        '--preset',
        'debug',
        '--dataset',
        DATASET,
        '--steps',
        '10',
        '--json',
      ]);
      run = JSON.parse(out.trim().split('\n').at(-1)!).run as string;
      s = await openSession(host.url);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    if (s) await closeSession(s);
    if (host) await host.stop();
  });

  const step = defineStep(() => ({ s, host }));

  step(
    'the objects panel shows one drawn mask per slot and a retrieved k-step prediction with its rank',
    180_000,
    async (page) => {
      await nav(page, 'Dream Lab');
      await page.getByLabel('Run', { exact: true }).selectOption(run);
      await page.getByLabel('Dataset', { exact: true }).selectOption(DATASET);
      await page.getByLabel('Start step').fill('3');
      await page.getByLabel('Prediction steps k').fill('2');
      await page.getByRole('button', { name: 'Look at objects' }).click();
      await waitUntil(
        'the slot masks',
        async () => (await page.getByRole('img', { name: /^Slot \d+ mask$/ }).count()) === SLOTS,
        90_000,
      );
      for (let k = 1; k <= SLOTS; k++) {
        const c = await canvasInfo(page, `Slot ${k} mask`);
        assert.equal(c.blank, false, `slot ${k}'s mask is drawn, not a flat colour`);
      }
      assert.equal((await canvasInfo(page, 'Real frame 3')).blank, false, 'the real frame is drawn');
      assert.equal((await canvasInfo(page, 'True frame 5')).blank, false, 'the true frame k = 2 steps ahead');
      assert.equal((await canvasInfo(page, 'Retrieved frame')).blank, false, 'the retrieved frame is a real frame');
      const rank = ((await page.getByTestId('objects-rank').textContent()) ?? '').trim();
      assert.match(rank, /^2-step prediction: true frame rank \d+ of 44\b/, rank);
      // The slot graph: a K×K table of message norms, none on the diagonal (no self-loops).
      const rows = page.getByRole('table', { name: 'Edge strengths' }).locator('tbody tr');
      assert.equal(await rows.count(), SLOTS);
      const cells = await rows.nth(1).locator('td').allTextContents();
      assert.equal(cells.length, SLOTS);
      assert.equal(cells[1].trim(), '—', 'slot 2 sends itself no message');
      assert.ok(
        cells.filter((_, j) => j !== 1).every((c) => Number(c) > 0),
        `edge strengths ${cells.join(' ')}`,
      );
      // Each slot's 2-D embedding traced over the episode's 11 frames.
      for (let k = 1; k <= SLOTS; k++) {
        const pts = await page
          .getByRole('img', { name: `Slot ${k} embedding trace` })
          .locator('polyline')
          .getAttribute('points');
        assert.equal(pts?.trim().split(/\s+/).length, 11, `slot ${k}'s trace has a point per frame`);
      }
      await assertNoErrors(page);
      await shot(page, 'dream-lab-objects', { fullPage: true });
    },
  );
});
