import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createDispatcher } from '../../../core/contract/validate.ts';
import { CHANNEL_METHODS, CHANNEL_NAMES } from '../../../core/contract/names.ts';
import type { ChannelName, Envelope } from '../../../core/contract/names.ts';
import type { WorkbenchApi } from '../../../core/contract/client.ts';
import { encodeMessage } from '../../../core/contract/wire.ts';
import {
  MAX_ERROR_MESSAGE_CHARS,
  MAX_FRAMES_REQUEST_BYTES,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_ENTRIES,
  MAX_REQUEST_JSON_BYTES,
} from '../../../core/contract/limits.ts';
import { startHost } from '../../../core/host/server.ts';
import { connectWebSocket, type SocketCtor } from '../../../core/contract/ws-client.ts';
import { EventHub } from '../../../core/service/events.ts';
import { REPLIES, REQUESTS } from './samples.ts';

// Hardening issue, item 6: a 36 MB payload of 2 M unknown keys stalled the host for 7 s while the
// validator described every key, and the error reply was 27 MB. Sizes and key counts are now checked
// before any schema, per channel, on every transport; error replies are one bounded line.

function fakeApi(calls: string[]): WorkbenchApi {
  return Object.fromEntries(
    Object.entries(CHANNEL_METHODS).map(([ch, m]) => [
      m,
      async () => {
        calls.push(ch);
        return REPLIES[ch as ChannelName];
      },
    ]),
  ) as unknown as WorkbenchApi;
}

function manyKeys(n: number): Record<string, number> {
  const o: Record<string, number> = {};
  for (let i = 0; i < n; i++) o[`unknown${i}`] = i;
  return o;
}

function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** Oversized variants of one valid payload: many keys (top level and nested), long strings and arrays, deep nesting. */
function oversized(channel: ChannelName, valid: unknown): unknown[] {
  const base = (valid && typeof valid === 'object' ? valid : {}) as Record<string, unknown>;
  const out: unknown[] = [
    manyKeys(MAX_REQUEST_ENTRIES + 1),
    { ...base, ...manyKeys(MAX_REQUEST_ENTRIES + 1) },
    { ...base, extra: manyKeys(MAX_REQUEST_ENTRIES + 1) },
    { ...base, extra: new Array(MAX_REQUEST_ENTRIES + 1).fill(0) },
    { ...base, extra: deep(1000) },
  ];
  // Larger than the channel's byte budget: a string everywhere, binary for the one channel that takes it.
  if (channel === 'exports:strip')
    out.push({
      ...base,
      source: {
        kind: 'frames',
        frames: { shape: [1, 64, 64, 3], data: new Uint8Array(MAX_FRAMES_REQUEST_BYTES + 1) },
      },
    });
  else out.push({ ...base, extra: 'x'.repeat(MAX_REQUEST_JSON_BYTES + 1) });
  return out;
}

test('oversized payloads on every channel get a short invalid_request naming the payload; the service never sees them', async () => {
  const calls: string[] = [];
  const dispatch = createDispatcher(fakeApi(calls));
  for (const channel of CHANNEL_NAMES) {
    for (const payload of oversized(channel, REQUESTS[channel])) {
      const reply = await dispatch(channel, payload);
      assert.equal(reply.ok, false, `${channel} accepted an oversized payload`);
      if (reply.ok) continue;
      assert.equal(reply.error.code, 'invalid_request', `${channel}: ${reply.error.message}`);
      assert.equal(reply.error.field, 'payload');
      assert.match(
        reply.error.message,
        new RegExp(`^${channel}: the payload (has more than|is larger than|nests deeper)`),
      );
      assert.ok(JSON.stringify(reply).length < 1000, `${channel}: a ${JSON.stringify(reply).length}-char reply`);
    }
  }
  assert.deepEqual(calls, [], 'no oversized request reached the service');
  // The host still answers, on every channel.
  for (const channel of CHANNEL_NAMES) {
    const r = await dispatch(channel, REQUESTS[channel]);
    assert.ok(r.ok, `${channel}: ${JSON.stringify(r)}`);
  }
});

test("the issue's reproduction, small: many unknown keys give a short reply, not one listing every key", async () => {
  const calls: string[] = [];
  const dispatch = createDispatcher(fakeApi(calls));
  // 200 k keys (the issue had 2 M): refused by count before zod.
  const big = await dispatch('runs:list', manyKeys(200_000));
  assert.ok(!big.ok);
  assert.deepEqual([big.error.code, big.error.field], ['invalid_request', 'payload']);
  assert.ok(big.error.message.length <= MAX_ERROR_MESSAGE_CHARS);
  // Under the count, zod lists the unknown keys: the reply is still cut to one bounded line.
  const under = await dispatch('runs:get', { runId: 'r1', ...manyKeys(MAX_REQUEST_ENTRIES - 10) });
  assert.ok(!under.ok);
  assert.equal(under.error.code, 'invalid_request');
  assert.match(under.error.message, /^runs:get: payload: Unrecognized keys: "unknown0"/);
  assert.ok(under.error.message.length <= MAX_ERROR_MESSAGE_CHARS, `${under.error.message.length} chars`);
  assert.ok(!under.error.message.includes('\n'));
  // A thrown service error is bounded the same way.
  const api = fakeApi([]);
  api.listRuns = async () => {
    throw Object.assign(new Error(`line one\n${'y'.repeat(100_000)}`), { code: 'conflict' });
  };
  const thrown = await createDispatcher(api)('runs:list', {});
  assert.ok(!thrown.ok);
  assert.equal(thrown.error.code, 'conflict');
  assert.ok(thrown.error.message.length <= MAX_ERROR_MESSAGE_CHARS && !thrown.error.message.includes('\n'));
  assert.deepEqual(calls, []);
  assert.ok((await dispatch('runs:list', {})).ok);
});

