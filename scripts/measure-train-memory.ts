/**
 * Calibration of the training-memory estimate (core/models/memory.ts): trains a few steps of one
 * config on the wasm backend and prints the wasm heap (which only grows, so it is the peak) beside
 * the estimate's parameter and activation counts.
 *   node --import tsx scripts/measure-train-memory.ts rssm debug '{"train":{"batch":32}}' [steps]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../core/tensor/backend.ts';
import { wasmHeapBytes } from '../core/tensor/memory-limit.ts';
import { getFamily } from '../core/models/registry.ts';
import { estimateBytes } from '../core/models/memory.ts';
import { makeEnv } from '../core/envs/registry.ts';
import { makePolicy } from '../core/agents/random-agents.ts';
import { rolloutEpisode } from '../core/agents/rollout.ts';
import { Rng } from '../core/util/rng.ts';
import type { Space } from '../core/envs/types.ts';

const [familyName = 'rssm', preset = 'debug', overridesJson = '{}', stepsArg = '3'] = process.argv.slice(2);
await initBackend('wasm');
const family = await getFamily(familyName);
const config = family.resolveConfig(preset, JSON.parse(overridesJson));
const est = family.estimateMemory(config);
const size =
  (config as { image?: { size: number } }).image?.size ??
  (config as { model?: { imageSize: number } }).model?.imageSize ??
  (config as { vae: { imageSize: number } }).vae.imageSize;
// The object-graph family splits a discrete action across its slots: measured on shapes-2d (C-SWM's env).
const envName = familyName === 'object-graph' ? 'shapes-2d' : 'car-racing';
const env = makeEnv(envName, { size, maxSteps: 80 });
const rng = new Rng(1);
const policy = makePolicy('random', env.actionSpace, rng);
const episodes = [0, 1, 2, 3].map((i) => rolloutEpisode(env, policy, i).episode);
const space = env.actionSpace as Space;
const heap0 = wasmHeapBytes();
const session = await family.createSession({
  config,
  seed: 0,
  data: {
    dataset: null,
    env: envName,
    actionSpace: space,
    imageSize: size,
    train: episodes.slice(0, 3),
    heldOut: episodes.slice(3),
  },
  runDir: null,
  log: () => {},
});
const signal = new AbortController().signal;
const phase = est.phase;
const spec = session.phases.find((p) => p.name === phase)!;
await session.beginPhase(spec.name, signal);
const heapInit = wasmHeapBytes();
const steps = Number(stepsArg);
let peakTensorBytes = 0;
const stepSeconds: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const prof = await tf.profile(async () => {
    await session.step({ phase, step: i, globalStep: i, rng: new Rng(i), poison: false, signal });
  });
  stepSeconds.push((performance.now() - t0) / 1e3);
  peakTensorBytes = Math.max(peakTensorBytes, prof.peakBytes);
  // One line per step on stderr, so a long run can be followed (the JSON summary comes at the end).
  console.error(`step ${i}: ${stepSeconds[i].toFixed(1)} s, heap ${(wasmHeapBytes()! / 2 ** 20).toFixed(0)} MiB`);
}
const sorted = [...stepSeconds].sort((a, b) => a - b);
const heap = wasmHeapBytes()!;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
console.log(
  JSON.stringify({
    family: familyName,
    preset,
    overrides: JSON.parse(overridesJson),
    phase,
    shape: est.shape,
    params: est.params,
    activations: est.activations,
    paramBytesWithAdam: mib(16 * est.params),
    activationBytes: mib(4 * est.activations),
    heapBeforeModel: heap0 && mib(heap0),
    heapAfterInit: heapInit && mib(heapInit),
    heapAfterSteps: mib(heap),
    peakTensorBytes: mib(peakTensorBytes),
    estimate: mib(estimateBytes(est)),
    ratioHeapActivations: ((heap - (heap0 ?? 0) - 16 * est.params) / (4 * est.activations)).toFixed(2),
    ratioPeakTensorActivations: (peakTensorBytes / (4 * est.activations)).toFixed(2),
    steps,
    // The first step also warms up kernels; the median is the steady state.
    secondsPerStepMedian: sorted[Math.floor(sorted.length / 2)].toFixed(1),
    secondsFirstStep: stepSeconds[0].toFixed(1),
    // maxRSS is in KiB (node's process.resourceUsage): the process's peak resident set, heap included.
    peakRss: mib(process.resourceUsage().maxRSS * 1024),
  }),
);
session.dispose();
