/**
 * End to end in web mode, LEXA's "goals from any frame": a tiny debug LEXA run (trained by the CLI on a point-goals
 * dataset), then in the Dream Lab the user picks one real frame as the goal, moves to another start frame, and the
 * achiever's imagined pursuit appears between the start and the goal with its distance-to-goal curve; beside it the
 * achiever pursues the goal in the real env from the same start frame, with the env's success test marked. Failing steps
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
import { openDataset, readEpisode } from '../../core/data/dataset.ts';
import { POINT_GOALS, SUCCESS_RADIUS } from '../../core/envs/point-goals.ts';
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
    // A goal row whose recorded state lies on one of point-goals' goals, so the env's own success test applies.
    let goalAt = { episode: 0, step: 0, test: '' };

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
        const ds = openDataset(host.workspace, DATASET);
        found: for (let e = 0; e < ds.meta.counts.episodes; e++) {
          const st = readEpisode(ds, e).extra!.state;
          const xy = st.data as Float32Array;
          for (let t = 0; t < st.shape[0]; t++) {
            const g = POINT_GOALS.find((p) => Math.hypot(xy[2 * t] - p.x, xy[2 * t + 1] - p.y) < SUCCESS_RADIUS);
            if (g) {
              goalAt = { episode: e, step: t, test: g.name };
              break found;
            }
          }
        }
        assert.ok(goalAt.test, 'the seeded dataset holds a row on a point-goals goal');
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
      // The goal: a frame on one of the env's goals.
      await page.getByLabel('Episode', { exact: true }).selectOption(String(goalAt.episode));
      await page.getByLabel('Start step').fill(String(goalAt.step));
      await panel.getByRole('button', { name: 'Use this frame as the goal' }).click();
      assert.equal(
        (await panel.getByLabel('Chosen goal').textContent())?.trim(),
        `goal: episode ${goalAt.episode}, step ${goalAt.step}`,
      );
      // The start: step 2 of episode 0.
      await page.getByLabel('Episode', { exact: true }).selectOption('0');
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
      // The real env side by side: at step 0 it shows the recorded start frame itself (point-goals is restored).
      const real0 = await canvasInfo(page, 'Goal real env frame');
      assert.equal(real0.blank, false, 'the real env frame is drawn');
      assert.equal(real0.hash, start.hash, 'the real env starts from the same start frame');
      assert.match(
        (await panel.getByLabel('Real env start').textContent()) ?? '',
        /its first frame equals the recorded one/,
      );
      const r0 = Number((await page.getByTestId('goal-real-distance').textContent())?.trim());
      assert.ok(Math.abs(r0 - d0) < 1e-3, `the real and imagined curves start at the same state (${r0}, ${d0})`);
      await page.keyboard.press('End');
      await panel.getByText(`real point-goals · step ${H}`).waitFor({ timeout: 10_000 });
      assert.equal((await canvasInfo(page, 'Goal real env frame')).blank, false, 'the last real frame is drawn');
      // The success marker: the env's own test of the goal the goal frame sits on, judged at the last step.
      const marker = (await panel.getByRole('status', { name: 'Goal success' }).textContent())?.trim() ?? '';
      assert.match(marker, new RegExp(`^(✓ goal reached|✗ not reached): the env's test '${goalAt.test}'`), marker);
      await assertNoErrors(page);
      await shot(page, 'dream-lab-goal', { fullPage: true });
    });
  },
);
