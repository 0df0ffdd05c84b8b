/**
 * End to end in web mode, seeing models that decode no pixels, and compare mode (issue 15 items 2 and 5). The
 * pixel-less model is a debug RSSM trained with the contrastive objective (CVRL, `--set objective=contrastive`): it
 * has no decoder, so its LoadedModel reports pixels 'none' (core/models/rssm/family.ts). The
 * Dream Lab first shows it by retrieval (labelled, saying why), then trains its probe decoder from the button and
 * shows the dream through it, labelled "probe decoder"; compare mode puts it beside a reconstructing RSSM on the
 * same episode and start; Play dream plays it through the probe. ONEIRO_E2E_SHOTS=DIR saves a screenshot of each.
 */
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright';
import { defineStep, oneiroCli } from './support/steps.ts';
import { waitUntil, canvasInfo, nav, shot, assertNoErrors } from './support/page.ts';
import { startHost } from './support/host.ts';
import type { RunningHost } from './support/host.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { chromiumMissingReason, openSession, closeSession } from './support/browser.ts';
import type { Session } from './support/browser.ts';

const DATASET = 'e2e-cart';

const noteText = async (page: Page, name: string) =>
  ((await page.getByRole('note', { name, exact: true }).textContent()) ?? '').trim();

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

describe('models without a decoder, seen through a probe decoder; compare mode', { skip: skipReason ?? false }, () => {
  let host: RunningHost | undefined;
  let s: Session | undefined;
  let blindRun = '';
  let sightedRun = '';

  before(
    async () => {
      if (missing) throw new Error(missing);
      await ensureRendererBuilt();
      host = await startHost();
      const cli = oneiroCli(host.workspace);
      const train = (extra: string[]) =>
        JSON.parse(
          cli([
            'train',
            '--model',
            'rssm',
            '--preset',
            'debug',
            '--dataset',
            DATASET,
            '--steps',
            '10',
            '--set',
            'train.batch=4',
            '--set',
            'train.length=8',
            ...extra,
            '--json',
          ])
            .trim()
            .split('\n')
            .at(-1)!,
        ).run as string;
      cli(['collect', '--env', 'cartpole-swingup', '--episodes', '4', '--dataset', DATASET, '--size', '32']);
      blindRun = train(['--set', 'objective=contrastive']);
      sightedRun = train([]);
      s = await openSession(host.url);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    if (s) await closeSession(s);
    if (host) await host.stop();
  });

  const step = defineStep(() => ({ s, host }));

  step("a non-decoding run's dream is visible through its probe decoder, labelled as such", 300_000, async (page) => {
    await nav(page, 'Dream Lab');
    await page.getByLabel('Run', { exact: true }).selectOption(blindRun);
    await page.getByLabel('Dataset', { exact: true }).selectOption(DATASET);
    await page.getByLabel('Start step').fill('8');
    await page.getByLabel('Horizon', { exact: true }).fill('20');
    await page.getByRole('button', { name: 'Dream', exact: true }).click();
    // No probe yet: retrieval, labelled, with the reason.
    await waitUntil(
      'the retrieval label',
      async () => (await noteText(page, 'Pixel source')) === 'frames: retrieval',
      90_000,
    );
    assert.match(
      (await page.locator('.pxnote').textContent()) ?? '',
      /decodes no pixels and run \S+ has no probe decoder/,
    );
    assert.equal((await canvasInfo(page, 'Dream frame')).blank, false, 'retrieved frames are real frames');
    await shot(page, 'dream-lab-retrieval', { fullPage: true });
    await page.getByLabel('Probe steps').fill('150');
    await page.getByRole('button', { name: 'Train probe decoder' }).click();
    await waitUntil(
      'the dream through the probe decoder',
      async () => (await noteText(page, 'Pixel source')) === 'frames: probe decoder',
      240_000,
    );
    const caption =
      (await page.locator('figure', { has: page.getByRole('img', { name: 'Dream frame' }) }).textContent()) ?? '';
    assert.match(caption, /probe decoder/, `the dream canvas says where its frames come from (${caption})`);
    const f0 = await canvasInfo(page, 'Dream frame');
    assert.equal(f0.blank, false, 'the probe draws a frame, not a flat colour');
    // Scrubbing shows other probe-decoded frames.
    const scrub = page.getByLabel('Rollout step');
    await scrub.fill('20');
    await waitUntil(
      'another dreamed frame',
      async () => (await canvasInfo(page, 'Dream frame')).hash !== f0.hash,
      10_000,
    );
    await page.getByRole('button', { name: 'Retrain probe decoder' }).waitFor();
    await assertNoErrors(page);
    await shot(page, 'dream-lab-probe', { fullPage: true });
  });

  step(
    'compare mode shows two runs side by side: real | run A | run B, both error curves on one chart',
    180_000,
    async (page) => {
      await nav(page, 'Dream Lab');
      await page.getByLabel('Run', { exact: true }).selectOption(blindRun);
      await page.getByLabel('Compare run').selectOption(sightedRun);
      await page.getByLabel('Start step').fill('6');
      await page.getByRole('button', { name: 'Dream', exact: true }).click();
      const region = page.getByRole('region', { name: 'Compare runs' });
      await region.waitFor({ timeout: 90_000 });
      for (const name of ['Compare real frame', 'Run A frame', 'Run B frame']) {
        await region.getByRole('img', { name, exact: true }).waitFor();
        assert.equal((await canvasInfo(page, name)).blank, false, `${name} is not blank`);
      }
      assert.equal(await noteText(page, 'Run A pixel source'), 'probe decoder');
      assert.equal(await noteText(page, 'Run B pixel source'), "model's decoder");
      const heads = (await region.locator('.head').allTextContents()).join(' | ');
      assert.ok(heads.includes(blindRun) && heads.includes(sightedRun), `both run ids are shown (${heads})`);
      // Both runs' curves on one chart (uPlot legend rows name each run).
      const chart = region.getByRole('img', { name: 'Compare error curves' });
      await chart.waitFor();
      const legend = (await region.locator('.u-legend').textContent()) ?? '';
      assert.ok(
        legend.includes(`A ${blindRun}`) && legend.includes(`B ${sightedRun}`),
        `legend names both (${legend})`,
      );
      // One scrubber moves both dreams.
      const a0 = await canvasInfo(page, 'Run A frame');
      const b0 = await canvasInfo(page, 'Run B frame');
      await region.getByLabel('Compare step').fill('20');
      await waitUntil(
        'both dreams to move with the compare scrubber',
        async () =>
          (await canvasInfo(page, 'Run A frame')).hash !== a0.hash &&
          (await canvasInfo(page, 'Run B frame')).hash !== b0.hash,
        10_000,
      );
      await assertNoErrors(page);
      await shot(page, 'dream-lab-compare', { fullPage: true });
    },
  );

  step('Play dream plays the non-decoding run through its probe decoder, labelled', 120_000, async (page) => {
    await nav(page, 'Play dream');
    await page.getByLabel('Run', { exact: true }).selectOption(blindRun);
    await page.getByLabel('Real frame', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Start dream' }).click();
    await page.getByRole('button', { name: 'Reset to real frame' }).waitFor({ timeout: 60_000 });
    assert.equal(await noteText(page, 'Pixel source'), 'probe decoder');
    assert.equal((await canvasInfo(page, 'Dream player frame')).blank, false);
    await assertNoErrors(page);
    await shot(page, 'play-probe', { fullPage: true });
  });
});
