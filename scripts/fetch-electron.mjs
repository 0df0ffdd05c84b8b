#!/usr/bin/env node
// The Electron binary, fetched where it can be: the root `postinstall` (root scripts run even though
// package.json's allowScripts denies Electron's own install script) and `npm run fetch:electron`.
// It runs Electron's installer (node_modules/electron/install.js, which honours ELECTRON_MIRROR,
// electron_config_cache and Electron's checksums) with a time limit, and never fails the install:
// where the download cannot happen, `npm start` says so in one line and opens web mode instead.
// Never attempted when CI or ELECTRON_SKIP_BINARY_DOWNLOAD is set.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let availability = null;
/** core/'s Electron lookup, loaded lazily through tsx so nothing here can fail at import time. */
async function findElectron(root, env) {
  availability ??= import('tsx/esm/api').then(({ register }) => {
    register();
    return import('../core/service/availability.ts');
  });
  return (await availability).findElectron(root, env);
}

/** Seconds the installer may take (a ~100 MB zip); beyond it the attempt ends and web mode remains. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Why the download must not be attempted here, or null. */
export function downloadRefusal(env) {
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) return 'ELECTRON_SKIP_BINARY_DOWNLOAD is set';
  if (env.CI) return 'CI is set';
  return null;
}

/**
 * Runs Electron's installer once. Resolves { ok, detail } and never rejects. `env` is what the
 * installer sees (mirror, cache); `timeoutMs` ends a download that hangs.
 */
export async function fetchElectron({ root, env = process.env, timeoutMs = DEFAULT_TIMEOUT_MS }) {
  const before = await findElectron(root, env);
  if (before.available) return { ok: true, detail: `Electron ${before.version} is already installed` };
  if (!before.version) return { ok: false, detail: before.detail };
  const refusal = downloadRefusal(env);
  if (refusal) return { ok: false, detail: `not downloading the Electron binary: ${refusal}` };
  const pkgDir = join(root, 'node_modules', 'electron');
  const started = Date.now();
  const outcome = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(pkgDir, 'install.js')], {
      cwd: root,
      env: { ...env, ELECTRON_GET_NO_PROGRESS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ timedOut: true, why: `no answer within ${Math.round(timeoutMs / 1000)} s` });
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ why: e.message });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      // install.js prints the error's stack: its first line says what went wrong.
      const first = stderr.split('\n').find((l) => l.trim()) ?? `exit code ${code}`;
      resolve({ why: code === 0 ? null : first.trim().slice(0, 300) });
    });
  });
  const after = await findElectron(root, env);
  if (after.available && !outcome.why)
    return {
      ok: true,
      detail: `Electron ${after.version} downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    };
  // A killed installer may have left half a zip extracted: never let that pass for an install.
  if (outcome.timedOut && !existsSync(join(pkgDir, 'path.txt')))
    rmSync(join(pkgDir, 'dist'), { recursive: true, force: true });
  return { ok: false, detail: `the Electron download failed: ${outcome.why ?? 'no binary after the installer ran'}` };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const seconds = Number(process.env.ONEIRO_ELECTRON_FETCH_TIMEOUT);
  const r = await fetchElectron({ root, timeoutMs: seconds > 0 ? seconds * 1000 : DEFAULT_TIMEOUT_MS }).catch((e) => ({
    ok: false,
    detail: `the Electron download could not start: ${String(e?.message ?? e).split('\n')[0]}`,
  }));
  console.log(
    r.ok
      ? `oneiro: ${r.detail}: npm start opens the desktop app`
      : `oneiro: ${r.detail}; npm start will open web mode (retry with npm run fetch:electron)`,
  );
  // Never fail the install: web mode works without the binary.
  process.exitCode = 0;
}
