import { createServer, type IncomingMessage } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { createDispatcher } from '../contract/validate.ts';
import type { WorkbenchApi, WorkbenchEventSource } from '../contract/client.ts';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, WireFormatError } from '../contract/wire.ts';
import { boundedWireError, MAX_REQUEST_BYTES, MAX_REQUEST_JSON_BYTES, peekRequestId } from '../contract/limits.ts';
import type { WireError } from '../contract/names.ts';
import { serveStatic } from './static.ts';

/**
 * Web mode: the built renderer over HTTP and the Workbench API over one WebSocket (`/api`), on
 * 127.0.0.1 only. A random token made at start must be presented by every API connection (the
 * printed URL carries it; the page passes it on); others get HTTP 401 before any upgrade. The Host
 * header must name the loopback address (DNS rebinding), and a browser Origin must be this host.
 * A malformed or unknown message gets an error reply; nothing a client sends can crash the host.
 * Sizes (contract/limits.ts): a frame above MAX_REQUEST_BYTES closes the socket (1009, by ws); a text
 * frame above MAX_REQUEST_JSON_BYTES is refused unparsed; the dispatcher applies each channel's budget.
 */

export interface HostOptions {
  api: WorkbenchApi;
  events: WorkbenchEventSource;
  /** renderer/dist, or null to serve a "not built" page. */
  staticDir: string | null;
  /** 0 = any free port. */
  port?: number;
  /** Fixed token (tests); default 32 random bytes, hex. */
  token?: string;
  log?: (line: string) => void;
}

export interface RunningHost {
  port: number;
  token: string;
  /** http://127.0.0.1:PORT/?token=… */
  url: string;
  /** ws://127.0.0.1:PORT/api?token=… */
  wsUrl: string;
  connections(): number;
  close(): Promise<void>;
}

/** Beyond this much unsent data on a socket, events to it are dropped (a stalled tab must not grow the host). */
const MAX_BUFFERED_EVENTS = 32 * 1024 * 1024;

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const log = opts.log ?? (() => {});
  const dispatch = createDispatcher(opts.api, {
    onInternalError: (ch, e) => log(`internal error on ${ch}: ${(e as Error)?.stack ?? String(e)}`),
  });
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const server = createServer((req, res) => {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421).end('misdirected request: use http://127.0.0.1');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET' }).end();
      return;
    }
    serveStatic(opts.staticDir, req.url ?? '/', res, port);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES });
  const sockets = new Set<WebSocket>();

  const refuse = (socket: Duplex, status: number, why: string) => {
    socket.end(
      `HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`,
    );
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(socket, 421, 'Misdirected Request');
    if (url.pathname !== '/api') return refuse(socket, 404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().has(origin.replace(/^http:\/\//, '')))
      return refuse(socket, 403, 'Forbidden origin');
    if (!sameToken(url.searchParams.get('token'), token)) {
      log(`refused an API connection with a ${url.searchParams.get('token') ? 'wrong' : 'missing'} token`);
      return refuse(socket, 401, 'Unauthorized: the URL printed at start carries the token');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, msg: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    let data: string | Uint8Array;
    try {
      data = encodeMessage(msg);
    } catch (e) {
      data = encodeMessage({
        t: 'res',
        id: (msg as { id?: unknown }).id ?? null,
        ok: false,
        e: { code: 'internal', message: `reply could not be encoded: ${(e as Error).message}` },
      });
    }
    ws.send(data, { binary: typeof data !== 'string' });
  };
  const errorReply = (ws: WebSocket, id: unknown, e: WireError) =>
    send(ws, { t: 'res', id: typeof id === 'number' ? id : null, ok: false, e: boundedWireError(e) });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', (e) => log(`socket error: ${e.message}`));
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      let msg: unknown;
      const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
      try {
        // Refused before JSON.parse (whose cost grows with the text); the id is read from the head so
        // the caller's promise still settles.
        if (!isBinary && buf.byteLength > MAX_REQUEST_JSON_BYTES)
          throw new WireFormatError(
            `a JSON request of ${buf.byteLength} bytes exceeds the limit of ${MAX_REQUEST_JSON_BYTES}: binary data travels in binary frames`,
          );
        msg = decodeMessage(isBinary ? buf : buf.toString('utf8'), {
          maxBytes: MAX_REQUEST_BYTES,
          maxJsonBytes: MAX_REQUEST_JSON_BYTES,
        });
      } catch (e) {
        return errorReply(ws, peekRequestId(buf.subarray(0, 200).toString('latin1')), {
          code: 'malformed',
          message: e instanceof WireFormatError ? e.message : `undecodable message: ${(e as Error).message}`,
        });
      }
      const m = msg as { t?: unknown; id?: unknown; ch?: unknown; p?: unknown } | null;
      if (
        !m ||
        typeof m !== 'object' ||
        Array.isArray(m) ||
        m.t !== 'req' ||
        typeof m.id !== 'number' ||
        !Number.isSafeInteger(m.id)
      ) {
        return errorReply(ws, m && typeof m === 'object' ? m.id : null, {
          code: 'malformed',
          message: 'expected a request {"t":"req","id":<integer>,"ch":"area:verb","p":{…}}',
        });
      }
      const id = m.id;
      dispatch(m.ch, m.p).then(
        (env) =>
          send(ws, env.ok ? { t: 'res', id, ok: true, r: env.result } : { t: 'res', id, ok: false, e: env.error }),
        (e) => errorReply(ws, id, { code: 'internal', message: (e as Error).message }),
      );
    });
    send(ws, { t: 'hello', version: PROTOCOL_VERSION, protocol: 'oneiro-workbench' });
  });

  const unsubscribe = opts.events.subscribeAll((event, payload) => {
    for (const ws of sockets)
      if (ws.bufferedAmount < MAX_BUFFERED_EVENTS) send(ws, { t: 'evt', ev: event, p: payload });
  });

  await new Promise<void>((resolveP, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveP();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    wsUrl: `ws://127.0.0.1:${port}/api?token=${token}`,
    connections: () => sockets.size,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
