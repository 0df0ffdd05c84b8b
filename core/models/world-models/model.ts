import type { Episode } from '../../data/episode.ts';
import { Rng } from '../../util/rng.ts';
import { actionDimOf, actionSpecOf } from '../controller-policy.ts';
import {
  filterStartOf,
  type EvalMetric,
  type FamilyCheckpoint,
  type FamilyContext,
  type LoadedModel,
  type OpenLoopFilter,
} from '../family.ts';
import { metricWithBaselines } from '../eval-metric.ts';
import { assignParams, disposeParams, type Params } from '../nn.ts';
import type { WorldModelsConfig } from './config.ts';
import { exportMdnWeights } from './controller.ts';
import { MdnCell, type MdnWeights } from './dream-kernel.ts';
import { WorldModelsLatentModel } from './latent-model.ts';
import { WorldModelDreamer } from './dream.ts';
import { initMdnRnn, LOG_SQRT_2PI } from './mdn-rnn.ts';
import { initVae } from './vae.ts';

/** Latent open-loop horizons reported by `oneiro eval` (issue 4), with 5 context frames (Dreamer's openl). */
export const EVAL_HORIZONS = [1, 5, 10, 20];
export const EVAL_CONTEXT = 5;
const STARTS_PER_EPISODE = 8;

export async function loadWorldModel(
  ctx: FamilyContext<WorldModelsConfig>,
  ck: FamilyCheckpoint,
): Promise<LoadedModel> {
  const c = ctx.config;
  const actionDim = actionDimOf(actionSpecOf(ctx.data.actionSpace, ctx.data.env));
  const rng = new Rng(0);
  const vae = initVae(c.vae, rng);
  const rnn = initMdnRnn(c.rnn, { zDim: c.vae.zDim, actionDim }, rng);
  assignParams(vae, ck.tensors);
  assignParams(rnn, ck.tensors);
  const weights = exportMdnWeights(rnn, c.rnn, c.vae.zDim, actionDim);
  const theta = ck.tensors['controller/theta'] ? Array.from(ck.tensors['controller/theta'].dataSync()) : null;
  return loadedWorldModel(ctx, vae, rnn, weights, theta);
}

/** Freshly initialised V and M of this config (the state probe's baseline). */
function randomWorldModel(ctx: FamilyContext<WorldModelsConfig>, seed: number): LoadedModel {
  const c = ctx.config;
  const actionDim = actionDimOf(actionSpecOf(ctx.data.actionSpace, ctx.data.env));
  const rng = new Rng(seed);
  const vae = initVae(c.vae, rng);
  const rnn = initMdnRnn(c.rnn, { zDim: c.vae.zDim, actionDim }, rng);
  const weights = exportMdnWeights(rnn, c.rnn, c.vae.zDim, actionDim);
  return loadedWorldModel(ctx, vae, rnn, weights, null);
}

