import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  APP_URL,
  CONTENT_SECURITY_POLICY,
  appFilePath,
  bindChannels,
  hardenContents,
  hardenSession,
  ipcChannelTable,
  isTrustedSender,
  navigationAllowed,
  webPreferences,
  type IpcEventLike,
  type IpcMainLike,
} from '../../../electron/wiring.ts';
import { FolderGrants, GRANT_PREFIX, importGate } from '../../../electron/folder-grants.ts';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

test('webPreferences are the hardened ones; DevTools only in development', () => {
  assert.equal(webPreferences('/p', { development: false }).devTools, false);
  assert.equal(webPreferences('/p', { development: true }).devTools, true);
  const p = webPreferences('/app/preload.cjs', { development: false });
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
  assert.deepEqual(d['style-src'], ["'self'"], 'no inline styles');
});

test('the renderer needs no inline styles: no style attribute or <style> element in markup', () => {
  // Svelte 5 applies `style:x={…}` through CSSOM (allowed under style-src 'self'); static markup is
  // parsed as HTML, where a style attribute would be blocked, and index.html is served as is.
  const root = fileURLToPath(new URL('../../../renderer/', import.meta.url));
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.svelte'))
    .map((f) => join(root, 'src', f));
  assert.ok(files.length > 5);
  for (const f of [...files, join(root, 'index.html')]) {
    const markup = readFileSync(f, 'utf8').replace(/<style>[\s\S]*?<\/style>\s*$/, '');
    assert.doesNotMatch(markup, /\sstyle=["{]/, `${f} has an inline style attribute`);
    assert.doesNotMatch(markup, /<style[\s>]/, `${f} has a <style> element in its markup`);
    assert.doesNotMatch(markup, /unsafe-inline/, `${f} allows inline code`);
  }
});

test('every web contents: no navigation (any frame), no windows, no webviews, no Bluetooth picker', () => {
  const on: Record<string, (...a: any[]) => void> = {};
  let openHandler: (() => { action: string }) | null = null;
  hardenContents({ on: (ev, l) => (on[ev] = l), setWindowOpenHandler: (h) => (openHandler = h) });
  const prevented = (fire: (e: { preventDefault(): void }) => void) => {
    let p = false;
    fire({ preventDefault: () => (p = true) });
    return p;
  };
  for (const ev of ['will-navigate', 'will-redirect'])
    assert.deepEqual(
      [prevented((e) => on[ev](e, 'https://evil.example/')), prevented((e) => on[ev](e, APP_URL))],
      [true, false],
      ev,
    );
  // will-frame-navigate passes one details object (url, isMainFrame, preventDefault).
  const frame = (url: string, isMainFrame: boolean) =>
    prevented((e) => on['will-frame-navigate']({ ...e, url, isMainFrame }));
  assert.equal(frame('https://evil.example/', false), true, 'a subframe may not navigate away');
  assert.equal(frame('file:///etc/passwd', true), true);
  assert.equal(frame(APP_URL, true), false);
  assert.deepEqual(openHandler!(), { action: 'deny' });
  assert.equal(
    prevented((e) => on['will-attach-webview'](e)),
    true,
  );
  let chosen: string | null = null;
  assert.equal(
    prevented((e) => on['select-bluetooth-device'](e, [{ deviceId: 'd1' }], (id: string) => (chosen = id))),
    true,
  );
  assert.equal(chosen, '', 'the Bluetooth request is cancelled');
});

test('the session grants no permission and no device; device pickers are cancelled', () => {
  const h: Record<string, any> = {};
  const on: Record<string, (...a: any[]) => void> = {};
  hardenSession({
    setPermissionRequestHandler: (f) => (h.request = f),
    setPermissionCheckHandler: (f) => (h.check = f),
    setDevicePermissionHandler: (f) => (h.device = f),
    on: (ev, l) => (on[ev] = l),
  });
  let granted: boolean | null = null;
  h.request(null, 'media', (g: boolean) => (granted = g));
  assert.equal(granted, false);
  assert.equal(h.check(), false);
  assert.equal(h.device({ deviceType: 'usb', origin: 'oneiro://app' }), false);
  for (const [ev, args, cancel] of [
    ['select-hid-device', [{ deviceList: [{ deviceId: 'h' }] }], []],
    ['select-usb-device', [{ deviceList: [{ deviceId: 'u' }] }], []],
    ['select-serial-port', [[{ portId: 's' }], {}], ['']],
  ] as const) {
    let prevented = false;
    let answer: unknown[] | null = null;
    on[ev]({ preventDefault: () => (prevented = true) }, ...args, (...a: unknown[]) => (answer = a));
    assert.equal(prevented, true, ev);
    assert.deepEqual(answer, cancel, `${ev} is answered with its cancel value`);
  }
});

test('folder grants: issued by the main process, single use, expiring; a path string is not a grant', () => {
  let now = 1000;
  const g = new FolderGrants(() => now);
  const t = g.issue('/home/u/episodes');
  assert.ok(t.startsWith(GRANT_PREFIX) && t.length > GRANT_PREFIX.length + 16);
  assert.equal(g.take('/home/u/episodes'), null);
  assert.equal(g.take(`${GRANT_PREFIX}0000`), null);
  assert.equal(g.take(t), '/home/u/episodes');
  assert.equal(g.take(t), null, 'single use');
  const late = g.issue('/x');
  now += 11 * 60 * 1000;
  assert.equal(g.take(late), null, 'expired');
  assert.equal(g.take(42), null);
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

test('bindChannels with the import gate: a desktop page imports only a folder the user picked', async () => {
  const handlers = new Map<string, (e: IpcEventLike, p: unknown) => Promise<unknown>>();
  const seen: unknown[] = [];
  const api = Object.fromEntries(
    Object.entries(CHANNEL_METHODS).map(([ch, m]) => [
      m,
      async (req: unknown) => {
        seen.push(req);
        return REPLIES[ch as keyof typeof REPLIES];
      },
    ]),
  ) as unknown as WorkbenchApi;
  const grants = new FolderGrants();
  bindChannels({ handle: (ch, l) => handlers.set(ch, l) }, createDispatcher(api), () => {}, importGate(grants));
  const mainFrame = { url: APP_URL };
  const trusted: IpcEventLike = { senderFrame: mainFrame, sender: { mainFrame } };
  const imp = (source: unknown) =>
    handlers.get('datasets:import')!(trusted, { source, name: 'eps' }) as Promise<{
      ok: boolean;
      error?: { code: string; field: string; message: string };
    }>;
  for (const made of ['/home/u/.ssh', '../../etc', `${GRANT_PREFIX}deadbeef`, 42]) {
    const r = await imp(made);
    assert.deepEqual([r.ok, r.error?.code, r.error?.field], [false, 'invalid_request', 'payload.source'], String(made));
    assert.match(r.error!.message, /folder dialog/);
  }
  assert.equal(seen.length, 0, 'no made-up path reached the service');
  const token = grants.issue('/home/u/episodes');
  assert.equal((await imp(token)).ok, true);
  assert.deepEqual(seen, [{ source: '/home/u/episodes', name: 'eps', format: 'dreamer' }]);
  assert.equal((await imp(token)).ok, false, 'a grant is used once');
  // Other channels are not gated.
  assert.equal(((await handlers.get('runs:list')!(trusted, {})) as { ok: boolean }).ok, true);
});
