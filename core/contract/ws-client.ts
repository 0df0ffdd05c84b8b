import { buildClient, WorkbenchError } from './client.ts';
import type { Unsubscribe, WorkbenchClient } from './client.ts';
import { decodeMessage, encodeMessage } from './wire.ts';
import { MAX_REQUEST_BYTES } from './limits.ts';
import type { ChannelName, Envelope, EventName, WireError } from './names.ts';

/**
 * The web-mode client: one WebSocket to the host (core/host), requests correlated by id, events fanned
 * out to local listeners. Works with the browser's WebSocket and with the `ws` package (tests pass it).
 */

/** The part of the WebSocket API we use; both the DOM's and the `ws` package's satisfy it. */
export interface SocketLike {
  binaryType: string;
  readyState: number;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type SocketCtor = new (url: string) => SocketLike;

export interface ConnectOptions {
  /** WebSocket constructor; defaults to globalThis.WebSocket. */
  WebSocket?: SocketCtor;
  /** Milliseconds to wait for the host's hello. */
  timeoutMs?: number;
  /** Called once when the connection drops (the renderer shows it). */
  onClose?: (reason: string) => void;
}

/** `ws://host/api?token=…` from the page's own URL (the printed URL carries the token). */
export function webSocketUrlFromLocation(loc: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api?token=${encodeURIComponent(token)}`;
}

export function connectWebSocket(url: string, opts: ConnectOptions = {}): Promise<WorkbenchClient> {
  const Ctor = opts.WebSocket ?? (globalThis as unknown as { WebSocket?: SocketCtor }).WebSocket;
  if (!Ctor) return Promise.reject(new Error('no WebSocket implementation available: pass one in opts.WebSocket'));
  const socket = new Ctor(url);
  socket.binaryType = 'arraybuffer';
  let nextId = 1;
  const pending = new Map<number, (env: Envelope<unknown>) => void>();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  let closedReason: string | null = null;

  const failAll = (reason: string) => {
    closedReason = reason;
    for (const resolve of pending.values())
      resolve({
        ok: false,
        error: { code: 'internal', message: `connection to the workbench host closed: ${reason}` },
      });
    pending.clear();
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `no hello from the workbench host at ${url.replace(/token=[^&]*/, 'token=…')} within ${opts.timeoutMs ?? 10000} ms`,
        ),
      );
      socket.close();
    }, opts.timeoutMs ?? 10000);

    const invoke = (channel: ChannelName, payload: unknown): Promise<Envelope<unknown>> => {
      if (closedReason !== null)
        return Promise.resolve({
          ok: false,
          error: { code: 'internal', message: `connection to the workbench host closed: ${closedReason}` },
        });
      const id = nextId++;
      const data = encodeMessage({ t: 'req', id, ch: channel, p: payload });
      // The host would close the socket on a frame this large (and fail every call in flight): refuse it here.
      const size = typeof data === 'string' ? data.length : data.byteLength;
      if (size > MAX_REQUEST_BYTES)
        return Promise.resolve({
          ok: false,
          error: {
            code: 'invalid_request',
            field: 'payload',
            message: `${channel}: a request of ${size} bytes exceeds the host's limit of ${MAX_REQUEST_BYTES}`,
          },
        });
      return new Promise((res) => {
        pending.set(id, res);
        socket.send(data);
      });
    };
    const subscribe = (event: EventName, listener: (p: unknown) => void): Unsubscribe => {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    };
    const client = buildClient('web', invoke, subscribe, () => socket.close(1000, 'client closed'));

    socket.onmessage = (ev) => {
      let msg: Record<string, unknown>;
      try {
        msg = decodeMessage(ev.data as string | ArrayBuffer) as Record<string, unknown>;
      } catch {
        return; // the host only sends well-formed frames; a garbled one is dropped, not fatal
      }
      if (msg?.t === 'hello') {
        clearTimeout(timer);
        resolve(client);
      } else if (msg?.t === 'res' && typeof msg.id === 'number') {
        const done = pending.get(msg.id);
        pending.delete(msg.id);
        done?.(msg.ok ? { ok: true, result: msg.r } : { ok: false, error: msg.e as WireError });
      } else if (msg?.t === 'res') {
        // An error reply not tied to a request (e.g. our own malformed frame): nothing to resolve.
      } else if (msg?.t === 'evt') {
        for (const l of listeners.get(msg.ev as EventName) ?? []) l(msg.p);
      }
    };
    socket.onclose = (ev) => {
      clearTimeout(timer);
      const reason = ev.reason || `code ${ev.code}`;
      failAll(reason);
      reject(
        new WorkbenchError({
          code: ev.code === 4401 ? 'unauthorized' : 'internal',
          message: `workbench host refused or closed the connection: ${reason}`,
        }),
      );
      opts.onClose?.(reason);
    };
    socket.onerror = () => {
      /* onclose follows with the reason */
    };
  });
}
