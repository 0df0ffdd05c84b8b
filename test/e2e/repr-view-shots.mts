// Throwaway (not committed): screenshots of the Dream Lab with longer-trained runs, for the report.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startHost } from './support/host.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { openSession, closeSession } from './support/browser.ts';

const OUT = '/work/wt/repr-view-shots';
const STEPS = process.env.STEPS ?? '400';
await ensureRendererBuilt();
const host = await startHost();
const cli = (args: string[]) => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/oneiro.mjs'), ...args, '--workspace', host.workspace], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1' },
  });
  console.log(`oneiro ${args.slice(0, 2).join(' ')}: ${(Date.now() - t0) / 1000}s status ${r.status}`);
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
};
try {
  cli(['collect', '--env', 'cartpole-swingup', '--episodes', '8', '--dataset', 'cart', '--size', '32']);
  const train = (extra: string[]) =>
    JSON.parse(cli(['train', '--model', 'rssm', '--preset', 'debug', '--dataset', 'cart', '--steps', STEPS, ...extra, '--json']).trim().split('\n').at(-1)!).run as string;
  const blind = train(['--set', 'loss.imageScale=0']);
  const sighted = train([]);
  console.log(cli(['probe', blind, '--steps', process.env.PROBE_STEPS ?? '800']));
  const s = await openSession(host.url);
  const page = s.page;
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Dream Lab', exact: true }).click();
  await page.getByLabel('Run', { exact: true }).selectOption(blind);
  await page.getByLabel('Dataset', { exact: true }).selectOption('cart');
  await page.getByLabel('Compare run').selectOption(sighted);
  await page.getByLabel('Start step').fill('20');
  await page.getByLabel('Horizon', { exact: true }).fill('25');
  await page.getByRole('button', { name: 'Dream', exact: true }).click();
  await page.getByRole('region', { name: 'Compare runs' }).waitFor({ timeout: 120_000 });
  await page.getByLabel('Rollout step').fill('9');
  await page.getByLabel('Compare step').fill('8');
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(OUT, 'trained-dream-lab-probe.png') });
  await page.getByRole('region', { name: 'Compare runs' }).scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, 'trained-dream-lab-compare.png') });
  await page.getByLabel('Frame source').selectOption('retrieval');
  await page.getByRole('button', { name: 'Dream', exact: true }).click();
  await page.waitForTimeout(4000);
  await page.screenshot({ path: join(OUT, 'trained-dream-lab-retrieval.png'), fullPage: true });
  await closeSession(s);
} finally {
  await host.stop();
}
