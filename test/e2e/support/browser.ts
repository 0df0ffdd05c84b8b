/**
 * Debian's Chromium driven by Playwright (never a downloaded browser), with a trace recorded throughout;
 * a failing step keeps a screenshot and the trace under test-results/.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright';
import type { Browser, BrowserContext, Page } from 'playwright';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './host.ts';

export const CHROMIUM = process.env.ONEIRO_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS = join(ROOT, 'test-results');

export function chromiumMissingReason(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set ONEIRO_CHROMIUM`;
}

export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (shown when a step fails). */
  problems: string[];
}

export async function openSession(url: string): Promise<Session> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.tracing.start({ screenshots: true, snapshots: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { browser, context, page, problems };
}

/** Keeps a screenshot and the trace of a failed step under test-results/<name>-*. */
export async function keepFailure(s: Session, name: string): Promise<string> {
  const dir = join(RESULTS, 'e2e');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, name.replace(/[^\w.-]+/g, '-'));
  await s.page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
  await s.context.tracing.stop({ path: `${base}-trace.zip` }).catch(() => {});
  await s.context.tracing.start({ screenshots: true, snapshots: true }).catch(() => {});
  return base;
}

export async function closeSession(s: Session): Promise<void> {
  await s.context.tracing.stop().catch(() => {});
  await s.browser.close();
}

/**
 * A journey step (one `it`) on the session `session()` returns: on failure it keeps a screenshot and the trace and
 * adds where they are, the browser's last problems and `context()` (e.g. the host's output) to the error.
 */
export function journeyStep(session: () => Session | undefined, context: () => string) {
  return (name: string, timeout: number, fn: (page: Page) => Promise<void>) =>
    it(name, { timeout }, async () => {
      const s = session();
      assert.ok(s, 'the host and browser did not start (see the before hook)');
      try {
        await fn(s.page);
      } catch (e) {
        const base = await keepFailure(s, name);
        (e as Error).message +=
          `\n  screenshot: ${base}.png\n  trace: ${base}-trace.zip (npx playwright show-trace)` +
          `\n  browser problems: ${s.problems.slice(-5).join(' | ') || 'none'}\n${context()}`;
        throw e;
      }
    });
}
