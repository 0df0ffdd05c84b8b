#!/usr/bin/env node
// `npm start [-- --demo] [-- --workspace DIR]`: the desktop app where an Electron binary exists,
// otherwise web mode (`oneiro serve`) with one line saying why. The Electron binary is looked for on
// disk only: require('electron') would try to download it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const demo = args.includes('--demo');
const wsIndex = args.indexOf('--workspace');
const workspace = wsIndex >= 0 ? args[wsIndex + 1] : undefined;
const forceWeb = args.includes('--web') || process.env.ONEIRO_WEB === '1';

const { findElectron } = await import('../core/service/availability.ts');

function newest(dir) {
  let t = 0;
  for (const f of ['main.ts', 'preload.ts', 'wiring.ts']) {
    const p = join(dir, f);
    if (existsSync(p)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function ensureRenderer() {
  if (existsSync(join(root, 'renderer', 'dist', 'index.html'))) return;
  console.error('oneiro: building the renderer once (renderer/dist is missing)…');
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'renderer/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) console.error('oneiro: the renderer build failed; the host will serve a placeholder page');
}

const electron = findElectron(root);
if (electron.available && !forceWeb) {
  ensureRenderer();
  const bundle = join(root, 'electron', 'dist', 'main.mjs');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newest(join(root, 'electron'))) {
    const b = spawnSync(process.execPath, [join(root, 'scripts', 'build-electron.mjs')], {
      cwd: root,
      stdio: 'inherit',
    });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
  console.log(`oneiro: starting the desktop app (Electron ${electron.version} at ${electron.path})`);
  const child = spawn(
    electron.path,
    [bundle, ...(demo ? ['--demo'] : []), ...(workspace ? [`--workspace=${workspace}`] : [])],
    { cwd: root, stdio: 'inherit' },
  );
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.log(
    `oneiro: ${forceWeb ? 'web mode requested' : `no Electron binary (${electron.detail})`} — starting web mode instead`,
  );
  ensureRenderer();
  // A browser opens where there is a display; the URL (with its token) is printed either way.
  const canOpen = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  const { main } = await import('../core/cli/main.ts');
  const serveArgs = [
    'serve',
    ...(canOpen ? ['--open'] : []),
    ...(demo ? ['--demo'] : []),
    ...(workspace ? ['--workspace', workspace] : []),
  ];
  process.exitCode = await main(serveArgs);
}
