import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetService } from '../../../core/service/datasets.ts';
import { EventHub } from '../../../core/service/events.ts';
import { validateReply, validateRequest } from '../../../core/contract/validate.ts';
import { FakeLauncher } from './fake-launcher.ts';

// The web host's way out of a broken or stuck dataset name: remove works on unreadable datasets, cancels a
// running import, a hung import times out, and folders of killed imports are cleaned when the service starts.

function withWs(f: (ws: string) => Promise<void> | void): Promise<void> {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-dsrm-'));
  return Promise.resolve(f(ws)).finally(() => rmSync(ws, { recursive: true, force: true }));
}

const parse = <C extends Parameters<typeof validateRequest>[0]>(c: C, p: unknown) => {
  const r = validateRequest(c, p);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as never;
};

test('an unreadable dataset blocks its name with a message saying so, and datasets:remove frees it', () =>
  withWs(async (ws) => {
    const dir = join(ws, 'datasets', 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dataset.json'), '{"episodes": [{"return": null}]}');
    const svc = new DatasetService(ws, new EventHub(), new FakeLauncher());
    mkdirSync(join(ws, 'src'));
    await assert.rejects(
      svc.import(parse('datasets:import', { source: join(ws, 'src'), name: 'broken' })),
      /dataset 'broken' exists but is unreadable \(dataset 'broken': .*dataset\.json is invalid.*\); remove it first/,
    );
    const r = svc.remove(parse('datasets:remove', { dataset: 'broken' }));
    assert.equal(validateReply('datasets:remove', r), null);
    assert.equal(r.removed, true);
    assert.match(r.unreadable ?? '', /is invalid/);
    assert.equal(existsSync(dir), false);
    assert.throws(() => svc.remove(parse('datasets:remove', { dataset: 'broken' })), /no dataset 'broken'/);
  }));

// The timeouts turn a hang (a cancel or timeout that does nothing) into a failure.
test('datasets:remove cancels an import in progress; the name is free again', { timeout: 20_000 }, () =>
  withWs(async (ws) => {
    const launcher = new FakeLauncher();
    const svc = new DatasetService(ws, new EventHub(), launcher);
    mkdirSync(join(ws, 'src'));
    const req = parse('datasets:import', { source: join(ws, 'src'), name: 'slow' });
    const p = svc.import(req);
    await assert.rejects(svc.import(req), /dataset 'slow' is being imported now/);
    const r = svc.remove(parse('datasets:remove', { dataset: 'slow' }));
    assert.deepEqual(r, { dataset: 'slow', cancelled: true, removed: false, unreadable: null });
    await assert.rejects(p, /import into 'slow' was cancelled/);
    assert.equal(launcher.last().exited, true);
    // Free again: a new import starts a new worker.
    const again = svc.import(req);
    assert.equal(launcher.workers.length, 2);
    launcher.last().kill();
    await assert.rejects(again);
  }),
);

test(
  'an import that never finishes (e.g. a worker stuck on a file) is stopped by the timeout',
  { timeout: 20_000 },
  () =>
    withWs(async (ws) => {
      const launcher = new FakeLauncher();
      const svc = new DatasetService(ws, new EventHub(), launcher, 50);
      mkdirSync(join(ws, 'src'));
      await assert.rejects(
        svc.import(parse('datasets:import', { source: join(ws, 'src'), name: 'hung' })),
        /import into 'hung' took longer than 0\.05 s and was stopped \(raise ONEIRO_IMPORT_TIMEOUT_S\)/,
      );
      assert.equal(launcher.last().exited, true);
    }),
);

test('starting the service removes .staging-* folders of imports whose process is gone, not live ones', () =>
  withWs((ws) => {
    const root = join(ws, 'datasets');
    const dead = join(root, '.staging-x-999999999');
    const live = join(root, `.staging-y-${process.ppid}`);
    mkdirSync(dead, { recursive: true });
    mkdirSync(live, { recursive: true });
    new DatasetService(ws, new EventHub(), new FakeLauncher());
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(live), true);
  }));
