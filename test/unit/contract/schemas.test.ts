import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANNEL_NAMES, EVENT_NAMES, CHANNEL_METHODS } from '../../../core/contract/names.ts';
import { CONTRACT, EVENTS } from '../../../core/contract/channels.ts';
import { validateRequest, validateReply, validateEvent } from '../../../core/contract/validate.ts';
import { REQUESTS, BAD_REQUESTS, REPLIES, EVENT_SAMPLES } from './samples.ts';
import { MAX_DREAM_SAMPLES } from '../../../core/contract/schemas.ts';

test('channel names are area:verb, methods are unique, events are onX', () => {
  for (const c of CHANNEL_NAMES) assert.match(c, /^[a-z]+:[a-z-]+$/);
  const methods = Object.values(CHANNEL_METHODS);
  assert.equal(new Set(methods).size, methods.length);
  for (const e of EVENT_NAMES) assert.match(e, /^on[A-Z][A-Za-z]+$/);
  assert.deepEqual(Object.keys(CONTRACT).sort(), [...CHANNEL_NAMES].sort());
  assert.deepEqual(Object.keys(EVENTS).sort(), [...EVENT_NAMES].sort());
  // The sample tables cover every channel, so each channel has a valid and an invalid case below.
  assert.deepEqual(Object.keys(REQUESTS).sort(), [...CHANNEL_NAMES].sort());
  assert.deepEqual(Object.keys(BAD_REQUESTS).sort(), [...CHANNEL_NAMES].sort());
});

for (const channel of CHANNEL_NAMES) {
  test(`${channel}: a valid request passes, an invalid one is refused naming its field`, () => {
    const ok = validateRequest(channel, REQUESTS[channel]);
    assert.equal(ok.ok, true, ok.ok ? '' : ok.error.message);
    const [bad, field] = BAD_REQUESTS[channel];
    const r = validateRequest(channel, bad);
    assert.equal(r.ok, false, `${JSON.stringify(bad)} must be refused`);
    if (!r.ok) {
      assert.equal(r.error.code, 'invalid_request');
      assert.equal(r.error.field, field);
      assert.ok(r.error.message.startsWith(`${channel}: ${field}:`), r.error.message);
    }
  });
  test(`${channel}: a valid reply passes its schema, a drifted one does not`, () => {
    assert.equal(validateReply(channel, REPLIES[channel]), null);
    const drifted = validateReply(channel, { unexpected: true });
    assert.ok(drifted, 'a reply of the wrong shape must be refused');
    assert.equal(drifted.code, 'internal');
  });
}

test('defaults are filled in for the service', () => {
  const r = validateRequest('datasets:frames', REQUESTS['datasets:frames']);
  assert.ok(r.ok && r.value.stride === 1);
  const c = validateRequest('runs:create', { family: 'world-models', env: 'car-racing' });
  assert.ok(c.ok && c.value.preset === 'debug');
  const m = validateRequest('runs:metrics', { runId: 'x' });
  assert.ok(m.ok && m.value.since === -1 && m.value.limit === 0);
});

test('pixels must be typed arrays: a JSON array of numbers is refused with a clear message', () => {
  const reply = { ...(REPLIES['datasets:frames'] as object), frames: { shape: [1, 1, 1, 3], data: [0, 0, 0] } };
  const e = validateReply('datasets:frames', reply);
  assert.ok(e);
  assert.equal(e.field, 'reply.frames.data');
  assert.match(e.message, /expected a Uint8Array \(binary data is never sent as a JSON array\)/);
  // A Float32Array where a Uint8Array is expected is refused too.
  const wrongType = {
    ...(REPLIES['datasets:frames'] as object),
    frames: { shape: [1, 1, 1, 3], data: new Float32Array(3) },
  };
  assert.ok(validateReply('datasets:frames', wrongType));
});

test('runs:create needs exactly one of dataset or env', () => {
  const none = validateRequest('runs:create', { family: 'world-models' });
  assert.ok(
    !none.ok && none.error.field === 'payload.dataset' && /exactly one of dataset or env/.test(none.error.message),
  );
  assert.ok(validateRequest('runs:create', { family: 'rssm', env: 'cartpole-swingup', preset: 'planet' }).ok);
});

for (const event of EVENT_NAMES) {
  test(`${event}: sample payload passes, a wrong one is refused`, () => {
    assert.equal(validateEvent(event, EVENT_SAMPLES[event]), null);
    assert.ok(validateEvent(event, { nope: 1 }));
  });
}

test('dreams:step takes exactly one of a user action or autopilot: true', () => {
  assert.ok(validateRequest('dreams:step', { sessionId: 's1', autopilot: true }).ok);
  assert.ok(validateRequest('dreams:step', { sessionId: 's1', action: [1] }).ok);
  for (const bad of [{ sessionId: 's1' }, { sessionId: 's1', action: [1], autopilot: true }]) {
    const r = validateRequest('dreams:step', bad);
    assert.ok(
      !r.ok && r.error.field === 'payload.action' && /exactly one of action or autopilot/.test(r.error.message),
      JSON.stringify(bad),
    );
  }
  const off = validateRequest('dreams:step', { sessionId: 's1', action: [1], autopilot: false });
  assert.ok(!off.ok && off.error.field === 'payload.autopilot', 'autopilot: false is not a way to say "manual"');
});

