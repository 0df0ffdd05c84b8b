import { parentPort, workerData } from 'node:worker_threads';
import { dreamReturn, type ActionSpec, type DreamStart, type MdnWeights } from './dream-kernel.ts';

/** Worker body: holds the dream (MDN-RNN weights, start latents) and scores controller candidates. */
interface Init {
  weights: MdnWeights;
  spec: ActionSpec;
  start: DreamStart;
  length: number;
  temperature: number;
}
interface Job {
  id: number;
  theta: Float64Array;
  seeds: number[];
}

const init = workerData as Init;
parentPort!.on('message', (job: Job) => {
  let sum = 0;
  for (const seed of job.seeds)
    sum += dreamReturn(init.weights, job.theta, init.spec, init.start, {
      length: init.length,
      temperature: init.temperature,
      seed,
    });
  parentPort!.postMessage({ id: job.id, value: sum / job.seeds.length });
});
