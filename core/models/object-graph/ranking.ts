/**
 * Ranking metrics of tkipf/c-swm eval.py: for every evaluation sample i, the squared distances from its true
 * state (the encoding of the frame k steps later) to every sample's k-step prediction; the sample's own
 * prediction is prepended to the row (`dist_matrix_augmented`) and the row is sorted stably by distance with
 * ties broken by column index (np.lexsort((arange, row))). The rank of that prepended entry (label 0) is
 * therefore the number of predictions strictly closer than the sample's own: a tie counts in its favour.
 *   Hits@1 = share of samples with rank 0;  MRR = mean of 1 / (rank + 1).
 */
export interface RankingResult {
  /** 0-based rank of each sample's own prediction among all predictions, seen from its true state. */
  ranks: Int32Array;
  /** In % (the paper's tables): share of rank < 1. */
  hitsAt1: number;
  /** In %: mean reciprocal rank. */
  mrr: number;
}

/** Ranks of `pred` [N, F] against `truth` [N, F] (row-major), as eval.py. */
export function rankPredictions(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  n: number,
  f: number,
): RankingResult {
  const ranks = new Int32Array(n);
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < f; d++) {
        const e = truth[i * f + d] - pred[j * f + d];
        s += e * e;
      }
      dist[j] = s;
    }
    const own = dist[i];
    let r = 0;
    for (let j = 0; j < n; j++) if (dist[j] < own) r++;
    ranks[i] = r;
  }
  return { ranks, ...rankScores(ranks) };
}

export function rankScores(ranks: ArrayLike<number>): { hitsAt1: number; mrr: number } {
  let hits = 0,
    rr = 0;
  for (let i = 0; i < ranks.length; i++) {
    if (ranks[i] < 1) hits++;
    rr += 1 / (ranks[i] + 1);
  }
  const n = Math.max(1, ranks.length);
  return { hitsAt1: (100 * hits) / n, mrr: (100 * rr) / n };
}

/**
 * Expected scores of a random ranking of N candidates (the true one uniformly at rank 0 … N−1):
 * Hits@1 = 1/N, MRR = H_N / N (H_N the N-th harmonic number), in %.
 */
export function randomRankingScores(n: number): { hitsAt1: number; mrr: number } {
  let h = 0;
  for (let r = 1; r <= n; r++) h += 1 / r;
  return { hitsAt1: 100 / n, mrr: (100 * h) / n };
}
