import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import {
  GATE_EPISODES,
  gateActionRepeat,
  gateCollectSteps,
  worldModelsEvalOverrides,
} from '../../../scripts/world-models-eval-overrides.ts';

test('eval:world-models trains the preset it names: steps, generations, population and τ are the preset’s unless a flag gives them', () => {
  const base = { dreamSteps: 300, collectSteps: 250, evalEpisodes: 5 };
  for (const preset of ['small', 'debug'] as const) {
    const want = resolveWorldModelsConfig(preset);
    const got = resolveWorldModelsConfig(preset, worldModelsEvalOverrides(base));
    assert.equal(got.vae.steps, want.vae.steps, `${preset} vae steps`);
    assert.equal(got.rnn.steps, want.rnn.steps, `${preset} rnn steps`);
    assert.equal(got.controller.generations, want.controller.generations, `${preset} generations`);
    assert.equal(got.controller.population, want.controller.population, `${preset} population`);
    assert.equal(got.controller.temperature, want.controller.temperature, `${preset} τ`);
    assert.equal(got.controller.dreamLength, 300);
    assert.equal(got.controller.evalEpisodes, 5);
    assert.equal(got.controller.enabled, true);
  }
  const given = resolveWorldModelsConfig(
    'small',
    worldModelsEvalOverrides({
      ...base,
      vaeSteps: 500,
      rnnSteps: 400,
      generations: 7,
      population: 9,
      temperature: 1.15,
    }),
  );
  assert.deepEqual(
    [given.vae.steps, given.rnn.steps, given.controller.generations, given.controller.population],
    [500, 400, 7, 9],
  );
  assert.equal(given.controller.temperature, 1.15);
});

test('eval:world-models dreams as long as the collected episodes unless --dream-steps is given', () => {
  const c = resolveWorldModelsConfig('small', worldModelsEvalOverrides({ collectSteps: 300, evalEpisodes: 5 }));
  assert.equal(c.controller.dreamLength, 300);
  const long = resolveWorldModelsConfig(
    'small',
    worldModelsEvalOverrides({ dreamSteps: 1000, collectSteps: 300, evalEpisodes: 5 }),
  );
  assert.equal(long.controller.dreamLength, 1000);
});

test('the small preset dreams at τ 1.15 (the WMx Doom article’s best real-env score), the paper presets at 1.0', () => {
  assert.equal(resolveWorldModelsConfig('small').controller.temperature, 1.15);
  assert.equal(resolveWorldModelsConfig('default').controller.temperature, 1.0);
});

test('eval:world-models acts at repeat 4 on car-racing (a departure from WMx) and at the env’s own repeat elsewhere', () => {
  assert.equal(gateActionRepeat('car-racing'), 4);
  assert.equal(gateActionRepeat('cartpole-swingup'), 8);
  assert.equal(gateActionRepeat('pendulum-swingup'), 2);
  // 300-step episodes, or the whole episode when it is shorter (car-racing at repeat 4: 250 steps = 1000 frames).
  assert.equal(gateCollectSteps(250), 250);
  assert.equal(gateCollectSteps(1000), 300);
});

test('eval:world-models collects 100 episodes per seed by default (24 left the repeat-4 dream paying circling)', () => {
  assert.equal(GATE_EPISODES, 100);
});

test("eval:world-models refuses an unknown --env, '__proto__' included, in one line naming the choices, exit code 2", () => {
  // Object's own keys must not pass for a gate repeat: the registry names them unknown.
  for (const name of ['__proto__', 'constructor']) assert.throws(() => gateActionRepeat(name), /unknown environment/);
  for (const env of ['pong', '__proto__']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/eval-world-models.ts', '--env', env], {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_WASM_THREADS: '1' },
    });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^eval:world-models: --env must be one of car-racing, .*, got '${env}'$`));
  }
});
