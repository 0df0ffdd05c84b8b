import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher } from '../../../core/contract/validate.ts';
import { CHANNEL_NAMES } from '../../../core/contract/names.ts';
import type { ChannelName } from '../../../core/contract/names.ts';
import { createWorkbenchService } from '../../../core/service/service.ts';
import { RunService } from '../../../core/service/runs.ts';
import { EventHub } from '../../../core/service/events.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import { resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import { deepMerge, expandDotted } from '../../../core/util/safe-keys.ts';
import { FakeLauncher } from '../service/fake-launcher.ts';
import { REQUESTS } from './samples.ts';

// Hardening issue, item 1: one request with a `__proto__` override used to write onto Object.prototype,
// after which every strict parse in the host failed until restart. These tests send hostile keys on
// every channel and check that Object.prototype is untouched and the host still answers.

const HOSTILE = ['__proto__', 'constructor', 'prototype'];

function prototypeSnapshot(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

/** Hostile variants of one valid payload: nested keys (via JSON.parse, as a wire message arrives) and dotted paths. */
function hostileVariants(valid: unknown): unknown[] {
  const base = (valid && typeof valid === 'object' ? valid : {}) as Record<string, unknown>;
  const out: unknown[] = [];
  for (const k of HOSTILE) {
    out.push(JSON.parse(JSON.stringify(base).replace(/^\{/, `{"${k}":{"polluted":"yes"},`).replace(/,\}$/, '}')));
    out.push({ ...base, overrides: { [`${k}.polluted`]: 'yes' } });
    out.push({ ...base, overrides: { [`a.${k}.polluted`]: 'yes' } });
    out.push(JSON.parse(`{"nested":{"${k}":{"polluted":"yes"}}}`));
  }
  out.push({ ...base, overrides: { '': 1 } }, { ...base, overrides: { 'a..b': 1 } });
  return out;
}

test('hostile keys on every channel are refused at the boundary and Object.prototype stays unchanged', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-hostile-'));
  const service = createWorkbenchService({
    workspace: ws,
    host: 'direct',
    launcher: new FakeLauncher(),
    dreamsIn: 'host',
    backend: 'cpu',
  });
  try {
    const dispatch = createDispatcher(service.api);
    const before = prototypeSnapshot();
    let refused = 0;
    for (const channel of CHANNEL_NAMES) {
      for (const payload of hostileVariants(REQUESTS[channel as ChannelName])) {
        const reply = await dispatch(channel, payload);
        assert.equal(reply.ok, false, `${channel} accepted a hostile payload ${JSON.stringify(payload)}`);
        if (!reply.ok) {
          assert.equal(reply.error.code, 'invalid_request', `${channel}: ${reply.error.message}`);
          assert.ok(!reply.error.message.includes('\n'), 'one line');
        }
        refused++;
      }
    }
    assert.ok(refused >= CHANNEL_NAMES.length * 12);
    assert.deepEqual(prototypeSnapshot(), before, 'Object.prototype gained or lost a property');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).t, undefined);
    // The reproduction from the issue, then an ordinary call on the same host.
    const repro = await dispatch('runs:create', {
      family: 'rssm',
      preset: 'debug',
      dataset: 'ok',
      overrides: { '__proto__.t': 'req' },
    });
    assert.ok(!repro.ok && /__proto__/.test(repro.error.message), JSON.stringify(repro));
    const normal = await dispatch('runs:list', {});
    assert.ok(normal.ok, JSON.stringify(normal));
    const models = await dispatch('models:list', {});
    assert.ok(models.ok, JSON.stringify(models));
  } finally {
    await service.close();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('the run service refuses hostile override paths even without the contract in front', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-hostile-'));
  const runs = new RunService(ws, new EventHub(), new FakeLauncher());
  try {
    for (const k of HOSTILE) {
      await assert.rejects(
        runs.create({ family: 'rssm', preset: 'debug', dataset: 'ok', overrides: { [`${k}.t`]: 'req' } } as never),
        (e: Error) => e.message.includes(k) && !e.message.includes('\n'),
      );
    }
    assert.equal(({} as Record<string, unknown>).t, undefined);
  } finally {
    await runs.close(100);
    rmSync(ws, { recursive: true, force: true });
  }
});

test('config merging refuses hostile keys in nested overrides on every family', () => {
  for (const k of HOSTILE) {
    assert.throws(
      () => rssmConfig('debug', JSON.parse(`{"train":{"${k}":{"polluted":1}}}`)),
      new RegExp(`'train\\.${k}'`),
    );
    assert.throws(
      () => resolveWorldModelsConfig('debug', JSON.parse(`{"vae":{"${k}":{"polluted":1}}}`)),
      new RegExp(`'vae\\.${k}'`),
    );
  }
  const fail = (m: string) => new Error(m);
  assert.throws(() => expandDotted({ 'a.__proto__.b': 1 }, fail), /reserved key '__proto__'/);
  assert.throws(() => expandDotted({ 'a..b': 1 }, fail), /empty key/);
  assert.throws(() => deepMerge({}, JSON.parse('{"__proto__":{"x":1}}'), fail), /__proto__/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(({} as Record<string, unknown>).x, undefined);
  // Ordinary dotted overrides still expand.
  assert.deepEqual(
    { ...expandDotted({ 'rssm.deter': 64 }, fail) }.rssm,
    Object.assign(Object.create(null), { deter: 64 }),
  );
});
