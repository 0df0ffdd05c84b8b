/**
 * End to end in web mode, Dreamer's behaviour made visible: a tiny debug RSSM with the actor-critic is created
 * and trained from the Runs form (its actor, critic and imagined-return curves appear in their own panel), the
 * Dream Lab shows the actor's own imagined rollout with reward, value and λ-return under the strip, and Play
 * dream runs on autopilot until a key press takes over. A CEM run shows why it has no actor. Failing steps keep
 * a screenshot and a trace in test-results/e2e/; ONEIRO_E2E_SHOTS=DIR saves a screenshot of each view.
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

const DATASET = 'e2e-cart';

const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

describe("Dreamer in the workbench: the actor's dream and the autopilot", { skip: skipReason ?? false }, () => {
  let host: RunningHost | undefined;
  let s: Session | undefined;
  let cemRun = '';
  let acRun = '';

  before(
    async () => {
      if (missing) throw new Error(missing);
      await ensureRendererBuilt();
      host = await startHost();
      // The dataset and a CEM run come from the CLI into the host's workspace (the host lists what is on disk).
      const cli = oneiroCli(host.workspace);
      cli(['collect', '--env', 'cartpole-swingup', '--episodes', '4', '--dataset', DATASET, '--size', '32']);
      const out = cli([
        'train',
        '--model',
        'rssm',
        '--preset',
        'debug',
        '--dataset',
        DATASET,
        '--steps',
        '2',
        '--json',
      ]);
      cemRun = JSON.parse(out.trim().split('\n').at(-1)!).run;
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
    'trains a tiny debug actor-critic run; its actor, critic and imagined-return curves show',
    300_000,
    async (page) => {
      await nav(page, 'Runs');
      await page.getByLabel('Model family').selectOption('rssm');
      await page.getByLabel('Preset').selectOption('debug');
      await page.getByLabel('Training dataset').selectOption(DATASET);
      await page.getByLabel('Training steps').fill('20');
      await page
        .getByLabel('Config overrides')
        .fill('behavior=actor-critic train.batch=4 train.length=8 actorCritic.horizon=5');
      await page.getByRole('button', { name: 'Create and start' }).click();
      // The new run is selected once created (until then the CLI's CEM run is).
      const title = page.locator('section.right h2.mono');
      acRun = await waitUntil('the new run to be selected', async () => {
        const id = (await title.textContent())?.trim();
        return id && id !== cemRun ? id : null;
      });
      const status = page.getByLabel('Run status');
      await waitUntil(
        'the actor-critic run to complete',
        async () => {
          const st = (await status.textContent())?.trim();
          if (st === 'crashed' || st === 'failed') throw new Error(`run ${st}`);
          return st === 'completed' && (await title.textContent())?.trim() === acRun;
        },
        280_000,
      );
      const panel = page.getByRole('region', { name: 'Behaviour curves' });
      for (const key of ['model/actor_loss', 'model/critic_loss', 'model/imag_return'])
        await panel.getByRole('img', { name: `Behaviour curve ${key}` }).waitFor({ timeout: 30_000 });
      // The world model's loss panel keeps its own terms only.
      assert.equal(await page.getByRole('img', { name: 'Loss curve model/actor_loss' }).count(), 0);
      await page.getByRole('img', { name: 'Loss curve model/model_loss' }).waitFor();
      await assertNoErrors(page);
      await shot(page, 'runs-behaviour', { fullPage: true });
    },
  );

  step("the Dream Lab shows the actor's imagined rollout with reward, value and λ-return", 120_000, async (page) => {
    await nav(page, 'Dream Lab');
    await page.getByLabel('Run', { exact: true }).selectOption(acRun);
    await page.getByLabel('Dataset', { exact: true }).selectOption(DATASET);
    await page.getByLabel('Start step').fill('8');
    await page.getByLabel('Actor horizon').fill('12');
    await page.getByRole('button', { name: 'Imagine with the actor' }).click();
    await page.getByRole('img', { name: 'Actor dream frame' }).waitFor({ timeout: 90_000 });
    const f0 = await canvasInfo(page, 'Actor dream frame');
    assert.equal(f0.blank, false, 'the decoded start state is not blank');
    assert.equal((await canvasInfo(page, 'Actor start frame')).blank, false);
    await page.getByRole('img', { name: 'Actor reward chart' }).waitFor();
    await page.getByRole('img', { name: 'Actor value return chart' }).waitFor();
    const strip = page.getByRole('slider', { name: 'Actor dream strip' });
    await strip.focus();
    await page.keyboard.press('End');
    await waitUntil(
      'another imagined frame after scrubbing the strip',
      async () => (await canvasInfo(page, 'Actor dream frame')).hash !== f0.hash,
      10_000,
    );
    const stepText = (await page.getByRole('definition').filter({ hasText: '/ 12' }).textContent()) ?? '';
    assert.match(stepText, /^12 \/ 12$/, `the last of 12 imagined steps (${stepText})`);
    const ret = Number((await page.getByTestId('actor-lambda-return').textContent())?.trim());
    assert.ok(Number.isFinite(ret), `a λ-return is shown (${ret})`);
    await assertNoErrors(page);
    await shot(page, 'dream-lab-actor', { fullPage: true });
    // A CEM run gets the reason instead of the button.
    await page.getByLabel('Run', { exact: true }).selectOption(cemRun);
    assert.match(
      (await page.getByRole('note', { name: 'No actor' }).textContent()) ?? '',
      /plans with CEM \(behavior: cem\): it has no actor/,
    );
    assert.equal(await page.getByRole('button', { name: 'Imagine with the actor' }).count(), 0);
  });

  step('Play dream: the autopilot drives, a key press takes over, the toggle hands back', 120_000, async (page) => {
    await nav(page, 'Play dream');
    await page.getByLabel('Run', { exact: true }).selectOption(acRun);
    await page.getByLabel('Real frame', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Start dream' }).click();
    await page.getByRole('button', { name: 'Reset to real frame' }).waitFor({ timeout: 60_000 });
    const t = async () =>
      Number(((await page.getByRole('status', { name: 'Dream step' }).textContent()) ?? '').replace(/\D/g, ''));
    const driver = () => page.getByTestId('action-driver').textContent();
    await page.getByRole('button', { name: 'Autopilot' }).click();
    await waitUntil('the actor to drive a few steps', async () => (await t()) > 5 && (await driver()) === 'actor');
    assert.match((await page.getByRole('status', { name: 'Driver' }).textContent()) ?? '', /autopilot · actor drives/);
    await shot(page, 'play-autopilot', { fullPage: true });
    // A steering key takes over.
    await page.keyboard.down('ArrowLeft');
    await waitUntil('the user to drive', async () => (await driver()) === 'user', 10_000);
    await page.keyboard.up('ArrowLeft');
    assert.equal(
      await page.getByRole('button', { name: 'Autopilot', exact: true }).getAttribute('aria-pressed'),
      'false',
    );
    // The toggle (key P) gives control back to the actor.
    const before = await t();
    await page.keyboard.press('KeyP');
    await waitUntil('the actor to drive again', async () => (await driver()) === 'actor' && (await t()) > before + 2);
    await page.keyboard.press('Space');
    await assertNoErrors(page);
    // A run without an actor says why there is no autopilot.
    await page.getByLabel('Run', { exact: true }).selectOption(cemRun);
    assert.match((await page.getByRole('note', { name: 'No autopilot' }).textContent()) ?? '', /no actor/);
  });
});
