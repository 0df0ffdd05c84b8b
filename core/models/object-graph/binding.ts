/**
 * Slot binding: does slot k track object k? C-SWM's per-object action reaches slot k only (the action's object
 * index picks the slot), so the transition can predict a move only if the moved object's change lands in its own
 * slot. Over steps where exactly one object moved, the share of the encoded change Σ_d (z_{t+1,k,d} − z_{t,k,d})²
 * that falls in each slot k, per moved object o: a bound model has the diagonal near 1. A model whose slots each
 * encode the whole scene spreads every move over all slots (measured: about 0.2 on the diagonal with a 4-channel
 * extractor), and then its transition cannot beat copy-state.
 */
export class SlotBinding {
  /** energy[o·K + k]: Σ over steps where object o moved of slot k's squared change. */
  private readonly energy: Float64Array;
  private readonly moves: Float64Array;

  constructor(
    readonly numObjects: number,
    readonly embeddingDim: number,
  ) {
    this.energy = new Float64Array(numObjects * numObjects);
    this.moves = new Float64Array(numObjects);
  }

  /**
   * One episode: slot states [T, K, D] (row-major) and, per step t → t + 1, the object that moved (−1: none
   * or several, skipped).
   */
  add(states: ArrayLike<number>, moved: ArrayLike<number>): void {
    const K = this.numObjects;
    const D = this.embeddingDim;
    const F = K * D;
    if (states.length !== (moved.length + 1) * F)
      throw new Error(
        `SlotBinding.add: expected ${moved.length + 1} states of ${K}×${D} for ${moved.length} steps, got ${states.length} numbers`,
      );
    for (let t = 0; t < moved.length; t++) {
      const o = moved[t];
      if (o < 0) continue;
      if (o >= K)
        throw new Error(`SlotBinding.add: moved object ${o} at step ${t}, expected < ${K} (one slot per object)`);
      this.moves[o]++;
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let d = 0; d < D; d++) {
          const e = states[(t + 1) * F + k * D + d] - states[t * F + k * D + d];
          s += e * e;
        }
        this.energy[o * K + k] += s;
      }
    }
  }

  /** shares[o][k]: the share of object o's moves' change in slot k (rows sum to 1; NaN for an unseen object). */
  shares(): number[][] {
    const K = this.numObjects;
    return Array.from({ length: K }, (_, o) => {
      const row = Array.from(this.energy.subarray(o * K, (o + 1) * K));
      const total = row.reduce((a, b) => a + b, 0);
      return row.map((v) => (total > 0 ? v / total : NaN));
    });
  }

  /** Mean over the objects that moved of the share in their own slot (1 = every slot bound to its object). */
  diagonal(): number {
    const s = this.shares();
    const seen = s.map((row, o) => row[o]).filter((v, o) => this.moves[o] > 0 && Number.isFinite(v));
    return seen.length ? seen.reduce((a, b) => a + b, 0) / seen.length : NaN;
  }
}

/**
 * Per step of an episode with a per-object position state (shapes-2d's `state`: row, col per object, [T, 2·K]),
 * the index of the single object whose position changed, or −1.
 */
export function movedObjects(state: ArrayLike<number>, rows: number, objects: number): Int32Array {
  const W = 2 * objects;
  if (state.length !== rows * W)
    throw new Error(`movedObjects: expected ${rows} rows of ${W} positions, got ${state.length} numbers`);
  const out = new Int32Array(rows - 1).fill(-1);
  for (let t = 0; t + 1 < rows; t++) {
    let moved = -1;
    let count = 0;
    for (let o = 0; o < objects; o++) {
      const a = t * W + 2 * o;
      if (state[a] !== state[a + W] || state[a + 1] !== state[a + 1 + W]) {
        moved = o;
        count++;
      }
    }
    out[t] = count === 1 ? moved : -1;
  }
  return out;
}
