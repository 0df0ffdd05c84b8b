/**
 * The desktop host (Electron main process): one window on the sandboxed renderer, the Workbench
 * service, and trainers as Electron utility processes. Every contract channel is bound after the
 * sender and the payload are validated (wiring.ts), plus the native folder dialog, whose answer is a
 * one-time grant `datasets:import` accepts instead of a path (folder-grants.ts); the page can reach
 * nothing else.
 * Bundled to electron/dist/main.mjs by scripts/build-electron.mjs.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, utilityProcess } from 'electron';
import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createWorkbenchService, type WorkbenchService } from '../core/service/service.ts';
import { utilityLauncher, type UtilityProcessLike } from '../core/trainer/launcher.ts';
import { createDispatcher } from '../core/contract/validate.ts';
import { startDemo } from '../core/service/demo.ts';
import { workspaceDir } from '../core/util/workspace.ts';
import {
  APP_SCHEME,
  APP_URL,
  CONTENT_SECURITY_POLICY,
  appFilePath,
  bindChannels,
  hardenContents,
  hardenSession,
  isTrustedSender,
  senderInfo,
  webPreferences,
  type IpcEventLike,
} from './wiring.ts';
import { FolderGrants, importGate } from './folder-grants.ts';
import { CHOOSE_FOLDER_CHANNEL, type ChosenFolder } from './desktop-channels.ts';

const here = dirname(fileURLToPath(import.meta.url)); // electron/dist
const root = join(here, '..', '..');
const rendererDist = join(root, 'renderer', 'dist');
const argv = process.argv.slice(1);
const workspaceFlag = argv.find((a) => a.startsWith('--workspace='))?.slice('--workspace='.length);

// Before ready: the app scheme is a secure, standard origin (fetch, CSP 'self' and storage work as on https).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

let service: WorkbenchService | null = null;
let quitting = false;

// One desktop host per user: a second instance would manage the same runs' trainers.
if (!app.requestSingleInstanceLock()) {
  app.quit();
  process.exit(0);
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 640,
    title: 'Oneiro',
    show: false,
    backgroundColor: '#111318',
    webPreferences: webPreferences(join(here, 'preload.cjs'), { development: !app.isPackaged }),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_URL);
  return win;
}

app.on('web-contents-created', (_e, contents) => hardenContents(contents));

app.whenReady().then(async () => {
  // No permission (camera, notifications, …) and no device is ever granted to the page.
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, async (req) => {
    const file = appFilePath(rendererDist, req.url);
    if (!file || !existsSync(file)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });

  // Trainers run core/ from source through tsx (core/trainer/entry.mjs), like the CLI does.
  const trainerEntry = join(root, 'core', 'trainer', 'entry.mjs');
  service = createWorkbenchService({
    workspace: workspaceDir(workspaceFlag),
    host: 'electron',
    launcher: utilityLauncher(utilityProcess as unknown as UtilityProcessLike, trainerEntry),
    root,
  });
  const dispatch = createDispatcher(service.api, {
    onInternalError: (ch, e) => console.error(`oneiro: internal error on ${ch}:`, e),
  });
  // Host folders reach datasets:import only as grants for folders the user picked in the dialog.
  const grants = new FolderGrants();
  const refused = (ch: string, url: string | null) =>
    console.error(`oneiro: refused ${ch} from ${url ?? 'unknown frame'}`);
  bindChannels(ipcMain, dispatch, refused, importGate(grants));

  const win = createWindow();
  ipcMain.handle(CHOOSE_FOLDER_CHANNEL, async (event: IpcEventLike): Promise<ChosenFolder | null> => {
    const s = senderInfo(event);
    if (!isTrustedSender(s)) {
      refused(CHOOSE_FOLDER_CHANNEL, s.url);
      return null;
    }
    const r = await dialog.showOpenDialog(win, {
      title: 'Import episodes from a folder',
      properties: ['openDirectory'],
    });
    if (r.canceled || r.filePaths.length !== 1) return null;
    return { grant: grants.issue(r.filePaths[0]), name: basename(r.filePaths[0]) };
  });
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  service.events.subscribeAll((event, payload) => {
    if (!win.isDestroyed()) win.webContents.send(event, payload);
  });
  if (argv.includes('--demo')) {
    startDemo(service.api, (l) => console.log(`oneiro: ${l}`)).catch((e) =>
      console.error(`oneiro: demo failed: ${(e as Error).message}`),
    );
  }
});

app.on('window-all-closed', () => app.quit());

// Trainers checkpoint before the app exits (a kill would lose the steps since the last checkpoint).
app.on('before-quit', (e) => {
  if (quitting || !service) return;
  e.preventDefault();
  quitting = true;
  service.close().finally(() => app.exit(0));
});
