import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getEnvSpec } from '../../../core/envs/registry.ts';
import { probeLayout, probeTargetNames } from '../../../core/runs/probe-targets.ts';
import { MEASURE_ENVS, PROBE_TARGETS } from '../../../scripts/eval-along.ts';

test('measure:small refuses an unknown --env in one line naming the choices, exit code 2', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/measure-small.ts', 'world-models', '--env', 'pong'],
    {
      encoding: 'utf8',
      env: { ...process.env, ONEIRO_WASM_THREADS: '1' },
    },
  );
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.equal(lines[0], "measure:small: --env must be one of cartpole-swingup, car-racing, got 'pong'");
});

test("every env's probe targets are variables the state probe reports for it (car-racing: the hull's offset from the track and its heading to it, as cos/sin)", () => {
  assert.deepEqual(MEASURE_ENVS, ['cartpole-swingup', 'car-racing']);
  for (const env of MEASURE_ENVS) {
    const spec = getEnvSpec(env);
    const reported = probeTargetNames(
      spec.stateNames!,
      probeLayout(spec.stateNames!, spec.stateAngles, spec.stateFromStart),
    );
    for (const k of PROBE_TARGETS[env]) assert.ok(reported.includes(k), `${env}: '${k}' not among ${reported}`);
  }
});
