/**
 * End to end in web mode, LEXA's "goals from any frame": a tiny debug LEXA run (trained by the CLI on a point-goals
 * dataset), then in the Dream Lab the user picks one real frame as the goal, moves to another start frame, and the
 * achiever's imagined pursuit appears between the start and the goal with its distance-to-goal curve. Failing steps
 * keep a screenshot and a trace in test-results/e2e/; ONEIRO_E2E_SHOTS=DIR saves a screenshot of the view.
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

const DATASET = 'e2e-points';
const H = 8;

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

describe(
  'LEXA in the workbench: a frame picked as the goal, pursued in imagination',
  { skip: skipReason ?? false },
  () => {
    let host: RunningHost | undefined;
    let s: Session | undefined;
    let lexaRun = '';

    before(
      async () => {
        if (missing) throw new Error(missing);
        await ensureRendererBuilt();
        host = await startHost();
        const cli = oneiroCli(host.workspace);
        cli(['collect', '--env', 'point-goals', '--episodes', '3', '--dataset', DATASET, '--size', '32']);
        const out = cli([
          'train',
          '--model',
          'rssm',
          '--preset',
          'debug',
          '--dataset',
          DATASET,
          '--steps',
          '3',
          '--set',
          'behavior=lexa',
          '--set',
          'train.batch=4',
          '--set',
          'train.length=8',
          '--json',
        ]);
        lexaRun = JSON.parse(out.trim().split('\n').at(-1)!).run;
        s = await openSession(host.url);
      },
      { timeout: 300_000 },
    );

    after(async () => {
      if (s) await closeSession(s);
      if (host) await host.stop();
    });

    const step = defineStep(() => ({ s, host }));

    step('picks a frame as the goal and sees the imagined pursuit with its distance curve', 180_000, async (page) => {
      await nav(page, 'Dream Lab');
      await page.getByLabel('Run', { exact: true }).selectOption(lexaRun);
      await page.getByLabel('Dataset', { exact: true }).selectOption(DATASET);
      const panel = page.getByRole('region', { name: 'Goal dream' });
      await panel.waitFor({ timeout: 30_000 });
      // The goal: episode 0, step 20.
      await page.getByLabel('Start step').fill('20');
      await panel.getByRole('button', { name: 'Use this frame as the goal' }).click();
      assert.equal((await panel.getByLabel('Chosen goal').textContent())?.trim(), 'goal: episode 0, step 20');
      // The start: step 2 of the same episode.
      await page.getByLabel('Start step').fill('2');
      await panel.getByLabel('Goal horizon').fill(String(H));
      await panel.getByRole('button', { name: 'Pursue the goal from this frame' }).click();
      await panel.getByRole('img', { name: 'Goal dream frame' }).waitFor({ timeout: 90_000 });
      const start = await canvasInfo(page, 'Goal dream start frame');
      const goal = await canvasInfo(page, 'Goal frame');
      assert.equal(start.blank, false, 'the real start frame is drawn');
      assert.equal(goal.blank, false, 'the goal frame is drawn');
      assert.notEqual(start.hash, goal.hash, 'the goal is the picked frame, not the start');
      await panel.getByRole('img', { name: 'Goal distance chart' }).waitFor();
      // Opens on the last imagined step; scrubbing to the first shows another frame and the distance there.
      const last = await canvasInfo(page, 'Goal dream frame');
      assert.equal(last.blank, false, 'the imagined frame is drawn');
      const dLast = Number((await page.getByTestId('goal-cosine-distance').textContent())?.trim());
      const strip = page.getByRole('slider', { name: 'Goal dream strip' });
      await strip.focus();
      await page.keyboard.press('Home');
      await waitUntil(
        'the filtered start state after scrubbing to step 0',
        async () => (await canvasInfo(page, 'Goal dream frame')).hash !== last.hash,
        10_000,
      );
      const d0 = Number((await page.getByTestId('goal-cosine-distance').textContent())?.trim());
      assert.ok(Number.isFinite(d0) && Number.isFinite(dLast), `distances shown (${d0}, ${dLast})`);
      assert.ok(d0 >= 0 && d0 <= 2 && dLast >= 0 && dLast <= 2, `1 − cos lies in [0, 2] (${d0}, ${dLast})`);
      await assertNoErrors(page);
      await shot(page, 'dream-lab-goal', { fullPage: true });
    });
  },
);