function loadedWorldModel(
  ctx: FamilyContext<WorldModelsConfig>,
  vae: Params,
  rnn: Params,
  weights: MdnWeights,
  theta: number[] | null,
): LoadedModel {
  const c = ctx.config;
  const actionDim = weights.actionDim;
  const dreamer = new WorldModelDreamer(vae, c.vae, weights, ctx.data.actionSpace);
  const S = c.vae.imageSize;
  const Z = c.vae.zDim;
  let wm: WorldModelsLatentModel | null = null;

  /**
   * World-Models-specific held-out metrics: the MDN-RNN's teacher-forced NLL and reward error, and the latent
   * open loop. (Pixel errors with their baselines and the state probe: core/runs/evaluate.ts, every family.)
   */
  async function evaluate(
    episodes: Episode[],
    opts: { seed: number; trainEpisodes: Episode[]; filter?: OpenLoopFilter },
  ): Promise<Record<string, EvalMetric>> {
    const filter = opts.filter ?? 'episode';
    let trainRew = 0,
      trainN = 0;
    for (const ep of opts.trainEpisodes)
      for (let t = 1; t < ep.reward.length; t++) {
        trainRew += ep.reward[t];
        trainN++;
      }
    const meanReward = trainN ? trainRew / trainN : 0;
    let nll = 0,
      nllBase = 0,
      nllN = 0,
      rew = 0,
      rewBase = 0,
      nllShuf = 0,
      rewShuf = 0;
    const ol = EVAL_HORIZONS.map(() => ({ lat: 0, latBase: 0, n: 0 }));
    for (const ep of episodes) {
      const T = ep.imageShape[0];
      const f = dreamer.episodeFrames(ep);
      const mus = dreamer.encodeFrames(f, T);
      // Teacher-forced NLL of the next μ; baselines: the N(0, I) prior the VAE pulls latents towards, and the same
      // M fed the episode's actions shuffled in time (as good = M does not use its actions; issue 11).
      const cell = new MdnCell(weights);
      const shuf = new MdnCell(weights);
      const order = new Rng(opts.seed * 7919 + nllN).shuffle(Array.from({ length: T - 1 }, (_, t) => t + 1));
      for (let t = 0; t + 1 < T; t++) {
        const z = mus.subarray(t * Z, (t + 1) * Z);
        cell.step(z, ep.action.subarray((t + 1) * actionDim, (t + 2) * actionDim));
        shuf.step(z, ep.action.subarray(order[t] * actionDim, (order[t] + 1) * actionDim));
        const y = mus.subarray((t + 1) * Z, (t + 2) * Z);
        nll += cell.nll(y);
        nllShuf += shuf.nll(y);
        rewShuf += (shuf.reward() - ep.reward[t + 1]) ** 2;
        let b = 0;
        for (let d = 0; d < Z; d++) b += 0.5 * y[d] * y[d] + LOG_SQRT_2PI;
        nllBase += b / Z;
        rew += (cell.reward() - ep.reward[t + 1]) ** 2;
        rewBase += (meanReward - ep.reward[t + 1]) ** 2;
        nllN++;
      }
      const H = EVAL_HORIZONS[EVAL_HORIZONS.length - 1];
      const first = EVAL_CONTEXT - 1;
      const last = T - 1 - H;
      if (last < first) continue;
      const nStarts = Math.min(STARTS_PER_EPISODE, last - first + 1);
      for (let j = 0; j < nStarts; j++) {
        const start = first + Math.floor((j * (last - first)) / Math.max(1, nStarts - 1));
        const { dreamZ } = dreamer.openloopLatents(
          ep,
          f,
          {
            start,
            horizon: H,
            context: EVAL_CONTEXT,
            filterFrom: filterStartOf(filter, start),
            temperature: 0,
            seed: opts.seed,
          },
          mus,
        );
        EVAL_HORIZONS.forEach((k, i) => {
          const t = start + k;
          let le = 0,
            lb = 0;
          for (let d = 0; d < Z; d++) {
            le += (dreamZ[(k - 1) * Z + d] - mus[t * Z + d]) ** 2;
            lb += (mus[start * Z + d] - mus[t * Z + d]) ** 2;
          }
          ol[i].lat += le / Z;
          ol[i].latBase += lb / Z;
          ol[i].n++;
        });
      }
    }
    const out: Record<string, EvalMetric> = {
      rnn_nll: metricWithBaselines(nll / nllN, {
        'standard-normal': nllBase / nllN,
        'shuffled actions': nllShuf / nllN,
      }),
    };
    if (weights.rewardHead && nllN > 0)
      out.reward_mse = metricWithBaselines(rew / nllN, {
        'train-mean reward': rewBase / nllN,
        'shuffled actions': rewShuf / nllN,
      });
    EVAL_HORIZONS.forEach((k, i) => {
      if (!ol[i].n) return;
      out[`openloop_latent@${k}`] = {
        model: ol[i].lat / ol[i].n,
        baseline: ol[i].latBase / ol[i].n,
        baseline_name: 'copy-last-latent',
      };
    });
    return out;
  }

  return {
    imageSize: S,
    pixels: 'decoder',
    evaluate,
    openloop: async (ep, o) => dreamer.openloop(ep, o),
    dreamSession: (o) => dreamer.session(o),
    filterFeatures: (ep) => dreamer.filterFeatures(ep),
    reinitialized: async (seed) => randomWorldModel(ctx, seed),
    latent: () => (wm ??= new WorldModelsLatentModel(vae, c.vae, rnn, c.rnn, ctx.data.actionSpace)),
    // The controller's real-env score (`controller_return`) is the runner's: core/runs/evaluate.ts.
    trainedBehavior: () =>
      theta
        ? {
            kind: 'controller',
            theta,
            actions: actionSpecOf(ctx.data.actionSpace, ctx.data.env),
            phase: 'controller',
            evalEpisodes: c.controller.evalEpisodes,
          }
        : null,
    dispose: () => {
      disposeParams(vae);
      disposeParams(rnn);
    },
  };
}
