/**
 * The e2e runs against renderer/dist, the build both hosts serve. It is rebuilt here when missing or
 * older than any renderer source or the contract it bundles, so a fresh clone needs no manual step.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * One build at a time across processes. `npm test` runs two e2e files at once, and on a fresh clone both find
 * renderer/dist missing; Vite empties dist before it writes, so the second build deleted the files the first
 * file's host was already serving (watched: dist incomplete for ≈ 0.4 s, 1 s after the first build ended). The
 * lock is a file in the temp folder naming the builder's pid; one left behind by a dead process is taken over.
 */
const LOCK = join(tmpdir(), `oneiro-renderer-build-${fnv1a(ROOT).toString(16)}.lock`);

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function alive(pid: number): boolean {
  // An unreadable or half-written lock (no pid yet) counts as held: its writer is about to fill it in.
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withBuildLock<T>(f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(LOCK, 'utf8'));
    } catch {
      continue; // released between our attempt and the read: try again at once
    }
    if (!alive(holder)) rmSync(LOCK, { force: true });
    else await new Promise((r) => setTimeout(r, 200));
  }
  try {
    return await f();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

export async function ensureRendererBuilt(): Promise<'built' | 'fresh'> {
  if (!rendererIsStale()) return 'fresh';
  return withBuildLock(async () => {
    // Another file may have built it while this one waited for the lock.
    if (!rendererIsStale()) return 'fresh';
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn' });
    return 'built';
  });
}
