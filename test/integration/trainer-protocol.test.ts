import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPriority } from 'node:os';
import { forkLauncher, TRAINER_ENTRY, WORKER_NICE } from '../../core/trainer/launcher.ts';
import type { FromWorker } from '../../core/trainer/protocol.ts';

// The worker protocol: a real trainer entry greets and reports a failing job as `done: failed`; a
// worker that speaks garbage is killed, its lines still reach the host.

function spawnCollect(entry?: string, execArgv?: string[]) {
  const msgs: FromWorker[] = [];
  const lines: string[] = [];
  const errors: string[] = [];
  let exit: { code: number | null; signal: string | null } | null = null;
  const launcher = forkLauncher({ ...(entry ? { entry } : {}), ...(execArgv ? { execArgv } : {}) });
  const h = launcher.spawn('test', {
    onMessage: (m) => msgs.push(m),
    onProtocolError: (w) => errors.push(w),
    onLine: (_s, l) => lines.push(l),
    onExit: (code, signal) => (exit = { code, signal }),
  });
  return { h, msgs, lines, errors, exited: () => exit as { code: number | null; signal: string | null } | null };
}

async function waitFor<T>(fn: () => T | null | undefined | false, ms = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the trainer entry greets, runs a job, and reports a failure as done/failed with the reason', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-proto-'));
  try {
    const w = spawnCollect();
    const ready = await waitFor(() => w.msgs.find((m) => m.type === 'ready'));
    assert.equal(ready.type === 'ready' && ready.pid, w.h.pid);
    // Workers yield the CPU to the host that serves the UI.
    assert.equal(getPriority(w.h.pid!), Math.max(getPriority(), WORKER_NICE));
    w.h.send({
      type: 'start',
      job: { kind: 'collect', workspace: ws, env: 'no-such-env', dataset: 'x', episodes: 1, seed: 0, policy: 'random' },
    });
    const exit = await waitFor(() => w.exited());
    const done = w.msgs.find((m) => m.type === 'done');
    assert.ok(done && done.type === 'done');
    assert.equal(done.outcome, 'failed');
    assert.match(done.message ?? '', /unknown environment 'no-such-env'/);
    assert.equal(exit.code, 1);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a worker that sends non-protocol messages is killed; its output still reaches the host', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-rogue-'));
  try {
    const rogue = join(dir, 'rogue.mjs');
    writeFileSync(
      rogue,
      "console.log('hello from rogue'); process.send({ type: 'ready', pid: 'not a number' }); setInterval(() => {}, 1000);\n",
    );
    const w = spawnCollect(rogue, []);
    const exit = await waitFor(() => w.exited(), 20_000);
    assert.equal(exit.signal, 'SIGKILL');
    assert.match(w.errors[0] ?? '', /worker message invalid at 'pid'/);
    assert.equal(w.msgs.length, 0);
    await waitFor(() => w.lines.includes('hello from rogue'), 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the entry path exists and refuses to run without a parent', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--import', 'tsx', TRAINER_ENTRY], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no parent to talk to/);
});
