import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from '../../../core/bench/suites/envs.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('oneiro envs --json lists every env with doc, spaces and defaults; unknown names fail clearly', () => {
  const r = spawnSync(process.execPath, ['bin/oneiro.mjs', 'envs', '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const list = JSON.parse(r.stdout) as {
    name: string;
    doc: string;
    actionSpace: { kind: string };
    observation: { image: number[]; state: number };
    defaults: { maxSteps: number };
  }[];
  const names = list.map((e) => e.name);
  for (const n of ['car-racing', 'cartpole-swingup', 'pendulum-swingup', 'shapes-2d', 'pinpad-three'])
    assert.ok(names.includes(n), n);
  const shapes = list.find((e) => e.name === 'shapes-2d')!;
  assert.deepEqual(shapes.observation.image, [50, 50, 3]);
  assert.deepEqual(shapes.actionSpace, { kind: 'discrete', n: 20 });
  assert.equal(shapes.defaults.maxSteps, 100);
  const text = spawnSync(process.execPath, ['bin/oneiro.mjs', 'envs', 'pinpad'], { cwd: root, encoding: 'utf8' });
  assert.equal(text.status, 0);
  assert.match(text.stdout, /pinpad-three/);
  assert.match(text.stdout, /discrete\(5\)/);
  const bad = spawnSync(process.execPath, ['bin/oneiro.mjs', 'envs', 'nope'], { cwd: root, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown environment 'nope'.*car-racing/);
});

test('bench suite: one env-<name> row per built-in in steps/s', async () => {
  const logs: string[] = [];
  const rows = await run({
    backends: ['cpu'],
    steps: 10,
    quick: true,
    useBackend: async () => {},
    log: (m) => logs.push(m),
  });
  assert.deepEqual(
    rows.map((r) => r.name),
    ['env-car-racing', 'env-cartpole-swingup', 'env-pendulum-swingup', 'env-shapes-2d', 'env-pinpad-three'],
  );
  for (const r of rows) {
    assert.equal(r.unit, 'steps/s');
    assert.ok(Number.isFinite(r.median) && r.median > 0, `${r.name} ${r.median}`);
    assert.match(r.note!, /quick/);
  }
  assert.equal(logs.length, 5);
});
