import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOverrides } from '../../../renderer/src/lib/overrides.ts';

test('overrides parse booleans, numbers and strings, separated by spaces, commas or new lines', () => {
  assert.deepEqual(parseOverrides(''), { ok: true, values: {} });
  assert.deepEqual(parseOverrides('controller.enabled=false, vae.steps=200\nrnn.lr=3e-3 name=abc'), {
    ok: true,
    values: { 'controller.enabled': false, 'vae.steps': 200, 'rnn.lr': 0.003, name: 'abc' },
  });
});

test('bad overrides name the offending pair', () => {
  const r1 = parseOverrides('vae.steps');
  assert.equal(r1.ok, false);
  assert.match(!r1.ok ? r1.error : '', /"vae.steps": expected key=value/);
  const r2 = parseOverrides('vae..steps=1');
  assert.match(!r2.ok ? r2.error : '', /expected a dotted config key/);
  const r3 = parseOverrides('a=1 a=2');
  assert.match(!r3.ok ? r3.error : '', /given twice/);
  assert.equal(parseOverrides('=3').ok, false);
  assert.equal(parseOverrides('x=').ok, false);
});
