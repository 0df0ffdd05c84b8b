import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * Whether an Electron binary and a Chromium exist here, found by looking at files only. We never
 * `require('electron')` to find out: its index.js downloads the binary when it is missing.
 */

export interface Found {
  available: boolean;
  version: string | null;
  /** The path found, or why nothing was. */
  detail: string;
}

export function electronExecutableName(platform = process.platform): string {
  if (platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

export function findElectron(root: string, env: NodeJS.ProcessEnv = process.env): Found & { path: string | null } {
  const pkgDir = join(root, 'node_modules', 'electron');
  let version: string | null = null;
  try {
    version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return {
      available: false,
      version: null,
      path: null,
      detail: 'the electron package is not installed (npm install)',
    };
  }
  // ELECTRON_OVERRIDE_DIST_PATH is Electron's own way to point at a binary installed elsewhere.
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist');
  let rel = electronExecutableName();
  try {
    rel = readFileSync(join(pkgDir, 'path.txt'), 'utf8').trim() || rel;
  } catch {
    /* path.txt is written by the download; the platform default is right otherwise */
  }
  const exe = join(distDir, rel);
  if (existsSync(exe) && statSync(exe).isFile()) return { available: true, version, path: exe, detail: exe };
  return {
    available: false,
    version,
    path: null,
    detail:
      `the electron ${version ?? ''} package has no binary (${exe} is missing: npm install's download from github.com did not run or failed; ` +
      `run 'npm run fetch:electron' where github.com is reachable, or set ELECTRON_OVERRIDE_DIST_PATH)`,
  };
}

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): Found & { path: string | null } {
  const candidates = env.ONEIRO_CHROMIUM ? [env.ONEIRO_CHROMIUM] : [];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const n of CHROMIUM_NAMES) candidates.push(join(dir, n));
  }
  for (const p of candidates) {
    if (!existsSync(p)) continue;
    let version: string | null = null;
    try {
      version =
        execFileSync(p, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
          .trim()
          .replace(/^\D+/, '')
          .split(/\s/)[0] || null;
    } catch {
      /* present but not runnable here: still report the path */
    }
    return { available: true, version, path: p, detail: p };
  }
  return {
    available: false,
    version: null,
    path: null,
    detail: `no ${CHROMIUM_NAMES.join('/')} on PATH (Debian: apt-get install chromium)`,
  };
}
