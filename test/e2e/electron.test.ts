import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { findElectron } from '../../core/service/availability.ts';
import { CHANNEL_METHODS, EVENT_NAMES } from '../../core/contract/names.ts';

// The real desktop app through Playwright's _electron. Needs an Electron binary, which cannot be
// downloaded in this project's CI sandbox: there the test is skipped with the reason shown.

const root = fileURLToPath(new URL('../..', import.meta.url));
const electron = findElectron(root);

test(
  'desktop app: window.oneiro is the contract, the page is sandboxed, the service answers over IPC',
  { skip: electron.available ? false : `no Electron binary: ${electron.detail}`, timeout: 180_000 },
  async () => {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-electron.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
    const { _electron } = await import('playwright');
    const workspace = mkdtempSync(join(tmpdir(), 'oneiro-electron-e2e-'));
    const app = await _electron.launch({
      executablePath: electron.path!,
      args: [join(root, 'electron', 'dist', 'main.mjs'), `--workspace=${workspace}`],
      cwd: root,
    });
    try {
      const page = await app.firstWindow();
      assert.match(page.url(), /^oneiro:\/\/app\//);
      const keys = await page.evaluate(() => Object.keys((globalThis as any).oneiro).sort());
      assert.deepEqual(keys, [...Object.values(CHANNEL_METHODS), ...EVENT_NAMES].sort());
      const sandbox = await page.evaluate(() => ({
        require: typeof (globalThis as any).require,
        process: typeof (globalThis as any).process,
        ipc: typeof (globalThis as any).ipcRenderer,
      }));
      assert.deepEqual(sandbox, { require: 'undefined', process: 'undefined', ipc: 'undefined' });
      const info = await page.evaluate(() => (globalThis as any).oneiro.workspaceInfo());
      assert.equal(info.ok, true);
      assert.equal(info.result.host, 'electron');
      assert.equal(info.result.workspace, workspace);
      const bad = await page.evaluate(() => (globalThis as any).oneiro.getRun({ runId: '../x' }));
      assert.equal(bad.error.code, 'invalid_request');
      // Navigation away from the app is denied.
      await page.evaluate(() => {
        (globalThis as any).location.href = 'https://example.com/';
      });
      await page.waitForTimeout(500);
      assert.match(page.url(), /^oneiro:\/\/app\//);
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const wc = BrowserWindow.getAllWindows()[0].webContents;
        return (wc as any).getLastWebPreferences?.() ?? null;
      });
      if (prefs) assert.deepEqual([prefs.contextIsolation, prefs.sandbox, prefs.nodeIntegration], [true, true, false]);
    } finally {
      await app.close();
      rmSync(workspace, { recursive: true, force: true });
    }
  },
);
