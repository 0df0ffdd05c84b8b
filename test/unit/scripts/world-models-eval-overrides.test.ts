import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('the small preset dreams at τ 1.5 (measured on car-racing, README), the paper presets at 1.0', () => {
  assert.equal(resolveWorldModelsConfig('small').controller.temperature, 1.5);
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

test('eval:world-models --override deep-merges over the script’s own overrides (M’s width), keeping the rest', () => {
  const base = { collectSteps: 250, evalEpisodes: 10, generations: 40 };
  const c = resolveWorldModelsConfig(
    'small',
    worldModelsEvalOverrides({ ...base, override: { rnn: { hidden: 256 }, controller: { workers: 1 } } }),
  );
  assert.equal(c.rnn.hidden, 256);
  assert.equal(c.controller.workers, 1, 'the override wins over the script’s own value');
  // The script's own overrides and the preset's other fields survive the merge.
  assert.equal(c.rnn.steps, resolveWorldModelsConfig('small').rnn.steps);
  assert.equal(c.rnn.seqLen, resolveWorldModelsConfig('small').rnn.seqLen);
  assert.deepEqual(
    [c.controller.enabled, c.controller.generations, c.controller.dreamLength, c.controller.evalEpisodes],
    [true, 40, 250, 10],
  );
  assert.throws(
    () =>
      worldModelsEvalOverrides({ ...base, override: JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown> }),
    /^UserError: --override: config key '__proto__'/,
  );
});

test('eval:world-models refuses a bad --override in one line with exit code 2, before collecting any episode', () => {
  for (const [bad, want] of [
    ['{"rnn":{"hidden":0}}', /^eval:world-models: --override: invalid world-models config .*rnn\.hidden/],
    ['{"rnn":{"hiden":256}}', /^eval:world-models: --override: .*rnn\.hiden: unknown field/],
    ['{"rnn":', /^eval:world-models: --override must be a JSON object/],
    ['{"__proto__":{"x":1}}', /^eval:world-models: --override: config key '__proto__'/],
  ] as const) {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-wm-gate-flags-'));
    try {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'scripts/eval-world-models.ts', '--preset', 'small', '--workspace', ws, '--override', bad],
        { encoding: 'utf8', env: { ...process.env, ONEIRO_WASM_THREADS: '1' }, timeout: 60_000 },
      );
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, want);
      assert.equal(existsSync(join(ws, 'datasets')), false, `${bad}: nothing collected`);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }
});
