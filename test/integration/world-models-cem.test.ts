/**
 * World Models × CEM (issue 13): `oneiro train --model world-models --behavior cem` trains the VAE and the
 * MDN-RNN (no controller phase), and the run's agent is PlaNet's planner over the latent view, acting in the env.
 * Online World Models is refused in one line naming the family that trains online.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../core/tensor/backend.ts';
import { loadRunAgent } from '../../core/runs/load-agent.ts';
import { scoreInEnv } from '../../core/runs/agent-session.ts';
import { readMetrics } from '../../core/runs/metrics.ts';
import { collectWorkspace } from './world-models-fixture.ts';

const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const cli = (ws: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8' });

let ws: { workspace: string; dataset: string };
before(async () => {
  await initBackend('wasm');
  ws = collectWorkspace({ env: 'cartpole-swingup', episodes: 4, size: 32, seed: 3, maxSteps: 40 });
});
after(() => rmSync(ws.workspace, { recursive: true, force: true }));

test(
  'world-models --behavior cem: trains V and M only, then the CEM planner acts in the env',
  { timeout: 300_000 },
  async () => {
    const r = cli(
      ws.workspace,
      'train',
      '--model',
      'world-models',
      '--behavior',
      'cem',
      '--preset',
      'debug',
      '--dataset',
      ws.dataset,
      '--steps',
      '10',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.state, 'completed');
    const runDir = join(ws.workspace, 'runs', out.run);
    const phases = new Set(readMetrics(runDir).map((m) => m.phase));
    assert.deepEqual([...phases].sort(), ['rnn', 'vae'], 'no CMA-ES controller phase with the planner');

    const agent = await loadRunAgent(runDir, { backend: 'wasm' });
    try {
      assert.equal(agent.settings.behavior, 'cem');
      assert.equal(agent.behavior.kind, 'cem');
      assert.equal(agent.env, 'cartpole-swingup');
      const before = tf.memory().numTensors;
      const s = scoreInEnv('cartpole-swingup', { size: 32, maxSteps: 6 }, agent.wm, agent.behavior, 1, 11);
      assert.equal(s.agentReturns.length, 1);
      assert.ok(Number.isFinite(s.agent), `the planner acted for an episode (return ${s.agent})`);
      assert.equal(tf.memory().numTensors, before, 'acting frees its tensors');
    } finally {
      agent.dispose();
    }
  },
);

test('world-models refuses online training and a behaviour it does not host, in one line each', () => {
  let r = cli(
    ws.workspace,
    'train',
    '--model',
    'world-models',
    '--behavior',
    'cem',
    '--env',
    'cartpole-swingup',
    '--online',
  );
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not supported by this family \(rssm trains online\)/);
  r = cli(ws.workspace, 'train', '--model', 'world-models', '--behavior', 'actor-critic', '--dataset', ws.dataset);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /behavior/);
  assert.match(r.stderr, /controller/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(readdirSync(join(ws.workspace, 'runs')).length, 1, 'refused runs leave no run folder');
});
