import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { rmSync } from 'node:fs';
import { initBackend } from '../../core/tensor/backend.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { openDataset, readEpisode } from '../../core/data/dataset.ts';
import { openRunPolicy } from '../../core/runs/run-policy.ts';
import { oneiroInProcess } from './cli-in-process.ts';
import { collectWorkspace, TINY_CONTROLLER } from './world-models-fixture.ts';

// `oneiro collect --policy run:RUN[@STEP]` (core/runs/run-policy.ts): a trained run's agent collects into a dataset,
// in its env as its data was collected. World Models' controller is deterministic, so replaying a collected
// episode's frames through the run's agent must give back the episode's actions exactly.
process.env.ONEIRO_BACKEND ??= 'wasm';
let ws: { workspace: string; dataset: string };
const RUN = 'wm-agent';
const CEM = 'wm-cem';
const tiny = {
  vae: { steps: 3, batch: 4 },
  rnn: { steps: 3, batch: 2, seqLen: 4 },
};

before(async () => {
  await initBackend();
  // 48 px frames under a 32 px model (the debug VAE's): the agent collects at the dataset's size and resizes.
  ws = collectWorkspace({ env: 'cartpole-swingup', episodes: 4, size: 48, maxSteps: 20, seed: 3 });
  for (const [id, overrides] of [
    [RUN, { ...tiny, controller: TINY_CONTROLLER }],
    [CEM, { ...tiny, behavior: 'cem', controller: { enabled: false } }],
  ] as const) {
    const r = await createRun({
      workspace: ws.workspace,
      family: 'world-models',
      preset: 'debug',
      dataset: ws.dataset,
      seed: 1,
      overrides,
      id,
      train: { logEvery: 1, checkpointEvery: 100 },
    });
    assert.equal((await trainRun(r.dir, { log: () => {}, tensorboard: false })).state, 'completed');
  }
});

after(() => rmSync(ws.workspace, { recursive: true, force: true }));

const oneiro = (...args: string[]) => oneiroInProcess(ws.workspace, ...args);
const runsOf = (name: string) => openDataset(ws.workspace, name).meta.source.runs as Record<string, unknown>[];

test("collect --policy run:RUN appends episodes acted by the run's trained controller, and records which", async () => {
  const before = openDataset(ws.workspace, ws.dataset).meta.episodes.length;
  const r = await oneiro(
    'collect',
    '--policy',
    `run:${RUN}`,
    '--episodes',
    '2',
    '--dataset',
    ws.dataset,
    '--max-steps',
    '12',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`with the controller agent of run:${RUN}@\\d+ into dataset '${ws.dataset}'`));
  const ds = openDataset(ws.workspace, ws.dataset);
  assert.equal(ds.meta.episodes.length, before + 2, "into the run's own dataset: same env, frame size and actions");
  const rec = runsOf(ws.dataset).at(-1)!;
  assert.match(String(rec.policy), new RegExp(`^run:${RUN}@\\d+$`));
  assert.equal(rec.behavior, 'controller');
  assert.equal(rec.noise, 0);
  assert.equal(rec.size, 48, "the dataset's frame size, not the model's 32");

  // Its actions are the controller's on its own frames: a fresh agent of the run, fed the episode, acts the same.
  const policy = await openRunPolicy(`${ws.workspace}/runs/${RUN}`);
  const tensors = tf.memory().numTensors;
  try {
    for (const i of [before, before + 1]) {
      const ep = readEpisode(ds, i);
      const [T, H, W] = ep.imageShape;
      const A = ep.action.length / T;
      const agent = policy.agent(123, H, 0);
      try {
        for (let t = 0; t + 1 < T; t++) {
          const image = ep.image.subarray(t * H * W * 3, (t + 1) * H * W * 3);
          const a = agent.act({ image } as Parameters<typeof agent.act>[0]);
          // Row t + 1 holds the action taken on frame t (the Dreamer layout).
          assert.deepEqual(
            Array.from(a),
            Array.from(ep.action.subarray((t + 1) * A, (t + 2) * A)),
            `episode ${i} step ${t}`,
          );
        }
      } finally {
        agent.dispose();
      }
    }
    assert.equal(tf.memory().numTensors, tensors, 'acting frees its tensors');
  } finally {
    policy.dispose();
  }
});

test('a run whose behaviour the config hosts (World Models × CEM) collects too, exploring with --noise, reproducibly', async () => {
  const collect = (name: string, ...more: string[]) =>
    oneiro(
      'collect',
      '--policy',
      `run:${CEM}`,
      '--episodes',
      '1',
      '--dataset',
      name,
      '--max-steps',
      '6',
      '--seed',
      '5',
      ...more,
    );
  for (const name of ['cem-a', 'cem-b']) assert.equal((await collect(name, '--noise', '0.3')).code, 0);
  assert.equal((await collect('cem-still')).code, 0);
  const actions = (name: string) => Array.from(readEpisode(openDataset(ws.workspace, name), 0).action);
  assert.deepEqual(actions('cem-a'), actions('cem-b'), 'the same seed collects the same episode');
  assert.notDeepEqual(actions('cem-a'), actions('cem-still'), 'noise 0.3 changes what the agent does');
  assert.equal(runsOf('cem-a')[0].behavior, 'cem');
  assert.equal(runsOf('cem-a')[0].noise, 0.3);
});

test('a run policy refuses, in one line, a flag its agent cannot act under, and writes nothing', async () => {
  const n = () => openDataset(ws.workspace, ws.dataset).meta.episodes.length;
  const count = n();
  const base = ['collect', '--episodes', '1', '--dataset', ws.dataset];
  const cases: [string[], RegExp][] = [
    [
      ['--policy', `run:${RUN}`, '--size', '16'],
      /--size 16: the agent of run:wm-agent@\d+ acts with size 48, as its data was collected/,
    ],
    [
      ['--policy', `run:${RUN}`, '--env', 'pendulum-swingup'],
      /--env pendulum-swingup: the agent of .* acts with env cartpole-swingup/,
    ],
    [
      ['--policy', `run:${RUN}`, '--action-repeat', '4'],
      /--action-repeat 4: the agent of .* acts with action-repeat 8/,
    ],
    [
      ['--policy', `run:${RUN}`, '--background', 'noise'],
      /--background noise: the agent of .* acts with background plain/,
    ],
    [['--policy', 'run:no-such-run'], /no run 'no-such-run'/],
    [['--policy', `run:${RUN}@999999`], /999999/],
    [['--policy', 'run:'], /--policy 'run:': expected run:RUN_ID or run:RUN_ID@STEP/],
    [['--policy', 'random', '--noise', '0.1'], /--noise explores with a trained agent: it goes with --policy run:RUN/],
    [['--policy', `run:${RUN}`, '--noise', '2'], /--noise must be a number in \[0, 1\], got '2'/],
  ];
  for (const [args, want] of cases) {
    const r = await oneiro(...base, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.equal(n(), count, 'no episode was added');
});
