import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  APP_URL,
  CONTENT_SECURITY_POLICY,
  appFilePath,
  bindChannels,
  ipcChannelTable,
  isTrustedSender,
  navigationAllowed,
  webPreferences,
  type IpcEventLike,
  type IpcMainLike,
} from '../../../electron/wiring.ts';
import { CHANNEL_METHODS, EVENT_NAMES } from '../../../core/contract/names.ts';
import { CONTRACT, EVENTS } from '../../../core/contract/channels.ts';
import { createDispatcher } from '../../../core/contract/validate.ts';
import type { WorkbenchApi } from '../../../core/contract/client.ts';
import { REPLIES } from '../contract/samples.ts';

test('the IPC channel table is exactly the contract', () => {
  const t = ipcChannelTable();
  assert.deepEqual([...t.invoke].sort(), Object.keys(CONTRACT).sort());
  assert.deepEqual([...t.events].sort(), Object.keys(EVENTS).sort());
  assert.deepEqual([...t.events].sort(), [...EVENT_NAMES].sort());
});

test('webPreferences are the hardened ones', () => {
  const p = webPreferences('/app/preload.cjs');
  assert.equal(p.preload, '/app/preload.cjs');
  assert.equal(p.contextIsolation, true);
  assert.equal(p.sandbox, true);
  assert.equal(p.nodeIntegration, false);
  assert.equal(p.nodeIntegrationInWorker, false);
  assert.equal(p.nodeIntegrationInSubFrames, false);
  assert.equal(p.webSecurity, true);
  assert.equal(p.allowRunningInsecureContent, false);
  assert.equal(p.webviewTag, false);
  assert.equal(p.experimentalFeatures, false);
});

test('the CSP allows only the app itself', () => {
  const d = Object.fromEntries(
    CONTENT_SECURITY_POLICY.split(';')
      .map((s) => s.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]),
  );
  assert.deepEqual(d['default-src'], ["'self'"]);
  assert.deepEqual(d['script-src'], ["'self'"], 'no inline or remote scripts');
  assert.deepEqual(d['connect-src'], ["'self'"]);
  assert.deepEqual(d['object-src'], ["'none'"]);
  assert.ok(!/unsafe-eval|https?:|\*/.test(CONTENT_SECURITY_POLICY));
});

test('sender validation accepts only the app main frame', () => {
  assert.equal(isTrustedSender({ url: APP_URL, isMainFrame: true }), true);
  assert.equal(isTrustedSender({ url: 'oneiro://app/views/x.html#y', isMainFrame: true }), true);
  assert.equal(isTrustedSender({ url: APP_URL, isMainFrame: false }), false, 'subframes are refused');
  for (const url of [
    'https://evil.example/',
    'file:///etc/passwd',
    'oneiro://evil/index.html',
    'http://127.0.0.1:5173/',
    'devtools://devtools/x',
    'not a url',
    null,
  ]) {
    assert.equal(isTrustedSender({ url, isMainFrame: true }), false, String(url));
  }
});

test('navigation stays in the app; app URLs map inside renderer/dist only', () => {
  assert.equal(navigationAllowed('oneiro://app/index.html'), true);
  assert.equal(navigationAllowed('https://example.com/'), false);
  assert.equal(navigationAllowed('javascript:alert(1)'), false);
  const dist = '/opt/oneiro/renderer/dist';
  assert.equal(appFilePath(dist, 'oneiro://app/'), join(dist, 'index.html'));
  assert.equal(appFilePath(dist, 'oneiro://app/assets/app.js'), join(dist, 'assets', 'app.js'));
  // The URL parser folds encoded dots first, so this stays inside dist/.
  assert.equal(appFilePath(dist, 'oneiro://app/%2e%2e/%2e%2e/package.json'), join(dist, 'package.json'));
  assert.equal(appFilePath(dist, 'oneiro://app/..%2f..%2fpackage.json'), null);
  assert.equal(appFilePath(dist, 'oneiro://other/index.html'), null);
  assert.equal(appFilePath(dist, 'oneiro://app/%E0%A4%A'), null);
});

test('bindChannels: every channel bound; foreign senders refused before the service; payloads validated', async () => {
  const handlers = new Map<string, (e: IpcEventLike, p: unknown) => Promise<unknown>>();
  const ipc: IpcMainLike = {
    handle: (ch, l) => {
      assert.ok(!handlers.has(ch), `${ch} bound twice`);
      handlers.set(ch, l);
    },
  };
  const calls: string[] = [];
  const api = Object.fromEntries(
    Object.entries(CHANNEL_METHODS).map(([ch, m]) => [
      m,
      async () => {
        calls.push(ch);
        return REPLIES[ch as keyof typeof REPLIES];
      },
    ]),
  ) as unknown as WorkbenchApi;
  const refused: string[] = [];
  bindChannels(ipc, createDispatcher(api), (ch, url) => refused.push(`${ch} ${url}`));
  assert.deepEqual([...handlers.keys()].sort(), Object.keys(CONTRACT).sort());

  const mainFrame = { url: APP_URL };
  const trusted: IpcEventLike = { senderFrame: mainFrame, sender: { mainFrame } };
  const foreign: IpcEventLike = { senderFrame: { url: 'https://evil.example/' }, sender: { mainFrame: {} } };
  const sub: IpcEventLike = { senderFrame: { url: APP_URL }, sender: { mainFrame } };
  const gone: IpcEventLike = { senderFrame: null, sender: { mainFrame } };
  for (const ev of [foreign, sub, gone]) {
    const r = (await handlers.get('runs:list')!(ev, {})) as { ok: boolean; error: { code: string } };
    assert.deepEqual([r.ok, r.error.code], [false, 'unauthorized']);
  }
  assert.equal(calls.length, 0, 'the service never saw a foreign call');
  assert.equal(refused.length, 3);
  const ok = (await handlers.get('runs:list')!(trusted, {})) as { ok: boolean };
  assert.equal(ok.ok, true);
  const bad = (await handlers.get('dreams:step')!(trusted, { sessionId: 's', action: 'left' })) as {
    ok: boolean;
    error: { code: string; field: string };
  };
  assert.deepEqual([bad.ok, bad.error.code, bad.error.field], [false, 'invalid_request', 'payload.action']);
  assert.deepEqual(calls, ['runs:list']);
});
