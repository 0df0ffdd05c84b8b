import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { CHANNEL_NAMES } from '../../../core/contract/names.ts';
import { APP_URL } from '../../../electron/wiring.ts';

// Runs electron/main.ts itself — bundled as scripts/build-electron.mjs does — against a fake
// `electron` module: the real wiring of the real main process, checked without an Electron binary.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const stubDir = mkdtempSync(join(tmpdir(), 'oneiro-electron-stub-'));
const workspace = mkdtempSync(join(tmpdir(), 'oneiro-electron-ws-'));
// Beside main.mjs so its relative paths (../.., node_modules) resolve as in the real build.
const outfile = join(root, 'electron', 'dist', `main.test-${process.pid}.mjs`);
after(() => {
  rmSync(outfile, { force: true });
  rmSync(stubDir, { recursive: true, force: true });
  rmSync(workspace, { recursive: true, force: true });
});

const STUB = `
const s = globalThis.__electron = { appEvents: {}, handlers: new Map(), schemes: [], windows: [], protocolHandlers: {}, permission: null, forks: [] };
export const app = {
  isPackaged: true,
  whenReady: () => Promise.resolve(),
  requestSingleInstanceLock: () => { s.lock = true; return true; },
  on: (ev, cb) => { (s.appEvents[ev] ??= []).push(cb); },
  quit: () => { s.quit = true; }, exit: (c) => { s.exit = c; },
};
export const ipcMain = { handle: (ch, l) => { if (s.handlers.has(ch)) throw new Error('twice: ' + ch); s.handlers.set(ch, l); } };
export const protocol = { registerSchemesAsPrivileged: (x) => s.schemes.push(...x), handle: (scheme, fn) => { s.protocolHandlers[scheme] = fn; } };
export const session = { defaultSession: { setPermissionRequestHandler: (f) => { s.permission = f; }, setPermissionCheckHandler: (f) => { s.permissionCheck = f; }, setDevicePermissionHandler: (f) => { s.devicePermission = f; }, on: (ev, l) => { (s.sessionEvents ??= {})[ev] = l; } } };
export const dialog = { showOpenDialog: async (win, opts) => { s.dialogs = (s.dialogs ?? 0) + 1; s.dialogOpts = opts; return s.dialogAnswer; } };
export const net = { fetch: async (url) => new Response('file ' + url) };
export const utilityProcess = { fork: (...a) => { s.forks.push(a); throw new Error('no trainers in this test'); } };
export class BrowserWindow {
  constructor(opts) { this.opts = opts; this.sent = []; this.webContents = { send: (ev, p) => this.sent.push([ev, p]) }; s.windows.push(this); }
  once() {} isDestroyed() { return false; } show() {} isMinimized() { return false; } restore() {} focus() {}
  loadURL(u) { this.url = u; return Promise.resolve(); }
}
`;

