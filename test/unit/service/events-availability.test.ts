import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHub } from '../../../core/service/events.ts';
import { findChromium, findElectron, electronExecutableName } from '../../../core/service/availability.ts';
import { EVENT_SAMPLES } from '../contract/samples.ts';

test('EventHub delivers valid events, drops ones that break the contract, survives throwing listeners', () => {
  const dropped: string[] = [];
  const hub = new EventHub((w) => dropped.push(w));
  const got: unknown[] = [];
  const all: string[] = [];
  hub.subscribe('onRunLog', () => {
    throw new Error('listener bug');
  });
  const off = hub.subscribe('onRunLog', (p) => got.push(p));
  hub.subscribeAll((e) => all.push(e));
  hub.emit('onRunLog', EVENT_SAMPLES.onRunLog as never);
  assert.deepEqual(got, [EVENT_SAMPLES.onRunLog]);
  assert.deepEqual(all, ['onRunLog']);
  assert.match(dropped[0], /listener threw: listener bug/);
  hub.emit('onRunLog', { runId: 'r', stream: 'nope', line: 1 } as never);
  assert.equal(got.length, 1, 'an invalid payload never reaches listeners');
  assert.match(dropped[1], /event dropped: onRunLog: event does not match the contract/);
  off();
  hub.emit('onRunLog', EVENT_SAMPLES.onRunLog as never);
  assert.equal(got.length, 1);
});

function fakeRoot(withBinary: boolean) {
  const root = mkdtempSync(join(tmpdir(), 'oneiro-avail-'));
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'electron', version: '41.7.1' }));
  if (withBinary) {
    const exe = join(pkg, 'dist', electronExecutableName());
    mkdirSync(join(exe, '..'), { recursive: true });
    writeFileSync(exe, '#!/bin/sh\n');
  }
  return root;
}

test('findElectron looks at files only: package without dist, with dist, override path, no package', () => {
  const none = mkdtempSync(join(tmpdir(), 'oneiro-avail-'));
  const noBin = fakeRoot(false);
  const bin = fakeRoot(true);
  try {
    const a = findElectron(none, {});
    assert.equal(a.available, false);
    assert.match(a.detail, /not installed/);
    const b = findElectron(noBin, {});
    assert.deepEqual([b.available, b.version], [false, '41.7.1']);
    assert.match(b.detail, /has no binary .*npm run fetch:electron/);
    const c = findElectron(bin, {});
    assert.equal(c.available, true);
    assert.equal(c.path, join(bin, 'node_modules', 'electron', 'dist', electronExecutableName()));
    const d = findElectron(noBin, { ELECTRON_OVERRIDE_DIST_PATH: join(bin, 'node_modules', 'electron', 'dist') });
    assert.equal(d.available, true, 'ELECTRON_OVERRIDE_DIST_PATH points at a binary elsewhere');
  } finally {
    for (const r of [none, noBin, bin]) rmSync(r, { recursive: true, force: true });
  }
});

test('findChromium: ONEIRO_CHROMIUM wins; nothing on PATH says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-chromium-'));
  try {
    const fake = join(dir, 'chromium');
    writeFileSync(fake, '#!/bin/sh\necho "Chromium 123.0.1 built on test"\n');
    chmodSync(fake, 0o755);
    const viaEnv = findChromium({ ONEIRO_CHROMIUM: fake, PATH: '' });
    assert.deepEqual([viaEnv.available, viaEnv.path, viaEnv.version], [true, fake, '123.0.1']);
    const viaPath = findChromium({ PATH: dir });
    assert.equal(viaPath.path, fake);
    const missing = findChromium({ PATH: join(dir, 'empty') });
    assert.equal(missing.available, false);
    assert.match(missing.detail, /apt-get install chromium/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
