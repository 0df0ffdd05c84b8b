import { resolve, sep } from 'node:path';
import { CHANNEL_NAMES, EVENT_NAMES } from '../core/contract/names.ts';
import type { ChannelName, Envelope, EventName } from '../core/contract/names.ts';
import type { Dispatch } from '../core/contract/validate.ts';

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

/** Electron security checklist items 2–4, 6, 11–12 (electron/electron docs/tutorial/security.md). */
export function webPreferences(preloadPath: string) {
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
    devTools: true,
  } as const;
}

/** Item 7: a strict CSP, also sent as a header by the protocol handler. No remote origins at all. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
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
 * Binds every contract channel: sender check first, then the shared dispatcher (which validates the
 * payload, calls the service and checks the reply). Replies are Envelopes, so errors keep their code
 * and field across contextBridge.
 */
export function bindChannels(
  ipcMain: IpcMainLike,
  dispatch: Dispatch,
  onRefused: (channel: string, url: string | null) => void = () => {},
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
      return dispatch(channel, payload);
    });
  }
}
