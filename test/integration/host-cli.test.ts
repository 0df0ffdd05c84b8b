import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from './host-helpers.ts';

// `oneiro serve` as a user starts it: prints its URL (with the token), serves the API, stops cleanly.

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'oneiro.mjs');

test('oneiro serve prints a tokened URL, answers on it, and exits 0 on SIGINT', { timeout: 60_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-serve-'));
  const proc = spawn(process.execPath, [bin, 'serve', '--port', '0', '--workspace', ws, '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      proc.on('exit', (c) => reject(new Error(`exited ${c} before printing`)));
    });
    const info = JSON.parse(line) as { url: string; port: number; workspace: string };
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    assert.equal(info.workspace, ws);
    const token = new URL(info.url).searchParams.get('token');
    const client = await connect(`ws://127.0.0.1:${info.port}/api?token=${token}`);
    const wi = await client.workspaceInfo();
    assert.deepEqual([wi.host, wi.workspace, wi.empty], ['web', ws, true]);
    client.close();
    const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    proc.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(ws, { recursive: true, force: true });
  }
});

test('oneiro serve refuses a bad --port with a clear message', () => {
  const r = spawnSync(process.execPath, [bin, 'serve', '--port', 'eighty'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port must be an integer >= 0 and <= 65535, got 'eighty'/);
});
