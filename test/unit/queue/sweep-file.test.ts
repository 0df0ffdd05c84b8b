import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSweep, readSweepFile, sweepPoints } from '../../../core/queue/sweep.ts';
import { parseQueueUrl, queueUrlFrom, redact } from '../../../core/queue/connection.ts';
import { collectWorkspace } from '../../integration/world-models-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'oneiro-sweepfile-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('grid × seeds: every combination in file order, each with every seed', () => {
  const s = readSweepFile(
    file(
      'g.yaml',
      'family: world-models\npreset: debug\ndataset: d\nseeds: [0, 1]\ngrid:\n  vae.zDim: [8, 16]\n  rnn.hidden: [16, 32]\n',
    ),
  );
  const pts = sweepPoints(s);
  assert.equal(pts.length, 8);
  assert.deepEqual(pts.slice(0, 3), [
    { seed: 0, fields: { 'vae.zDim': 8, 'rnn.hidden': 16 } },
    { seed: 1, fields: { 'vae.zDim': 8, 'rnn.hidden': 16 } },
    { seed: 0, fields: { 'vae.zDim': 8, 'rnn.hidden': 32 } },
  ]);
});

test('random: samples within the range (log-uniform), choices from the list, reproducible by seed', () => {
  const text =
    '{"family":"world-models","preset":"debug","dataset":"d","random":{"samples":50,"seed":3,"fields":{"vae.lr":{"min":1e-4,"max":1e-2,"log":true},"rnn.hidden":[16,32]}}}';
  const a = sweepPoints(readSweepFile(file('r.json', text)));
  const b = sweepPoints(readSweepFile(file('r2.json', text)));
  assert.deepEqual(a, b);
  assert.equal(a.length, 50);
  for (const p of a) {
    const lr = p.fields['vae.lr'] as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-2);
    assert.ok([16, 32].includes(p.fields['rnn.hidden'] as number));
  }
  // Log-uniform: about half the samples fall below the geometric midpoint 1e-3.
  const below = a.filter((p) => (p.fields['vae.lr'] as number) < 1e-3).length;
  assert.ok(below > 10 && below < 40, `${below} of 50 below 1e-3`);
});

test('bad sweep files get one-line errors naming the field', async () => {
  const { workspace, dataset } = collectWorkspace({ env: 'cartpole-swingup', episodes: 2, size: 32, maxSteps: 20 });
  const cases: [string, string, RegExp][] = [
    ['nofam.yaml', 'preset: debug\ndataset: d\n', /nofam\.yaml: family: /],
    [
      'both.yaml',
      'family: world-models\npreset: debug\ndataset: d\nenv: cartpole-swingup\n',
      /: dataset: give exactly one of dataset/,
    ],
    [
      'grid.yaml',
      'family: world-models\npreset: debug\ndataset: d\ngrid:\n  vae.zDim: []\n',
      /: grid\.vae\.zDim: expected a non-empty list/,
    ],
    ['seeds.yaml', 'family: world-models\npreset: debug\ndataset: d\nseeds: [-1]\n', /: seeds\.0: /],
    ['extra.yaml', 'family: world-models\npreset: debug\ndataset: d\nsteeps: 3\n', /steeps/],
    ['yaml.yaml', 'family: [world-models\n', /is not valid YAML/],
    ['json.json', '{"family": ', /is not valid JSON/],
    [
      'proto.json',
      '{"family":"world-models","preset":"debug","dataset":"d","overrides":{"__proto__":{"x":1}}}',
      /__proto__/,
    ],
  ];
  for (const [name, text, re] of cases) {
    assert.throws(
      () => readSweepFile(file(name, text)),
      (e: Error) => {
        assert.match(e.message, re, name);
        assert.equal(e.message.includes('\n'), false, `${name}: one line`);
        return e.name === 'UserError';
      },
    );
  }
  // Checked against the family and the workspace before anything is created.
  const plan = async (name: string, text: string) => {
    const p = file(name, text);
    return planSweep(workspace, p, readSweepFile(p));
  };
  await assert.rejects(plan('fam.yaml', 'family: nope\npreset: debug\ndataset: d\n'), /fam\.yaml: family: .*nope/);
  await assert.rejects(
    plan('pre.yaml', `family: world-models\npreset: huge\ndataset: ${dataset}\n`),
    /preset: 'huge' is not a world-models preset/,
  );
  await assert.rejects(
    plan('ds.yaml', 'family: world-models\npreset: debug\ndataset: missing\n'),
    /dataset: no dataset 'missing'/,
  );
  await assert.rejects(
    plan('field.yaml', `family: world-models\npreset: debug\ndataset: ${dataset}\ngrid:\n  vae.zDimm: [8]\n`),
    /zDimm/,
  );
  await assert.rejects(
    plan('value.yaml', `family: world-models\npreset: debug\ndataset: ${dataset}\ngrid:\n  vae.zDim: [-3]\n`),
    /vae\.zDim/,
  );
  assert.equal(
    (await plan('ok.yaml', `family: world-models\npreset: debug\ndataset: ${dataset}\nseeds: [0, 1]\n`)).length,
    2,
  );
});

test('queue URLs: redis and rediss (TLS), credentials from the URL or the environment, never displayed', () => {
  const a = parseQueueUrl('redis://alice:s3cr%40t@10.0.0.5:6380/2', {});
  assert.deepEqual(
    {
      host: a.connection.host,
      port: a.connection.port,
      db: a.connection.db,
      user: a.connection.username,
      pw: a.connection.password,
    },
    { host: '10.0.0.5', port: 6380, db: 2, user: 'alice', pw: 's3cr@t' },
  );
  assert.equal(a.tls, false);
  assert.equal(a.connection.tls, undefined);
  assert.equal(a.display, 'redis://10.0.0.5:6380/2');
  assert.equal(
    redact('auth failed for redis://alice:s3cr%40t@10.0.0.5 with s3cr@t', a.secrets).includes('s3cr'),
    false,
  );
  const t = parseQueueUrl('rediss://gpu-box.lan', { ONEIRO_QUEUE_PASSWORD: 'envpw' });
  assert.equal(t.tls, true);
  assert.deepEqual(t.connection.tls, { servername: 'gpu-box.lan' });
  assert.equal(t.connection.port, 6379);
  assert.equal(t.connection.password, 'envpw');
  assert.equal(queueUrlFrom(undefined, { ONEIRO_QUEUE: 'redis://h:1' }), 'redis://h:1');
  assert.throws(() => queueUrlFrom(undefined, {}), /no job queue: give --queue/);
  assert.throws(
    () => parseQueueUrl('http://h:1', {}),
    /scheme 'http:' is not supported: expected redis:\/\/ or rediss:\/\//,
  );
  assert.throws(() => parseQueueUrl('not a url', {}), /not a URL/);
  assert.throws(() => parseQueueUrl('redis://h:1/x', {}), /database 'x'/);
  assert.throws(
    () => parseQueueUrl('rediss://h:1', { ONEIRO_QUEUE_CA: '/nonexistent/ca.pem' }),
    /ONEIRO_QUEUE_CA=.* cannot be read/,
  );
});