test('web mode: oversized frames are refused at the transport with the caller id; the host keeps answering', async () => {
  const host = await startHost({ api: fakeApi([]), events: new EventHub(), staticDir: null });
  const raw = new WebSocket(host.wsUrl);
  const replies: Record<string, unknown>[] = [];
  raw.on('message', (d, bin) => {
    if (!bin) replies.push(JSON.parse(d.toString()));
  });
  await new Promise((r) => raw.once('open', r));
  const next = async (n: number) => {
    while (replies.length < n) await new Promise((r) => setTimeout(r, 10));
    return replies[n - 1] as { id: unknown; ok: boolean; e?: { code: string; message: string } };
  };
  try {
    await next(1); // hello
    // A JSON text frame over 1 MiB (here 2 MiB of unknown keys) is refused before JSON.parse, id kept.
    const text = JSON.stringify({ t: 'req', id: 7, ch: 'runs:list', p: manyKeys(120_000) });
    assert.ok(text.length > MAX_REQUEST_JSON_BYTES);
    raw.send(text);
    const r1 = await next(2);
    assert.equal(r1.id, 7);
    assert.equal(r1.e?.code, 'malformed');
    assert.match(r1.e!.message, /exceeds the limit of 1048576/);
    assert.ok(JSON.stringify(r1).length < 1000);
    // Under the frame limit but over the channel's budget: the dispatcher's reply.
    raw.send(JSON.stringify({ t: 'req', id: 8, ch: 'runs:list', p: manyKeys(MAX_REQUEST_ENTRIES + 1) }));
    const r2 = await next(3);
    assert.deepEqual([r2.id, r2.e?.code], [8, 'invalid_request']);
    raw.send(JSON.stringify({ t: 'req', id: 9, ch: 'runs:list', p: {} }));
    assert.deepEqual([(await next(4)).id, (await next(4)).ok], [9, true]);
    // Above the hard cap the socket is closed (ws: 1009) — and other connections are still served.
    const closed = new Promise<number>((r) => raw.once('close', (code) => r(code)));
    raw.send(new Uint8Array(MAX_REQUEST_BYTES + 1));
    assert.equal(await closed, 1009);
    const client = await connectWebSocket(host.wsUrl, { WebSocket: WebSocket as unknown as SocketCtor });
    try {
      assert.deepEqual(await client.listRuns(), REPLIES['runs:list']);
      // The client refuses a request the host would close the socket for, instead of losing the connection.
      const tooBig = encodeMessage({ p: new Uint8Array(MAX_REQUEST_BYTES) });
      assert.ok(typeof tooBig !== 'string' && tooBig.byteLength > MAX_REQUEST_BYTES);
      await assert.rejects(
        client.exportStrip({
          source: { kind: 'frames', frames: { shape: [1, 1, 1, 3], data: new Uint8Array(MAX_REQUEST_BYTES) } },
          format: 'png',
        }),
        /exceeds the host's limit/,
      );
      assert.deepEqual(await client.listRuns(), REPLIES['runs:list'], 'the connection survived');
    } finally {
      client.close();
    }
  } finally {
    raw.terminate();
    await host.close();
  }
});

test('binary frames: a header over the JSON limit is refused with the caller id', async () => {
  const host = await startHost({ api: fakeApi([]), events: new EventHub(), staticDir: null });
  const raw = new WebSocket(host.wsUrl);
  const replies: Envelope<unknown>[] = [];
  raw.on('message', (d, bin) => {
    if (!bin) replies.push(JSON.parse(d.toString()));
  });
  await new Promise((r) => raw.once('open', r));
  try {
    const frame = encodeMessage({
      t: 'req',
      id: 11,
      ch: 'runs:list',
      p: { ...manyKeys(100_000), b: new Uint8Array(1) },
    });
    assert.ok(typeof frame !== 'string');
    raw.send(frame);
    while (replies.length < 2) await new Promise((r) => setTimeout(r, 10));
    const r = replies[1] as unknown as { id: number; e: { code: string; message: string } };
    assert.deepEqual([r.id, r.e.code], [11, 'malformed']);
    assert.match(r.e.message, /header of \d+ bytes exceeds the limit/);
  } finally {
    raw.terminate();
    await host.close();
  }
});