test('main.ts binds exactly the contract, hardens the window and the session, and serves only renderer/dist', async () => {
  writeFileSync(join(stubDir, 'electron.mjs'), STUB);
  await build({
    entryPoints: [join(root, 'electron', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    alias: { electron: join(stubDir, 'electron.mjs') },
    logLevel: 'silent',
    absWorkingDir: root,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const argv = process.argv;
  process.argv = [argv[0], outfile, `--workspace=${workspace}`];
  try {
    await import(pathToFileURL(outfile).href);
  } finally {
    process.argv = argv;
  }
  const s = (globalThis as any).__electron;
  await new Promise((r) => setTimeout(r, 50)); // whenReady().then(...)

  assert.equal(s.lock, true, 'single-instance lock taken');
  assert.deepEqual(
    s.schemes.map((x: any) => [x.scheme, x.privileges.standard, x.privileges.secure]),
    [['oneiro', true, true]],
  );
  assert.deepEqual(
    [...s.handlers.keys()].sort(),
    [...CHANNEL_NAMES, 'dialog:choose-folder'].sort(),
    'ipcMain.handle for every contract channel and the folder dialog, nothing else',
  );
  assert.equal(s.windows.length, 1);
  const win = s.windows[0];
  assert.equal(win.url, APP_URL);
  const wp = win.opts.webPreferences;
  assert.deepEqual(
    [wp.contextIsolation, wp.sandbox, wp.nodeIntegration, wp.webSecurity, wp.webviewTag],
    [true, true, false, true, false],
  );
  assert.match(wp.preload, /electron[\\/]dist[\\/]preload\.cjs$/);
  assert.equal(wp.devTools, false, 'no DevTools in a packaged app');

  // Permissions are always refused.
  let granted: boolean | null = null;
  s.permission(null, 'media', (g: boolean) => (granted = g));
  assert.equal(granted, false);
  assert.equal(s.devicePermission({ deviceType: 'hid' }), false);
  assert.deepEqual(Object.keys(s.sessionEvents).sort(), [
    'select-hid-device',
    'select-serial-port',
    'select-usb-device',
  ]);

  // Navigation and new windows are denied on every web contents.
  const contentsEvents: Record<string, (e: any, url: string) => void> = {};
  let openHandler: (() => { action: string }) | null = null;
  const fakeContents = {
    on: (ev: string, cb: any) => (contentsEvents[ev] = cb),
    setWindowOpenHandler: (h: any) => (openHandler = h),
  };
  for (const cb of s.appEvents['web-contents-created']) cb({}, fakeContents);
  let prevented = false;
  contentsEvents['will-navigate']({ preventDefault: () => (prevented = true) }, 'https://evil.example/');
  assert.equal(prevented, true);
  prevented = false;
  contentsEvents['will-navigate']({ preventDefault: () => (prevented = true) }, 'oneiro://app/index.html');
  assert.equal(prevented, false);
  assert.deepEqual(openHandler!(), { action: 'deny' });
  prevented = false;
  contentsEvents['will-frame-navigate'](
    { url: 'https://evil.example/', isMainFrame: false, preventDefault: () => (prevented = true) } as any,
    '',
  );
  assert.equal(prevented, true, 'will-frame-navigate is handled');

  // Calls: the app's main frame is served; anything else is refused before the service.
  const mainFrame = { url: APP_URL };
  const info = await s.handlers.get('workspace:info')({ senderFrame: mainFrame, sender: { mainFrame } }, {});
  assert.equal(info.ok, true, JSON.stringify(info.error));
  assert.equal(info.result.host, 'electron');
  assert.equal(info.result.workspace, workspace);
  const refused = await s.handlers.get('workspace:info')(
    { senderFrame: { url: 'https://evil.example/' }, sender: { mainFrame: {} } },
    {},
  );
  assert.equal(refused.error.code, 'unauthorized');
  const invalid = await s.handlers.get('runs:get')(
    { senderFrame: mainFrame, sender: { mainFrame } },
    { runId: '../../etc' },
  );
  assert.equal(invalid.error.code, 'invalid_request');

  // datasets:import: a path the page made up is refused; a folder the user picked in the dialog is imported.
  const madeUp = await s.handlers.get('datasets:import')(
    { senderFrame: mainFrame, sender: { mainFrame } },
    { source: '/etc', name: 'stolen' },
  );
  assert.deepEqual([madeUp.error.code, madeUp.error.field], ['invalid_request', 'payload.source']);
  const choose = s.handlers.get('dialog:choose-folder');
  assert.equal(await choose({ senderFrame: { url: 'https://evil.example/' }, sender: { mainFrame: {} } }), null);
  assert.equal(s.dialogs, undefined, 'no dialog for a foreign frame');
  s.dialogAnswer = { canceled: true, filePaths: [] };
  assert.equal(await choose({ senderFrame: mainFrame, sender: { mainFrame } }), null);
  s.dialogAnswer = { canceled: false, filePaths: [join(workspace, 'no-such-folder')] };
  const chosen = await choose({ senderFrame: mainFrame, sender: { mainFrame } });
  assert.deepEqual(s.dialogOpts.properties, ['openDirectory']);
  assert.equal(chosen.name, 'no-such-folder');
  const viaGrant = await s.handlers.get('datasets:import')(
    { senderFrame: mainFrame, sender: { mainFrame } },
    { source: chosen.grant, name: 'picked' },
  );
  // The service saw the chosen folder (which does not exist here), not the token.
  assert.equal(viaGrant.error.field, 'payload.source');
  assert.match(viaGrant.error.message, /no folder .*no-such-folder/);

  // The protocol handler serves files inside renderer/dist only, with the CSP header.
  const serve = s.protocolHandlers.oneiro;
  assert.equal((await serve({ url: 'oneiro://other/index.html' })).status, 404);
  assert.equal((await serve({ url: 'oneiro://app/..%2f..%2fpackage.json' })).status, 404);
  const index = await serve({ url: 'oneiro://app/index.html' });
  if (index.status === 200) assert.match(index.headers.get('content-security-policy'), /script-src 'self'/);
  else assert.equal(index.status, 404, 'renderer/dist not built here');

  // Quitting waits for the service to close (trainers checkpoint), then exits.
  let deferred = false;
  for (const cb of s.appEvents['before-quit']) cb({ preventDefault: () => (deferred = true) });
  assert.equal(deferred, true);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.exit, 0);
});
