/**
 * End to end in web mode: the real host (`oneiro serve`) on a fresh workspace, the built renderer, and
 * Debian's Chromium driven by Playwright. One user journey, step by step: collect a dataset, train a
 * debug World Models run and watch its loss curve, dream open-loop and scrub, export a GIF, then play
 * inside the dream with the keyboard and export the recording. A failing step keeps a screenshot and a
 * Playwright trace in test-results/e2e/. ONEIRO_E2E_SHOTS=DIR also saves a screenshot of every view.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { Page } from 'playwright';
import { startHost } from './support/host.ts';
import { waitUntil, canvasInfo, canvasDiff, nav, shot, assertNoErrors } from './support/page.ts';
import type { RunningHost } from './support/host.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { chromiumMissingReason, openSession, closeSession, keepFailure } from './support/browser.ts';
import type { Session } from './support/browser.ts';
import { readGif } from './support/gif.ts';
import { TARGET_FPS } from '../../renderer/src/lib/fps.ts';
import { openDataset, readEpisode } from '../../core/data/dataset.ts';

const DATASET = 'e2e-car';
// Enough data and steps for the debug model to beat copy-last-frame from 5 steps ahead (the World Models
// integration test's finding on car-racing: 0.58× at 5 steps after 1500 VAE + 800 RNN steps on ~3000
// frames), yet a few minutes on 2 CPU cores; the controller phase is skipped.
const EPISODES = 8;
const EPISODE_STEPS = 250;
const RUN_STEPS = 1000;
/** Open-loop horizons from which the trained debug model is expected to beat copy-last-frame. */
const MIN_WINNING_HORIZON = 5;

// Without Chromium the suite is skipped with the reason shown — except in CI (.ci/run installs it), where
// a missing browser must fail rather than pass silently.
const missing = chromiumMissingReason();
const skipReason = missing && !process.env.CI ? missing : null;

