import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright';

/** Helpers every e2e file drives the workbench with (one copy, so a fix to waiting or hashing lands everywhere). */

/** Where screenshots go when `ONEIRO_E2E_SHOTS` is set (for looking at the UI, never asserted on). */
const SHOTS = process.env.ONEIRO_E2E_SHOTS;

/** Polls `fn` until it returns something truthy; the timeout names what was awaited and the last error. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Pixel summary of a canvas found by its accessible name: size, an FNV hash, and whether it is a flat fill. */
export async function canvasInfo(
  page: Page,
  name: string,
): Promise<{ w: number; h: number; hash: number; blank: boolean }> {
  return page.getByRole('img', { name, exact: true }).evaluate((c: any) => {
    const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hash = 2166136261;
    let blank = true;
    for (let i = 0; i < d.length; i++) {
      hash = Math.imul(hash ^ d[i], 16777619) >>> 0;
      if (blank && d[i] !== d[i % 4]) blank = false;
    }
    return { w: c.width, h: c.height, hash, blank };
  });
}

/** Mean absolute pixel difference (0..255) between two canvases of the same size. */
export async function canvasDiff(page: Page, a: string, b: string): Promise<number> {
  const pixels = (name: string) =>
    page
      .getByRole('img', { name, exact: true })
      .evaluate((c: any) =>
        Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data as Uint8ClampedArray),
      );
  const [da, db] = [await pixels(a), await pixels(b)];
  assert.equal(da.length, db.length, `${a} and ${b} differ in size`);
  let s = 0;
  for (let i = 0; i < da.length; i++) s += Math.abs(da[i] - db[i]);
  return s / da.length;
}

/** Clicks a view in the main navigation. */
export async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: label, exact: true }).click();
}

export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: opts.fullPage ?? false });
}

/** No error toast is showing (service errors surface as role=alert). */
export async function assertNoErrors(page: Page): Promise<void> {
  const alerts = await page.getByRole('alert').allTextContents();
  assert.deepEqual(alerts, [], `the UI shows errors: ${alerts.join(' | ')}`);
}
