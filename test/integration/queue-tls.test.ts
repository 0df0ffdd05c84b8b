import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectWorkspace } from './world-models-fixture.ts';
import { freePort, startRedis, type TestRedis } from './redis-helpers.ts';

// rediss:// end to end: redis-server's own TLS port (Debian's build has TLS) with a self-signed
// certificate made by openssl, trusted through ONEIRO_QUEUE_CA; the plain port is closed (--port 0).
const BIN = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const certs = mkdtempSync(join(tmpdir(), 'oneiro-tls-'));
const cert = join(certs, 'cert.pem');
const key = join(certs, 'key.pem');
const { workspace: ws, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 2, size: 32, maxSteps: 20 });
let redis: TestRedis;
let port: number;

before(async () => {
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `openssl could not make a certificate: ${r.stderr}`);
  port = await freePort();
  const tls = ['--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key];
  redis = await startRedis({
    port,
    args: [...tls, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'],
    cliArgs: ['--tls', '--cacert', cert],
  });
});

after(async () => {
  await redis?.stop();
  rmSync(certs, { recursive: true, force: true });
  rmSync(ws, { recursive: true, force: true });
});

function oneiro(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

test('a rediss:// queue URL is accepted and used: a sweep is enqueued and read back over TLS', () => {
  const file = join(ws, 'one.json');
  writeFileSync(file, JSON.stringify({ family: 'world-models', preset: 'debug', dataset, steps: 2 }));
  const url = `rediss://127.0.0.1:${port}`;
  const r = oneiro(['sweep', file, '--queue', url, '--json'], { ONEIRO_QUEUE_CA: cert });
  assert.equal(r.status, 0, r.stderr);
  const { sweep, queue } = JSON.parse(r.stdout) as { sweep: string; queue: string };
  assert.equal(queue, `rediss://127.0.0.1:${port}/0`);
  const s = oneiro(['sweep', 'status', sweep, '--json', '--queue', url], { ONEIRO_QUEUE_CA: cert });
  assert.equal(s.status, 0, s.stderr);
  const st = JSON.parse(s.stdout) as { runs: { state: string; job: string | null }[] };
  assert.deepEqual(
    st.runs.map((x) => [x.state, x.job]),
    [['queued', 'waiting']],
  );
  // Without the CA the server's self-signed certificate is refused: TLS is really verified.
  const untrusted = oneiro(['sweep', file, '--queue', url]);
  assert.equal(untrusted.status, 2);
  assert.match(untrusted.stderr, /cannot reach the job queue at rediss:\/\/127\.0\.0\.1:\d+\/0: .*certificate/i);
  assert.equal(untrusted.stderr.trim().split('\n').length, 1, untrusted.stderr);
});
