/**
 * The e2e runs against renderer/dist, the build both hosts serve. It is rebuilt here when missing or
 * older than any renderer source or the contract it bundles, so a fresh clone needs no manual step.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './host.ts';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function rendererIsStale(): boolean {
  const built = join(ROOT, 'renderer/dist/index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newest(join(ROOT, 'renderer/src')),
    newest(join(ROOT, 'core/contract')),
    statSync(join(ROOT, 'renderer/index.html')).mtimeMs,
    statSync(join(ROOT, 'renderer/vite.config.ts')).mtimeMs,
  );
  return statSync(built).mtimeMs < sources;
}

export async function ensureRendererBuilt(): Promise<'built' | 'fresh'> {
  if (!rendererIsStale()) return 'fresh';
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn' });
  return 'built';
}
