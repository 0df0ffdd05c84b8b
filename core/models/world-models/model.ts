import type { Episode } from '../../data/episode.ts';
import { pixelMse, resizeFrames } from '../../media/frames.ts';
import { Rng } from '../../util/rng.ts';
import type { EvalMetric, FamilyCheckpoint, FamilyContext, LoadedModel } from '../family.ts';
import { assignParams, disposeParams } from '../nn.ts';
import type { WorldModelsConfig } from './config.ts';
import { actionSpecOf, controllerRealReturn, exportMdnWeights, randomPolicyReturn } from './controller.ts';
import { actionDimOf, MdnCell } from './dream-kernel.ts';
import { WorldModelDreamer } from './dream.ts';
import { initMdnRnn, LOG_SQRT_2PI } from './mdn-rnn.ts';
import { initVae } from './vae.ts';

/** Open-loop horizons reported by `oneiro eval` (issue 4), with 5 context frames (Dreamer's openl). */
export const EVAL_HORIZONS = [1, 5, 10, 20];
export const EVAL_CONTEXT = 5;
const STARTS_PER_EPISODE = 8;

export async function loadWorldModel(
  ctx: FamilyContext<WorldModelsConfig>,
  ck: FamilyCheckpoint,
): Promise<LoadedModel> {
  const c = ctx.config;
  const actionDim = actionDimOf(actionSpecOf(ctx.data.actionSpace));
  const rng = new Rng(0);
  const vae = initVae(c.vae, rng);
  const rnn = initMdnRnn(c.rnn, { zDim: c.vae.zDim, actionDim }, rng);
  assignParams(vae, ck.tensors);
  assignParams(rnn, ck.tensors);
  const weights = exportMdnWeights(rnn, c.rnn, c.vae.zDim, actionDim);
  disposeParams(rnn);
  const theta = ck.tensors['controller/theta'] ? Array.from(ck.tensors['controller/theta'].dataSync()) : null;
  const dreamer = new WorldModelDreamer(vae, c.vae, weights, ctx.data.actionSpace);
  const S = c.vae.imageSize;
  const px = S * S * 3;
  const Z = c.vae.zDim;

  async function evaluate(
    episodes: Episode[],
    opts: { seed: number; trainEpisodes: Episode[] },
  ): Promise<Record<string, EvalMetric>> {
    // Mean-frame baseline from the training episodes (what a model that ignores its input would output).
    const mean = new Float64Array(px);
    let nTrain = 0;
    for (const ep of opts.trainEpisodes) {
      const f = resizeFrames(ep.image, ep.imageShape[0], ep.imageShape[1], S);
      for (let i = 0; i < f.length; i++) mean[i % px] += f[i];
      nTrain += ep.imageShape[0];
    }
    for (let i = 0; i < px; i++) mean[i] /= Math.max(1, nTrain);
    const meanFrame = Uint8Array.from(mean, (v) => Math.round(v));
    let recon = 0,
      base = 0,
      frames = 0,
      nll = 0,
      nllBase = 0,
      nllN = 0;
    const ol = EVAL_HORIZONS.map(() => ({ px: 0, pxBase: 0, lat: 0, latBase: 0, n: 0 }));
    for (const ep of episodes) {
      const T = ep.imageShape[0];
      const f = dreamer.episodeFrames(ep);
      const mus = dreamer.encodeFrames(f, T);
      const rec = dreamer.decodeLatents(mus, T);
      for (let t = 0; t < T; t++) {
        recon += pixelMse(rec, f, t * px, t * px, px);
        base += pixelMse(meanFrame, f, 0, t * px, px);
      }
      frames += T;
      // Teacher-forced NLL of the next μ; baseline: the N(0, I) prior the VAE pulls latents towards.
      const cell = new MdnCell(weights);
      for (let t = 0; t + 1 < T; t++) {
        cell.step(mus.subarray(t * Z, (t + 1) * Z), ep.action.subarray((t + 1) * actionDim, (t + 2) * actionDim));
        const y = mus.subarray((t + 1) * Z, (t + 2) * Z);
        nll += cell.nll(y);
        let b = 0;
        for (let d = 0; d < Z; d++) b += 0.5 * y[d] * y[d] + LOG_SQRT_2PI;
        nllBase += b / Z;
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
          { start, horizon: H, context: EVAL_CONTEXT, temperature: 0, seed: opts.seed },
          mus,
        );
        const dream = dreamer.decodeLatents(dreamZ, H);
        EVAL_HORIZONS.forEach((k, i) => {
          const t = start + k;
          ol[i].px += pixelMse(dream, f, (k - 1) * px, t * px, px);
          ol[i].pxBase += pixelMse(f, f, start * px, t * px, px);
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
      recon_mse: { model: recon / frames, baseline: base / frames, baseline_name: 'mean-frame' },
      rnn_nll: { model: nll / nllN, baseline: nllBase / nllN, baseline_name: 'standard-normal' },
    };
    EVAL_HORIZONS.forEach((k, i) => {
      if (!ol[i].n) return;
      out[`openloop_mse@${k}`] = {
        model: ol[i].px / ol[i].n,
        baseline: ol[i].pxBase / ol[i].n,
        baseline_name: 'copy-last-frame',
      };
    });
    EVAL_HORIZONS.forEach((k, i) => {
      if (!ol[i].n) return;
      out[`openloop_latent@${k}`] = {
        model: ol[i].lat / ol[i].n,
        baseline: ol[i].latBase / ol[i].n,
        baseline_name: 'copy-last-latent',
      };
    });
    if (theta && ctx.data.env) {
      const o = { env: ctx.data.env, episodes: c.controller.evalEpisodes, seed: 2_000_000 + opts.seed };
      const real = controllerRealReturn(vae, c.vae, weights, theta, o);
      const rand = randomPolicyReturn({ ...o, size: S });
      out.controller_return = {
        model: real.mean,
        baseline: rand.mean,
        baseline_name: 'random-policy',
        lower_is_better: false,
      };
    }
    return out;
  }

  return {
    imageSize: S,
    evaluate,
    openloop: async (ep, o) => dreamer.openloop(ep, o),
    dreamSession: (o) => dreamer.session(o),
    dispose: () => disposeParams(vae),
  };
}
