import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { ServerResponse } from 'node:http';

/**
 * Static files of the built renderer (renderer/dist) for web mode, with a strict CSP. Paths are
 * resolved inside the folder only; anything else is a 404.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The renderer talks to its own origin only (the API WebSocket is on the same host and port). */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export const RENDERER_NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Oneiro</title>
<body style="font-family:sans-serif;margin:3em"><h1>Oneiro web host is running</h1>
<p>The renderer is not built yet: run <code>npm run build:renderer</code> and reload. The API is up on <code>/api</code>.</p></body>`;

export function serveStatic(root: string | null, urlPath: string, res: ServerResponse, port: number): void {
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    res.writeHead(400, headers).end('bad path');
    return;
  }
  if (rel.endsWith('/')) rel += 'index.html';
  if (!root || !existsSync(join(root, 'index.html'))) {
    if (rel === '/index.html')
      res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html'] }).end(RENDERER_NOT_BUILT);
    else res.writeHead(404, headers).end('not found');
    return;
  }
  const base = resolve(root);
  const file = resolve(base, '.' + normalize(rel));
  if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, headers).end('not found');
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' });
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
