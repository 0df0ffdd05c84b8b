import { resolve, sep } from 'node:path';
import { CHANNEL_NAMES, EVENT_NAMES } from '../core/contract/names.ts';
import type { ChannelName, Envelope, EventName } from '../core/contract/names.ts';
import type { Dispatch } from '../core/contract/validate.ts';
import type { PayloadGate } from './folder-grants.ts';

/**
 * The Electron shell's wiring as plain data and functions — no `electron` import — so the channel
 * table, sender validation, webPreferences, CSP and navigation policy are unit-tested without an
 * Electron binary (test/unit/electron). main.ts only hands Electron's objects to these.
 */

/** The renderer is served from a custom privileged scheme, so its origin is exact and not file://. */
export const APP_SCHEME = 'oneiro';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/**
 * Electron security checklist items 2–4, 6, 11–12 (electron/electron docs/tutorial/security.md).
 * DevTools only in development (`!app.isPackaged`): a packaged app gives the page no console to the host.
 */
export function webPreferences(preloadPath: string, opts: { development: boolean }) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    enableBlinkFeatures: '',
    spellcheck: false,
    devTools: opts.development,
  } as const;
}

/**
 * Item 7: a strict CSP, also sent as a header by the protocol handler. No remote origins at all, and no
 * inline styles: the built renderer has no <style> element or style attribute (Vite extracts component
 * CSS to a file; Svelte 5 sets `style:` directives through CSSOM, which style-src does not govern).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-src 'none'",
  "form-action 'none'",
].join('; ');

/** The IPC surface: exactly the contract's channels (invoke) and events (main → renderer). */
export function ipcChannelTable(): { invoke: readonly ChannelName[]; events: readonly EventName[] } {
  return { invoke: CHANNEL_NAMES, events: EVENT_NAMES };
}

export interface SenderInfo {
  /** `event.senderFrame?.url` (null when the frame is gone). */
  url: string | null;
  /** `event.senderFrame === event.sender.mainFrame` */
  isMainFrame: boolean;
}

/** Item 17: only our own page's main frame may call the service (VS Code's validateEvent does the same). */
export function isTrustedSender(s: SenderInfo): boolean {
  if (!s.url || !s.isMainFrame) return false;
  let u: URL;
  try {
    u = new URL(s.url);
  } catch {
    return false;
  }
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/** Items 13–14: the window never navigates away from the app and never opens windows. */
export function navigationAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** The slice of a WebContents the hardening touches (a fake stands in for it in tests). */
export interface ContentsLike {
  on(event: string, listener: (...args: any[]) => void): unknown;
  setWindowOpenHandler(handler: () => { action: 'deny' }): void;
}

/**
 * Items 13–14 on every web contents: no navigation (top-level, redirect, or any frame's —
 * `will-frame-navigate` also sees subframes), no new windows, no webviews, no Bluetooth picker.
 */
export function hardenContents(contents: ContentsLike): void {
  const guard = (e: { preventDefault(): void }, url: string) => {
    if (!navigationAllowed(url)) e.preventDefault();
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-frame-navigate', (details: { url: string; preventDefault(): void }) => guard(details, details.url));
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (e: { preventDefault(): void }) => e.preventDefault());
  // An empty id cancels the request (Electron's select-bluetooth-device contract).
  contents.on(
    'select-bluetooth-device',
    (e: { preventDefault(): void }, _devices: unknown, cb: (id: string) => void) => {
      e.preventDefault();
      cb('');
    },
  );
}

/** The slice of a Session the hardening touches. */
export interface SessionLike {
  setPermissionRequestHandler(h: (wc: unknown, permission: string, cb: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(h: () => boolean): void;
  setDevicePermissionHandler(h: () => boolean): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * Item 5: no permission (camera, notifications, …) and no device (HID, serial, USB) is ever granted to
 * the page; a device picker is cancelled before it shows. Cancel values follow each event's contract:
 * no argument for HID/USB, an empty port id for serial.
 */
export function hardenSession(ses: SessionLike): void {
  ses.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.on('select-hid-device', (e: { preventDefault(): void }, _d: unknown, cb: () => void) => {
    e.preventDefault();
    cb();
  });
  ses.on('select-usb-device', (e: { preventDefault(): void }, _d: unknown, cb: () => void) => {
    e.preventDefault();
    cb();
  });
  ses.on('select-serial-port', (e: { preventDefault(): void }, _p: unknown, _wc: unknown, cb: (id: string) => void) => {
    e.preventDefault();
    cb('');
  });
}

/** oneiro://app/<path> → a file inside `distDir`, or null (other hosts, traversal, bad escapes). */
export function appFilePath(distDir: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path === '/' || path === '') path = '/index.html';
  const base = resolve(distDir);
  const file = resolve(base, '.' + path);
  return file.startsWith(base + sep) ? file : null;
}

/** The part of ipcMain used to bind the contract (a fake stands in for it in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, payload: unknown) => Promise<unknown>): void;
}
export interface IpcEventLike {
  senderFrame?: { url: string } | null;
  sender: { mainFrame: unknown };
}

export function senderInfo(event: IpcEventLike): SenderInfo {
  const frame = event.senderFrame ?? null;
  return { url: frame?.url ?? null, isMainFrame: frame !== null && frame === event.sender.mainFrame };
}

/**
 * Binds every contract channel: sender check first, then the channel's gate if it has one (desktop
 * rules a web host does not need, e.g. folder grants), then the shared dispatcher (which validates the
 * payload, calls the service and checks the reply). Replies are Envelopes, so errors keep their code
 * and field across contextBridge.
 */
export function bindChannels(
  ipcMain: IpcMainLike,
  dispatch: Dispatch,
  onRefused: (channel: string, url: string | null) => void = () => {},
  gates: Partial<Record<ChannelName, PayloadGate>> = {},
): void {
  for (const channel of CHANNEL_NAMES) {
    ipcMain.handle(channel, async (event, payload): Promise<Envelope<unknown>> => {
      const s = senderInfo(event);
      if (!isTrustedSender(s)) {
        onRefused(channel, s.url);
        return {
          ok: false,
          error: {
            code: 'unauthorized',
            message: `${channel}: refused a call from ${s.url ?? 'an unknown frame'}${s.isMainFrame ? '' : ' (not the main frame)'}`,
          },
        };
      }
      const gate = gates[channel];
      if (!gate) return dispatch(channel, payload);
      const g = gate(payload);
      return g.ok ? dispatch(channel, g.payload) : { ok: false, error: g.error };
    });
  }
}
