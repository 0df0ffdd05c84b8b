/**
 * Diagnosis of a LEXA run's goal signal (issue 14): does the model's latent know where the point is, is the
 * achiever's reward ordered by the true distance, and where do the achiever's real episodes end?
 * `node --import tsx scripts/lexa-goal-signal.ts RUN_DIR`. Prints: ridge-probe R² of the true position from
 * posterior features, goal features and encoder embeddings (episodes k % 5 == 0 held out); the Pearson
 * correlation with −(true distance) of the achiever's own reward and of other candidate goal signals over 4000
 * random (frame, goal frame) pairs of the run's episodes; where the achiever's training episodes ended relative
 * to their goal; the cosines between the eval goals' features; and where the achiever ends from three starts
 * per eval goal. A diagnostic for the point-goals benchmark (it reads the env's 2-D state).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../core/tensor/backend.ts';
import { loadRunAgent } from '../core/runs/load-agent.ts';
import { EpisodeStore } from '../core/runs/episode-store.ts';
import { episodeState } from '../core/runs/probe-targets.ts';
import { fitRidge, predictRidge, r2Score } from '../core/util/ridge.ts';
import { Lexa } from '../core/agents/lexa.ts';
import { episodeTag } from '../core/agents/episode-tags.ts';
import { makeEnv } from '../core/envs/registry.ts';
import { envOptionsOf } from '../core/runs/agent-session.ts';
import { LatentAgent } from '../core/agents/latent-agent.ts';
import { rolloutEpisode } from '../core/agents/rollout.ts';
import { Rng } from '../core/util/rng.ts';
import { pearson } from '../core/util/pearson.ts';

const dir = process.argv[2];
if (!dir || !existsSync(join(dir, 'config.json'))) {
  process.stderr.write(`lexa-goal-signal: expected a LEXA run directory (with config.json), got '${dir ?? ''}'\n`);
  process.exit(2);
}
const nPairs = 4000;
await initBackend();
const agent = await loadRunAgent(dir);
const { wm, behavior } = agent;
if (!(behavior instanceof Lexa)) throw new Error('not a LEXA run');
const { train } = new EpisodeStore(dir, 0).load();
const eps = train.filter((e) => episodeState(e));
console.log(`${eps.length} episodes`);

// Posterior features, embeddings, goal features and true positions of every frame.
const F: number[][] = [];
const G: number[][] = [];
const E: number[][] = [];
const P: number[][] = [];
const epOf: number[] = [];
for (const [k, ep] of eps.entries()) {
  const T = ep.imageShape[0];
  const st = episodeState(ep)!;
  tf.tidy(() => {
    const act = tf.tensor3d(ep.action, [1, T, ep.actionDim]);
    const first = tf.tensor2d(Float32Array.from(ep.isFirst), [1, T]);
    const s = wm.observeSequences!(ep.image, act, first, null);
    const f = wm.features(s);
    const e = wm.embed!(ep.image, T);
    const g = wm.goalFeatures!(e);
    const fa = f.arraySync() as number[][];
    const ga = g.arraySync() as number[][];
    const ea = e.arraySync() as number[][];
    for (let t = 0; t < T; t++) {
      F.push(fa[t]);
      G.push(ga[t]);
      E.push(ea[t]);
      P.push([st.data[2 * t], st.data[2 * t + 1]]);
      epOf.push(k);
    }
  });
}
const N = F.length;
console.log(`${N} frames, feature size ${F[0].length}, embed ${E[0].length}`);

function probe(name: string, X: number[][]): void {
  const tr = [...Array(N).keys()].filter((i) => epOf[i] % 5 !== 0);
  const te = [...Array(N).keys()].filter((i) => epOf[i] % 5 === 0);
  const flat = (ix: number[], A: number[][]) => ix.flatMap((i) => A[i]);
  let best = -Infinity;
  for (const lam of [1e-3, 1e-2, 1e-1, 1, 10]) {
    const p = fitRidge(flat(tr, X), flat(tr, P), tr.length, lam);
    const r2 = r2Score(flat(te, P), predictRidge(p, flat(te, X), te.length), te.length);
    best = Math.max(best, (r2[0] + r2[1]) / 2);
  }
  console.log(`probe R² of position from ${name}: ${best.toFixed(3)}`);
}
probe('posterior features', F);
probe('goal features', G);
probe('embeddings', E);
const D = wm.featureSize - (wm.stochastic ? tf.tidy(() => wm.stochastic!(tf.zeros([1, wm.featureSize])).shape[1]) : 0);
probe(
  'goal stoch',
  G.map((g) => g.slice(D)),
);

const cos = (a: number[], b: number[]) => {
  let d = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / (Math.sqrt(na * nb) + 1e-8);
};
const negl2 = (a: number[], b: number[]) => -Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
const mean = (A: number[][]) => A[0].map((_, j) => A.reduce((s, r) => s + r[j], 0) / A.length);
const mF = mean(F);
const mG = mean(G);
const sub = (a: number[], m: number[]) => a.map((v, i) => v - m[i]);
const sdOf = (A: number[][], m: number[]) =>
  m.map((mj, j) => Math.sqrt(A.reduce((acc, r) => acc + (r[j] - mj) ** 2, 0) / A.length) + 1e-6);
const sF = sdOf(F, mF);
const sG = sdOf(G, mG);
const mE = mean(E);
const sE = sdOf(E, mE);
const z = (a: number[], m: number[], sd: number[]) => a.map((v, i) => (v - m[i]) / sd[i]);
const rng = new Rng(1);
const pairs: [number, number][] = Array.from({ length: nPairs }, () => [rng.int(N), rng.int(N)]);
const negd = pairs.map(([i, j]) => -Math.hypot(P[i][0] - P[j][0], P[i][1] - P[j][1]));
const rewardOfPairs = tf.tidy(() =>
  Array.from(
    behavior.achiever
      .reward(
        wm,
        tf.tensor2d(pairs.map(([i]) => F[i])),
        tf.tensor2d(pairs.map(([, j]) => G[j])),
        tf.tensor2d(pairs.map(([, j]) => E[j])),
      )
      .dataSync(),
  ),
);
const variants: [string, (i: number, j: number, k: number) => number][] = [
  [`the achiever's reward (${behavior.achiever.config.reward})`, (_i, _j, k) => rewardOfPairs[k]],
  ['cos(feat, goalFeat)', (i, j) => cos(F[i], G[j])],
  ['cos(goalFeat, goalFeat)', (i, j) => cos(G[i], G[j])],
  ['cos stoch(feat), stoch(goalFeat)', (i, j) => cos(F[i].slice(D), G[j].slice(D))],
  ['cos centred feat/goalFeat', (i, j) => cos(sub(F[i], mF), sub(G[j], mG))],
  ['cos(embed, embed)', (i, j) => cos(E[i], E[j])],
  ['cos standardised feat/goalFeat', (i, j) => cos(z(F[i], mF, sF), z(G[j], mG, sG))],
  ['cos centred embed', (i, j) => cos(sub(E[i], mE), sub(E[j], mE))],
  ['cos standardised embed', (i, j) => cos(z(E[i], mE, sE), z(E[j], mE, sE))],
  ['-L2(feat, goalFeat)', (i, j) => negl2(F[i], G[j])],
  ['-L2 stoch', (i, j) => negl2(F[i].slice(D), G[j].slice(D))],
];
for (const [name, fn] of variants) {
  const r = pairs.map(([i, j], k) => fn(i, j, k));
  const sorted = [...r].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(36)} corr with −dist ${pearson(r, negd).toFixed(3)}  range [${sorted[0].toFixed(3)}, ${sorted[sorted.length - 1].toFixed(3)}] p10-p90 ${sorted[Math.floor(0.1 * r.length)].toFixed(3)}..${sorted[Math.floor(0.9 * r.length)].toFixed(3)}`,
  );
}

// Real achiever episodes during training: where they ended relative to their goal frame.
let nAch = 0;
const finals: number[] = [];
const starts: number[] = [];
for (const ep of eps) {
  const tag = episodeTag(ep);
  if (tag?.actor !== 'achiever' || !tag.goalImage) continue;
  // find the goal frame's position among all stored frames (exact bytes)
  const px = tag.goalImage.length;
  let gp: number[] | null = null;
  for (const e2 of eps) {
    const T2 = e2.imageShape[0];
    for (let t = 0; t < T2 && !gp; t++) {
      let same = true;
      for (let q = 0; q < px && same; q += 7) same = e2.image[t * px + q] === tag.goalImage[q];
      if (same) gp = [episodeState(e2)!.data[2 * t], episodeState(e2)!.data[2 * t + 1]];
    }
    if (gp) break;
  }
  if (!gp) continue;
  const st = episodeState(ep)!.data;
  const T = ep.imageShape[0];
  nAch++;
  starts.push(Math.hypot(st[0] - gp[0], st[1] - gp[1]));
  finals.push(Math.hypot(st[2 * (T - 1)] - gp[0], st[2 * (T - 1) + 1] - gp[1]));
}
const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
console.log(
  `training achiever episodes: ${nAch}; mean start distance ${avg(starts).toFixed(3)}, final ${avg(finals).toFixed(3)}; last 10 finals ${finals
    .slice(-10)
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);

// Eval goals: where the achiever ends, per goal.
const env = makeEnv(agent.env!, envOptionsOf(agent.settings));
const goals = env.goals!();
const size = envOptionsOf(agent.settings).size;
const gfe = goals.map((g) => tf.tidy(() => wm.goalFeatures!(wm.embed!(g.image, 1)).arraySync()[0] as number[]));
console.log("cosine between eval goals' features:");
for (let a = 0; a < goals.length; a++) console.log('  ' + gfe.map((g) => cos(gfe[a], g).toFixed(2)).join(' '));
for (const [gi, goal] of goals.entries()) {
  behavior.achiever.setGoalImage(wm, goal.image, size);
  const ends: string[] = [];
  for (let e = 0; e < 3; e++) {
    const a = new LatentAgent(wm, behavior.achiever, { noise: 0, seed: e, frameSize: size, explore: false });
    const { episode } = rolloutEpisode(env, a, 70_000 + gi * 1000 + e);
    a.dispose();
    const st = episodeState(episode)!.data;
    const T = episode.imageShape[0];
    ends.push(`(${st[0].toFixed(2)},${st[1].toFixed(2)})→(${st[2 * T - 2].toFixed(2)},${st[2 * T - 1].toFixed(2)})`);
  }
  console.log(`goal ${goal.name}: ${ends.join('  ')}`);
}
agent.dispose();
