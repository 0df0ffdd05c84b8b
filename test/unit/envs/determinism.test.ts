import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listEnvs, makeEnv } from '../../../core/envs/registry.ts';
import { Rng } from '../../../core/util/rng.ts';
import type { Env } from '../../../core/envs/types.ts';

function rollout(env: Env, seed: number, steps: number) {
  const rng = new Rng(1234); // the same action sequence for every seed
  const sp = env.actionSpace;
  const frames: Uint8Array[] = [env.reset(seed).image];
  const rewards: number[] = [];
  for (let t = 0; t < steps; t++) {
    const a = sp.kind === 'discrete' ? rng.int(sp.n) : sp.low.map((lo, i) => rng.uniform(lo, sp.high[i]));
    const r = env.step(a);
    frames.push(r.obs.image);
    rewards.push(r.reward);
    if (r.terminated || r.truncated) break;
  }
  return { frames, rewards };
}

for (const spec of listEnvs()) {
  test(`${spec.name}: same seed → identical frames and rewards over 100 random steps; other seeds differ`, () => {
    // maxSteps 100: envs with shorter episodes (point-goals: 50) run the whole comparison too.
    const opts = { actionRepeat: 1, maxSteps: 100 };
    const a = rollout(makeEnv(spec.name, opts), 42, 100);
    const env = makeEnv(spec.name, opts);
    const b = rollout(env, 42, 100);
    assert.equal(a.frames.length, 101);
    assert.deepEqual(a.rewards, b.rewards);
    for (let t = 0; t < a.frames.length; t++) assert.deepEqual(a.frames[t], b.frames[t], `frame ${t}`);
    // Re-using the same env object after reset gives the same episode again.
    const c = rollout(env, 42, 100);
    assert.deepEqual(c.rewards, a.rewards);
    assert.deepEqual(c.frames[100], a.frames[100]);
    // A different seed gives a different episode (start state/track/spawn).
    const d = rollout(makeEnv(spec.name, opts), 43, 100);
    const differs = d.frames.some((f, t) => Buffer.compare(Buffer.from(f), Buffer.from(a.frames[t])) !== 0);
    assert.ok(differs, 'seed 43 differs from seed 42');
  });
}