test('dreams:goal: the real side is a rollout whose rows agree, or a refusal; a mismatch is refused in one line', () => {
  const reply = REPLIES['dreams:goal'] as Record<string, unknown> & { realEnv: Record<string, unknown> };
  assert.equal(validateReply('dreams:goal', { ...reply, realEnv: { kind: 'refused', reason: 'no env' } }), null);
  const short = { ...reply, realEnv: { ...reply.realEnv, cosineDistance: new Float32Array(2) } };
  const e = validateReply('dreams:goal', short);
  assert.ok(e && e.field === 'reply.realEnv.steps' && !e.message.includes('\n'), JSON.stringify(e));
  assert.match(e.message, /expected steps\+1 real frames, distances and success rows/);
  const both = { ...reply, realEnv: { ...reply.realEnv, successNote: 'no success test for this goal' } };
  assert.ok(validateReply('dreams:goal', both), 'a success test and a note saying there is none');
});

test('dreams from real frames (openloop, imagine, goal) share where they start: a dataset, episode, start and up to 100 context frames', () => {
  for (const channel of ['dreams:openloop', 'dreams:imagine', 'dreams:goal'] as const) {
    const base = REQUESTS[channel] as Record<string, unknown>;
    const check = (patch: Record<string, unknown>, field: string | null) => {
      const r = validateRequest(channel, { ...base, ...patch });
      if (field === null) assert.equal(r.ok, true, r.ok ? '' : r.error.message);
      else assert.equal(r.ok ? null : r.error.field, field, `${channel} ${JSON.stringify(patch)}`);
    };
    check({ dataset: 'cp', context: 100 }, null);
    check({ context: 101 }, 'payload.context');
    check({ context: 0 }, 'payload.context');
    check({ start: -1 }, 'payload.start');
    check({ episode: 1.5 }, 'payload.episode');
    check({ runId: '' }, 'payload.runId');
  }
});

test('a dream shown as the mean of samples: 1 to MAX_DREAM_SAMPLES whole dreams, in the Lab and in its export', () => {
  const lab = REQUESTS['dreams:openloop'] as Record<string, unknown>;
  const strip = { source: { kind: 'openloop', runId: 'wm-1', episode: 0, start: 3, horizon: 10 }, format: 'gif' };
  for (const [samples, field] of [
    [1, null],
    [MAX_DREAM_SAMPLES, null],
    [0, 'samples'],
    [MAX_DREAM_SAMPLES + 1, 'samples'],
    [2.5, 'samples'],
    ['8', 'samples'],
  ] as const) {
    const a = validateRequest('dreams:openloop', { ...lab, samples });
    assert.equal(a.ok ? null : a.error.field, field === null ? null : 'payload.samples', `openloop samples ${samples}`);
    const b = validateRequest('exports:strip', { ...strip, source: { ...strip.source, samples } });
    assert.equal(
      b.ok ? null : b.error.field,
      field === null ? null : 'payload.source.samples',
      `strip samples ${samples}`,
    );
  }
});

test("an open-loop export takes the shown dream's context and seed: context 1 to 100 frames, as on dreams:openloop", () => {
  const strip = { source: { kind: 'openloop', runId: 'wm-1', episode: 0, start: 3, horizon: 10 }, format: 'gif' };
  for (const [patch, field] of [
    [{ context: 2, seed: 23 }, null],
    [{ context: 100 }, null],
    [{ context: 0 }, 'payload.source.context'],
    [{ context: 101 }, 'payload.source.context'],
    [{ context: 2.5 }, 'payload.source.context'],
    [{ context: Number.NaN }, 'payload.source.context'],
    [{ seed: 1.5 }, 'payload.source.seed'],
  ] as const) {
    const r = validateRequest('exports:strip', { ...strip, source: { ...strip.source, ...patch } });
    assert.equal(r.ok ? null : r.error.field, field, JSON.stringify(patch));
    if (!r.ok) assert.doesNotMatch(r.error.message, /\n/, 'one line');
  }
});

test('runs:eval: a probe calibration bin is six numbers, its row count a whole number; a bad one is named in one line', () => {
  const reply = REPLIES['runs:eval'] as { probeCalibration: Record<string, Record<string, unknown>[]> };
  const [good] = reply.probeCalibration['cart position'];
  const withBin = (patch: Record<string, unknown>) => ({
    ...reply,
    probeCalibration: { v: [{ ...good, ...patch }] },
  });
  assert.equal(validateReply('runs:eval', withBin({})), null);
  assert.equal(validateReply('runs:eval', { ...reply, probeCalibration: undefined }), null, 'absent without a state');
  for (const [bad, field] of [
    [{ n: -1 }, 'n'],
    [{ n: 2.5 }, 'n'],
    [{ read: 'x' }, 'read'],
    [{ error_share: undefined }, 'error_share'],
  ] as const) {
    const e = validateReply('runs:eval', withBin(bad));
    assert.equal(e?.field, `reply.probeCalibration.v.0.${field}`, JSON.stringify(bad));
    assert.doesNotMatch(e!.message, /\n/);
  }
});

test("runs:eval: a pixel metric's ratio interval is two ends, numbers or null (not measurable), with its baseline's name", () => {
  const reply = REPLIES['runs:eval'] as { metrics: Record<string, Record<string, unknown>> };
  const fg = reply.metrics['openloop_fg_mse@10'];
  const withFg = (patch: Record<string, unknown>) => ({
    ...reply,
    metrics: { ...reply.metrics, 'x@1': { ...fg, ...patch } },
  });
  assert.equal(validateReply('runs:eval', withFg({ ratio_ci95: [null, null] })), null);
  assert.equal(validateReply('runs:eval', withFg({ ratio_baseline: undefined, ratio_ci95: undefined })), null);
  for (const bad of [{ ratio_ci95: [0.5] }, { ratio_ci95: [0.5, 'x'] }, { ratio_baseline: 3 }]) {
    const e = validateReply('runs:eval', withFg(bad));
    assert.ok(e && e.field?.startsWith('reply.metrics.x@1.ratio_'), `${JSON.stringify(bad)}: ${JSON.stringify(e)}`);
  }
});
