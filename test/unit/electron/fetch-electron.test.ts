import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, strToU8 } from 'fflate';
import { findElectron } from '../../../core/service/availability.ts';
// @ts-expect-error a plain .mjs script without types
import { fetchElectron } from '../../../scripts/fetch-electron.mjs';

// Hardening issue, item 9: `npm install && npm start` never fetched the Electron binary (its install
// script is denied in allowScripts), so users always got web mode. The root postinstall now runs
// Electron's own installer. These tests point it at a loopback stand-in for the download host (never
// github.com): a fake Electron zip whose SHA-256 the stand-in also serves. Electron's installer checks
// the zip against the checksums.json it ships unless electron_use_remote_checksums is set, and no fake
// can match those, so the tests set it: @electron/get then fetches SHASUMS256.txt from the same mirror
// and still validates the zip against it (a wrong sum is refused below).

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'oneiro-fetch-electron-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const version = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;

/** A project whose node_modules/electron is a copy of the real installer (so the real one is never touched). */
function fakeProject(name: string): string {
  const dir = join(tmp, name);
  const pkg = join(dir, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  for (const f of ['install.js', 'package.json', 'checksums.json'])
    copyFileSync(join(root, 'node_modules', 'electron', f), join(pkg, f));
  // The installer's own dependencies, from this checkout.
  symlinkSync(join(root, 'node_modules', '@electron'), join(dir, 'node_modules', '@electron'));
  symlinkSync(join(root, 'node_modules', 'extract-zip'), join(dir, 'node_modules', 'extract-zip'));
  return dir;
}

const ZIP = zipSync({
  electron: [strToU8(`#!/bin/sh\necho v${version}\n`), { os: 3, attrs: 0o100755 << 16 }],
  version: strToU8(version),
});
const SHA = createHash('sha256').update(ZIP).digest('hex');

/** The stand-in download host: 'ok' serves the zip and its sum, 'badsum' a wrong sum, '404', or 'hang'. */
async function standIn(
  mode: 'ok' | 'badsum' | '404' | 'hang',
  onRequest: () => void = () => {},
): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  let zipName = '';
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    onRequest();
    if (mode === 'hang') return; // accepts, never answers
    if (mode === '404') return void res.writeHead(404).end('not here');
    if (req.url?.endsWith('.zip')) {
      zipName = req.url.split('/').pop()!;
      return void res.writeHead(200, { 'content-type': 'application/zip' }).end(ZIP);
    }
    if (req.url?.endsWith('/SHASUMS256.txt'))
      return void res.end(`${mode === 'badsum' ? '0'.repeat(64) : SHA} *${zipName}\n`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  after(() => server.closeAllConnections());
  after(() => server.close());
  return { url: `http://127.0.0.1:${port}/`, seen, server };
}

/** The installer's environment: only the stand-in as mirror, a private cache, no CI flags from outside. */
function env(mirror: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_config_electron|npm_package_config_electron|electron_|ci$|github_actions)/i.test(k)) e[k] = v;
  return {
    ...e,
    ELECTRON_MIRROR: mirror,
    electron_config_cache: join(tmp, `cache-${Math.random().toString(36).slice(2)}`),
    electron_use_remote_checksums: '1',
    ...extra,
  };
}

test('fetch succeeds: the binary from the stand-in is installed where npm start looks for it', async () => {
  const dir = fakeProject('ok');
  const host = await standIn('ok');
  assert.equal(findElectron(dir, {}).available, false);
  const r = await fetchElectron({ root: dir, env: env(host.url), timeoutMs: 60_000 });
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, new RegExp(`Electron ${version} downloaded`));
  const found = findElectron(dir, {});
  assert.equal(found.available, true, found.detail);
  assert.equal(readFileSync(join(dir, 'node_modules', 'electron', 'path.txt'), 'utf8'), 'electron');
  assert.deepEqual(
    host.seen.map((u) => u.replace(/electron-v[^/]+\.zip$/, 'ZIP')),
    [`/v${version}/ZIP`, `/v${version}/SHASUMS256.txt`],
  );
  // Installed: a second run downloads nothing.
  const again = await fetchElectron({ root: dir, env: env(host.url), timeoutMs: 60_000 });
  assert.deepEqual([again.ok, host.seen.length], [true, 2]);
});