describe('workbench in web mode (Debian Chromium + oneiro serve)', { skip: skipReason ?? false }, () => {
  let host: RunningHost | undefined;
  let s: Session | undefined;
  let runId = '';
  let fps = 0;

  before(
    async () => {
      if (missing) throw new Error(missing);
      await ensureRendererBuilt();
      host = await startHost();
      s = await openSession(host.url);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    if (s) await closeSession(s);
    if (host) await host.stop();
  });

  /** A journey step: on failure, keep a screenshot + trace and show browser and host output. */
  function step(name: string, timeout: number, fn: (page: Page) => Promise<void>) {
    it(name, { timeout }, async () => {
      assert.ok(s && host, 'the host and browser did not start (see the before hook)');
      try {
        await fn(s.page);
      } catch (e) {
        const base = await keepFailure(s, name);
        const err = e as Error;
        err.message +=
          `\n  screenshot: ${base}.png\n  trace: ${base}-trace.zip (npx playwright show-trace)` +
          `\n  browser problems: ${s.problems.slice(-5).join(' | ') || 'none'}\n  host output (tail):\n${host.output().slice(-1500)}`;
        throw err;
      }
    });
  }

  step('connects and shows the workspace', 30_000, async (page) => {
    await page.getByRole('navigation', { name: 'Views' }).waitFor();
    const status = page.getByRole('contentinfo', { name: 'Status' });
    await waitUntil('the backend in the status bar', async () =>
      /backend\s+\S+/.test((await status.textContent()) ?? ''),
    );
    assert.match(
      (await status.textContent()) ?? '',
      new RegExp(host!.workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    );
    await assertNoErrors(page);
  });

  step('collects a small dataset from a built-in env with a progress bar', 300_000, async (page) => {
    await nav(page, 'Datasets');
    await page.getByLabel('Environment', { exact: true }).selectOption('car-racing');
    await page.getByLabel('Dataset name').fill(DATASET);
    await page.getByLabel('Episodes', { exact: true }).fill(String(EPISODES));
    await page.getByLabel('Max steps per episode').fill(String(EPISODE_STEPS));
    await page.getByRole('button', { name: 'Collect', exact: true }).click();
    await page.getByRole('progressbar', { name: 'Collect progress' }).waitFor({ timeout: 10_000 });
    const row = page.getByRole('region', { name: 'Datasets' }).getByRole('button', { name: DATASET, exact: true });
    await row.waitFor({ timeout: 290_000 });
    await assertNoErrors(page);
    // The episode browser shows real frames of the new dataset.
    await row.click();
    await waitUntil('a non-blank episode frame', async () => !(await canvasInfo(page, 'Episode frame')).blank, 30_000);
    const before = await canvasInfo(page, 'Episode frame');
    await page.getByLabel('Episode frame index').fill('40');
    await waitUntil(
      'the episode frame to change after scrubbing',
      async () => (await canvasInfo(page, 'Episode frame')).hash !== before.hash,
    );
    await page.getByRole('img', { name: 'Reward curve' }).waitFor();
    await shot(page, 'datasets');
  });

  step('starts a debug World Models run and its loss curve updates', 900_000, async (page) => {
    await nav(page, 'Runs');
    await page.getByLabel('Model family').selectOption('world-models');
    await page.getByLabel('Preset').selectOption('debug');
    await page.getByLabel('Training dataset').selectOption(DATASET);
    await page.getByLabel('Training steps').fill(String(RUN_STEPS));
    await page.getByLabel('Config overrides').fill('controller.enabled=false');
    await page.getByRole('button', { name: 'Create and start' }).click();
    const runs = page.getByRole('region', { name: 'Runs' });
    await runs.getByRole('row').nth(1).waitFor();
    runId = ((await runs.getByRole('row').nth(1).getByRole('button').first().textContent()) ?? '').trim();
    assert.ok(runId, 'the new run is listed');
    const points = page.getByTestId('metric-points');
    const n1 = await waitUntil(
      'first metric points',
      async () => {
        const n = Number(await points.textContent());
        return n > 0 ? n : null;
      },
      240_000,
    );
    await page
      .getByRole('img', { name: /^Loss curve / })
      .first()
      .waitFor();
    const n2 = await waitUntil(
      'the loss curve to gain points',
      async () => {
        const n = Number(await points.textContent());
        return n > n1 ? n : null;
      },
      240_000,
    );
    assert.ok(n2 > n1);
    await shot(page, 'runs-training');
    // The run must finish (or at least checkpoint) before it can dream.
    const status = page.getByLabel('Run status');
    await waitUntil(
      'the run to complete',
      async () => {
        const st = (await status.textContent())?.trim();
        if (st === 'crashed' || st === 'failed') throw new Error(`run ${runId} ${st}`);
        return st === 'completed';
      },
      840_000,
      1000,
    );
    await page.getByRole('table', { name: 'Checkpoints' }).getByRole('row').nth(1).waitFor();
    await assertNoErrors(page);
    await shot(page, 'runs-completed');
  });

  let T = 0;
  step('dreams open-loop: real and dream canvases differ, scrubbing changes frames', 120_000, async (page) => {
    await nav(page, 'Dream Lab');
    await page.getByLabel('Run', { exact: true }).selectOption(runId);
    await page.getByLabel('Dataset', { exact: true }).selectOption(DATASET);
    await page.getByLabel('Start step').fill('5');
    await page.getByLabel('Horizon').fill('12');
    // Near the point prediction (the slider's lowest τ): the baseline comparison below is of a forecast,
    // and `oneiro eval` compares at τ 0 (the mixture mean); τ 1 samples add their own variance.
    await page.getByLabel('Temperature', { exact: true }).fill('0.1');
    await page.getByRole('button', { name: 'Dream', exact: true }).click();
    await page.getByRole('img', { name: 'Real frame' }).waitFor({ timeout: 90_000 });
    const real = await canvasInfo(page, 'Real frame');
    const dream = await canvasInfo(page, 'Dream frame');
    assert.equal(real.blank, false, 'real canvas is blank');
    assert.equal(dream.blank, false, 'dream canvas is blank');
    assert.equal(await canvasInfo(page, 'Error heatmap').then((e) => e.w), real.w);
    // Necessary but not sufficient (an untrained model passes it too); the baseline check below is the real one.
    const diff = await canvasDiff(page, 'Real frame', 'Dream frame');
    assert.ok(diff > 0.5, `real and dream frames should differ, mean |Δ| = ${diff}`);
    // Context vs imagination is marked.
    assert.match((await page.getByRole('status', { name: 'Rollout phase' }).textContent()) ?? '', /imagined/);
    await page.getByRole('img', { name: 'Per-step error curve' }).waitFor();
    // Scrub to another step: all three players change together.
    const scrub = page.getByLabel('Rollout step');
    T = Number(await scrub.getAttribute('max')) + 1;
    assert.ok(T >= 12, `rollout has ${T} steps`);
    await scrub.fill(String(T - 1));
    await waitUntil('the real frame to change', async () => (await canvasInfo(page, 'Real frame')).hash !== real.hash);
    await waitUntil(
      'the dream frame to change',
      async () => (await canvasInfo(page, 'Dream frame')).hash !== dream.hash,
    );
    // The trained model against its baselines over the imagined steps MIN_WINNING_HORIZON or more ahead:
    // copy-last-frame (read from the stats panel the user sees), and the mean frame of the dataset
    // episodes (`oneiro eval`'s reconstruction baseline: the best constant image a model could learn
    // without tracking anything), against the canvases. On this data an untrained model (2 steps) beats
    // copy-last (Σ 0.33 vs 0.63: the random-policy scene moves a lot) but not the mean frame (Σ 0.11).
    const ctx = Number(((await page.locator('dt:text-is("context") + dd').textContent()) ?? '').replace(/\D/g, ''));
    assert.ok(ctx >= 1 && T - ctx >= MIN_WINNING_HORIZON, `context ${ctx} of ${T} steps`);
    const rows: string[] = [];
    let model = 0;
    let baseline = 0;
    const reals: number[][] = [];
    const dreams: number[][] = [];
    const pixels = (name: string) =>
      page
        .getByRole('img', { name, exact: true })
        .evaluate((c: any) =>
          Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data as Uint8ClampedArray),
        );
    for (let t = ctx + MIN_WINNING_HORIZON - 1; t < T; t++) {
      const prev = (await canvasInfo(page, 'Dream frame')).hash;
      await scrub.fill(String(t));
      await waitUntil(`the stats panel at step ${t}`, async () =>
        ((await page.locator('dt:text-is("step") + dd').textContent()) ?? '').trim().startsWith(`${t} /`),
      );
      // Let the players redraw (two dreamed frames in a row can be identical, so do not insist).
      await waitUntil('a redraw', async () => (await canvasInfo(page, 'Dream frame')).hash !== prev, 2000).catch(
        () => null,
      );
      const m = Number(await page.locator('dt:text-is("mse") + dd').textContent());
      const b = Number(await page.locator('dt:text-is("copy-last") + dd').textContent());
      assert.ok(Number.isFinite(m) && Number.isFinite(b), `step ${t}: mse '${m}', copy-last '${b}'`);
      model += m;
      baseline += b;
      rows.push(`h${t - ctx + 1} ${m}/${b}`);
      reals.push(await pixels('Real frame'));
      dreams.push(await pixels('Dream frame'));
    }
    // Pixel MSE in [0,1] over RGB (alpha skipped) on the canvases, for the model and for the mean true frame.
    const mse = (a: number[], b: ArrayLike<number>) => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < a.length; i++) {
        if (i % 4 === 3) continue;
        s += ((a[i] - b[i]) / 255) ** 2;
        n++;
      }
      return s / n;
    };
    // The dataset's mean frame at the canvas's size: box-averaged down to the model's frame size (as the
    // dream's truth is resized for the model), or repeated up at an integer display scale.
    const ds = openDataset(host!.workspace, DATASET);
    const [H, W] = ds.meta.observationShape;
    const sum = new Float64Array(H * W * 3);
    let nFrames = 0;
    for (let e = 0; e < ds.meta.episodes.length; e++) {
      const ep = readEpisode(ds, e);
      for (let i = 0; i < ep.image.length; i++) sum[i % sum.length] += ep.image[i];
      nFrames += ep.imageShape[0];
    }
    const { w: cw, h: ch } = await canvasInfo(page, 'Real frame');
    const down = W / cw;
    const up = cw / W;
    assert.ok(
      cw === ch && H === W && (Number.isInteger(down) || Number.isInteger(up)),
      `canvas ${cw}×${ch}, frames ${W}×${H}`,
    );
    const meanFrame = new Array<number>(cw * ch * 4).fill(255);
    for (let y = 0; y < ch; y++)
      for (let x = 0; x < cw; x++)
        for (let c = 0; c < 3; c++) {
          let v = 0;
          if (down >= 1) {
            for (let dy = 0; dy < down; dy++)
              for (let dx = 0; dx < down; dx++) v += sum[((y * down + dy) * W + x * down + dx) * 3 + c];
            v /= down * down;
          } else v = sum[(Math.floor(y / up) * W + Math.floor(x / up)) * 3 + c];
          meanFrame[(y * cw + x) * 4 + c] = v / nFrames;
        }
    const modelCanvas = reals.reduce((s, r, k) => s + mse(r, dreams[k]), 0);
    const meanCanvas = reals.reduce((s, r) => s + mse(r, meanFrame), 0);
    console.log(
      `# open-loop pixel MSE model/copy-last-frame, horizons ≥ ${MIN_WINNING_HORIZON}: ${rows.join(', ')}; Σ model ${modelCanvas.toFixed(5)} vs Σ dataset mean frame ${meanCanvas.toFixed(5)} (canvases)`,
    );
    assert.ok(
      model < baseline,
      `the trained model (Σ MSE ${model.toFixed(5)}) does not beat copy-last-frame (Σ ${baseline.toFixed(5)}) at horizons ≥ ${MIN_WINNING_HORIZON}: ${rows.join(', ')}`,
    );
    assert.ok(
      modelCanvas < meanCanvas,
      `the trained model (Σ MSE ${modelCanvas.toFixed(5)}) does not beat the dataset's mean frame (Σ ${meanCanvas.toFixed(5)}) at horizons ≥ ${MIN_WINNING_HORIZON}`,
    );
    await scrub.fill('0');
    assert.match((await page.getByRole('status', { name: 'Rollout phase' }).textContent()) ?? '', /context/);
    await scrub.fill(String(Math.floor(T / 2)));
    await assertNoErrors(page);
    await shot(page, 'dream-lab');
  });

  step('exports the dream as a valid GIF with one frame per rollout step', 120_000, async (page) => {
    await page.getByLabel('Export format').selectOption('gif');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 90_000 }),
      page.getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    const bytes = new Uint8Array(readFileSync(await download.path()));
    assert.equal(Buffer.from(bytes.subarray(0, 6)).toString('latin1'), 'GIF89a');
    const gif = readGif(bytes);
    assert.equal(gif.frames, T, `GIF has ${gif.frames} frames, the rollout ${T}`);
    const meta = await sharp(bytes, { animated: true }).metadata();
    assert.equal(meta.pages, T);
    assert.match(download.suggestedFilename(), /\.gif$/);
    await assertNoErrors(page);
  });

  step(
    'dreams the mean of K samples and the point prediction, labelled, and exports each as shown',
    180_000,
    async (page) => {
      const sampled = await canvasInfo(page, 'Dream frame');
      await page.getByLabel('Dream kind').selectOption('mean');
      await page.getByLabel('Samples').fill('4');
      await page.getByRole('button', { name: 'Dream', exact: true }).click();
      await waitUntil('the dream to be labelled the mean of 4 samples', async () =>
        /^mean of 4 at τ 0\.1$/.test((await page.getByLabel('Dream shown').textContent())?.trim() ?? ''),
      );
      await waitUntil(
        'the dream frame to change',
        async () => (await canvasInfo(page, 'Dream frame')).hash !== sampled.hash,
      );
      const exportGif = async () => {
        const [download] = await Promise.all([
          page.waitForEvent('download', { timeout: 90_000 }),
          page.getByRole('button', { name: 'Export', exact: true }).click(),
        ]);
        return readGif(new Uint8Array(readFileSync(await download.path()))).frames;
      };
      assert.equal(await exportGif(), T);
      // τ 0 on the wire is refused (the point prediction is τ's absence): the export must not send it.
      await page.getByLabel('Dream kind').selectOption('mode');
      assert.equal(await page.getByLabel('Temperature', { exact: true }).count(), 0, 'the point prediction has no τ');
      await page.getByRole('button', { name: 'Dream', exact: true }).click();
      await waitUntil(
        'the dream to be labelled the point prediction',
        async () => (await page.getByLabel('Dream shown').textContent())?.trim() === 'point prediction',
      );
      assert.equal(await exportGif(), T);
      await assertNoErrors(page);
    },
  );

  step('plays inside the dream with the keyboard, measures fps, records and exports', 180_000, async (page) => {
    await nav(page, 'Play dream');
    await page.getByLabel('Run', { exact: true }).selectOption(runId);
    await page.getByLabel('Real frame', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Start dream' }).click();
    await page.getByRole('button', { name: 'Reset to real frame' }).waitFor({ timeout: 60_000 });
    await waitUntil(
      'a non-blank dream frame',
      async () => !(await canvasInfo(page, 'Dream player frame')).blank,
      30_000,
    );
    const f0 = await canvasInfo(page, 'Dream player frame');
    await page.keyboard.down('ArrowUp');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('KeyD');
    await page.waitForTimeout(500);
    await page.keyboard.up('ArrowUp');
    await waitUntil(
      'the dream frame to change under key presses',
      async () => (await canvasInfo(page, 'Dream player frame')).hash !== f0.hash,
      10_000,
    );

    // Frame rate while steering for 3 s (what the user gets: request, model step, draw).
    await page.getByLabel('Maximum frame rate').selectOption('120');
    await page.keyboard.down('ArrowUp');
    await page.waitForTimeout(3000);
    fps = Number(((await page.getByRole('status', { name: 'Frame rate' }).textContent()) ?? '').replace(/[^\d.]/g, ''));
    await page.keyboard.up('ArrowUp');
    console.log(`# dream play frame rate (64×64 canvas, web mode, Chromium): ${fps.toFixed(1)} frames/s`);
    // The meter works and the player kept stepping under held keys. Whether it reaches the player's target
    // (TARGET_FPS) is a speed claim for a benchmark, not this test: on a loaded machine it fell to 24 frames/s.
    assert.ok(Number.isFinite(fps) && fps > 0, `the frame-rate meter shows a rate while steering, got ${fps}`);
    if (fps < TARGET_FPS) console.log(`# below the player's target of ${TARGET_FPS} frames/s on this machine now`);
    await shot(page, 'play');

    // Reset returns to the real frame's encoding: t back to 0.
    await page.getByRole('button', { name: 'Reset to real frame' }).click();
    await waitUntil('t to return to 0', async () =>
      /^t\s*0$/.test(((await page.getByRole('status', { name: 'Dream step' }).textContent()) ?? '').trim()),
    );

    // Record a short drive and export it.
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.keyboard.down('ArrowRight');
    await page.waitForTimeout(800);
    await page.keyboard.up('ArrowRight');
    await page.getByRole('button', { name: '● Recording' }).click();
    const recorded = Number(((await page.getByText(/\/2000 frames/).textContent()) ?? '').split('/')[0]);
    assert.ok(recorded > 2, `recorded ${recorded} frames`);
    await page.getByLabel('Recording format').selectOption('gif');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByRole('button', { name: 'Export recording' }).click(),
    ]);
    const gif = readGif(new Uint8Array(readFileSync(await download.path())));
    assert.equal(gif.frames, recorded, `recording GIF has ${gif.frames} frames, recorded ${recorded}`);
    await assertNoErrors(page);
  });

  step(
    "offers the run's agent as a collect policy, and says why one with no trained behaviour cannot collect",
    90_000,
    async (page) => {
      // The run trained no controller (controller.enabled=false): the collect worker loads it and refuses in one line.
      await nav(page, 'Datasets');
      await page.getByLabel('Environment', { exact: true }).selectOption('car-racing');
      await page.getByLabel('Policy', { exact: true }).selectOption(`run:${runId}`);
      await page.getByLabel('Exploration noise').fill('0.1');
      await page.getByLabel('Dataset name').fill('by-agent');
      await page.getByLabel('Episodes', { exact: true }).fill('1');
      await page.getByRole('button', { name: 'Collect', exact: true }).click();
      const alert = page.getByRole('alert').first();
      await alert.waitFor({ timeout: 60_000 });
      assert.match((await alert.textContent()) ?? '', /Collecting by-agent failed.*holds no trained behaviour/);
      await alert.getByRole('button', { name: 'Dismiss notification' }).click();
      await page.getByRole('alert').first().waitFor({ state: 'detached', timeout: 5000 });
    },
  );

  step('shows service errors to the user', 30_000, async (page) => {
    // A config key the family does not have: the service rejects it and the UI must say so.
    await nav(page, 'Runs');
    await page.getByLabel('Training dataset').selectOption(DATASET);
    await page.getByLabel('Config overrides').fill('vae.noSuchKey=1');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = page.getByRole('alert').first();
    await alert.waitFor({ timeout: 20_000 });
    assert.match((await alert.textContent()) ?? '', /Creating run failed/);
    await alert.getByRole('button', { name: 'Dismiss notification' }).click();
    await page.getByRole('alert').first().waitFor({ state: 'detached', timeout: 5000 });
  });

  step("adds episodes to the dataset its name picks, and refuses another env's dataset", 120_000, async (page) => {
    // Last, so the steps before see the dataset as collected.
    await nav(page, 'Datasets');
    const collect = page.getByRole('button', { name: /^(Collect|Add episodes)$/ });
    await page.getByLabel('Environment', { exact: true }).selectOption('cartpole-swingup');
    await page.getByLabel('Dataset name').fill(DATASET);
    assert.match((await page.getByLabel('Collect target').textContent()) ?? '', /holds car-racing episodes/);
    assert.ok(await collect.isDisabled(), "another env's dataset cannot be added to");
    await page.getByLabel('Environment', { exact: true }).selectOption('car-racing');
    await page.getByLabel('Policy', { exact: true }).selectOption('random');
    await page.getByLabel('Episodes', { exact: true }).fill('1');
    await page.getByLabel('Max steps per episode').fill('20');
    assert.match(
      ((await page.getByLabel('Collect target').textContent()) ?? '').replace(/\s+/g, ' '),
      new RegExp(`Adds 1 episode to the existing dataset \\(now ${EPISODES}\\)`),
    );
    assert.equal(((await collect.textContent()) ?? '').trim(), 'Add episodes');
    await collect.click();
    const row = page.getByRole('region', { name: 'Datasets' }).getByRole('row').filter({ hasText: DATASET });
    await waitUntil(
      'the dataset to list one episode more',
      async () => (await row.getByRole('cell').nth(2).textContent())?.trim() === String(EPISODES + 1),
      60_000,
    );
    await assertNoErrors(page);
  });
});
