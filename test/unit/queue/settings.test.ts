import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { queueSettingPath, readQueueSetting, settingUrl, writeQueueSetting } from '../../../core/queue/settings.ts';

test('the queue setting round-trips without a password and is written atomically', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-qs-'));
  try {
    assert.equal(readQueueSetting(ws), null);
    writeQueueSetting(ws, { url: 'redis://10.0.0.2:6379/0', username: 'trainer' });
    assert.deepEqual(readQueueSetting(ws), { url: 'redis://10.0.0.2:6379/0', username: 'trainer' });
    assert.deepEqual(readdirSync(dirname(queueSettingPath(ws))), ['queue.json'], 'no temp file left');
    assert.equal(
      settingUrl({ url: 'redis://10.0.0.2:6379/0', username: 'trainer' }),
      'redis://trainer@10.0.0.2:6379/0',
    );
    writeQueueSetting(ws, null);
    assert.deepEqual(readQueueSetting(ws), { url: null, username: null });
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a setting holding credentials or bad JSON is refused with one line naming the file and field', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-qs-'));
  try {
    mkdirSync(join(ws, 'settings'));
    const why: string[] = [];
    writeFileSync(queueSettingPath(ws), JSON.stringify({ url: 'redis://:secret@h:1/0', username: null }));
    assert.equal(
      readQueueSetting(ws, (w) => why.push(w)),
      null,
    );
    writeFileSync(queueSettingPath(ws), '{"url": ');
    assert.equal(
      readQueueSetting(ws, (w) => why.push(w)),
      null,
    );
    assert.equal(why.length, 2);
    assert.match(why[0], /queue\.json: url: expected redis\[s\]:\/\/host:port\/db without credentials$/);
    assert.match(why[1], /queue\.json is not JSON: expected/);
    assert.ok(why.every((w) => !w.includes('\n') && !w.includes('secret')));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