test('a zip that does not match its checksum is refused and nothing is installed', async () => {
  const dir = fakeProject('badsum');
  const host = await standIn('badsum');
  const r = await fetchElectron({ root: dir, env: env(host.url), timeoutMs: 60_000 });
  assert.equal(r.ok, false);
  assert.match(r.detail, /^the Electron download failed: .*(checksum|Generated checksum)/i);
  assert.equal(findElectron(dir, {}).available, false);
});

test('fetch fails fast: a 404 ends the attempt without waiting for the time limit', async () => {
  const dir = fakeProject('404');
  const host = await standIn('404');
  const r = await fetchElectron({ root: dir, env: env(host.url), timeoutMs: 120_000 });
  assert.equal(r.ok, false);
  assert.match(r.detail, /^the Electron download failed: HTTPError: Response code 404/);
  assert.doesNotMatch(r.detail, /no answer within/);
  assert.equal(findElectron(dir, {}).available, false);
});

test('a host that never answers is given up at the time limit', async () => {
  const dir = fakeProject('hang');
  const dist = join(dir, 'node_modules', 'electron', 'dist');
  // As if the installer had begun extracting when it was stopped: a binary without its path.txt.
  const host = await standIn('hang', () => {
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(dist, 'electron'), 'half');
  });
  // The limit must leave the installer time to start and ask ('the stand-in was asked' fails otherwise): spawn to
  // its first request took 0.4–0.85 s with the machine loaded (load 4.5 on 2 cores), under 2× headroom at the 1.5 s
  // this used to be. The stand-in never answers, so the wait is this test's length either way.
  const r = await fetchElectron({ root: dir, env: env(host.url), timeoutMs: 6000 });
  assert.equal(r.ok, false);
  assert.match(r.detail, /no answer within 6 s/);
  assert.equal(host.seen.length, 1, 'the stand-in was asked');
  assert.equal(existsSync(dist), false, 'no half-extracted binary passes for an install');
  assert.equal(findElectron(dir, {}).available, false);
  // The installer was stopped, not left running: its connection to the stand-in is gone.
  let open = -1;
  for (let i = 0; i < 50 && open !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    open = await new Promise<number>((r) => host.server.getConnections((_e, n) => r(n)));
  }
  assert.equal(open, 0, 'the installer process was killed');
});

test('never attempted when CI or ELECTRON_SKIP_BINARY_DOWNLOAD is set', async () => {
  const dir = fakeProject('skip');
  const host = await standIn('ok');
  for (const [k, v] of [
    ['CI', 'true'],
    ['ELECTRON_SKIP_BINARY_DOWNLOAD', '1'],
  ]) {
    const r = await fetchElectron({ root: dir, env: env(host.url, { [k]: v }), timeoutMs: 60_000 });
    assert.equal(r.ok, false);
    assert.equal(r.detail, `not downloading the Electron binary: ${k} is set`);
  }
  assert.deepEqual(host.seen, [], 'the stand-in was never asked');
});

test('the postinstall script never fails the install and says what npm start will do, in one line', async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.scripts.postinstall, 'node scripts/fetch-electron.mjs');
  assert.equal(pkg.allowScripts.electron, false, "Electron's own install script stays denied");
  // .ci/run's install must not try the download.
  assert.match(readFileSync(join(root, '.ci', 'run'), 'utf8'), /ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install/);
  const script = join(root, 'scripts', 'fetch-electron.mjs');
  const run = (extra: Record<string, string>) =>
    spawnSync(process.execPath, [script], { env: env('http://127.0.0.1:9/', extra), encoding: 'utf8' });
  const installed = findElectron(root).available;
  const skipped = run({ CI: '1' });
  assert.equal(skipped.status, 0);
  const lines = skipped.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    installed
      ? /npm start opens the desktop app/
      : /CI is set; npm start will open web mode \(retry with npm run fetch:electron\)/,
  );
});
