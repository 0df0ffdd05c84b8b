import { Rng } from '../../util/rng.ts';
import { createGemvRows, type GemvRows } from '../../tensor/kernels/gemv-rows.ts';
import { actionDimOf, controllerAction, type ActionSpec } from '../controller-policy.ts';

/**
 * The MDN-RNN step and the controller in plain TypeScript over Float32Arrays. The dream is a
 * batch-of-one recurrence (one [1, 4H] matvec per step), where tensor dispatch costs more than the
 * math; and worker threads evaluating CMA-ES candidates then need no TensorFlow.js at all. The two
 * products of a step (gates, head) run in a WebAssembly SIMD kernel (gemv-rows.ts) in the JS loops'
 * own arithmetic, so both give the same bits (test/unit/models/dream-kernel-wasm.test.ts); 'js' is the fallback.
 * Must match mdn-rnn.ts exactly: test/unit/models/dream-kernel.test.ts runs both on one set of weights and
 * compares h, c, the mixture parameters, reward, done, NLL and the sampled next z.
 */
export interface MdnWeights {
  zDim: number;
  actionDim: number;
  hidden: number;
  mixtures: number;
  rewardHead: boolean;
  doneHead: boolean;
  /** [in, 4H], [H, 4H], [4H] — gate order i, f, g, o. */
  wx: Float32Array;
  wh: Float32Array;
  b: Float32Array;
  /** [H, out], [out]. */
  headW: Float32Array;
  headB: Float32Array;
}

// The controller is shared with the controller behaviour (core/agents), so it lives outside the family.
export { actionDimOf, controllerAction, controllerSize, type ActionSpec } from '../controller-policy.ts';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Column of the reward output in M's head (after logπ, μ, log σ); the done logit follows it when both heads exist. */
export function rewardColumn(w: Pick<MdnWeights, 'zDim' | 'mixtures'>): number {
  return 3 * w.zDim * w.mixtures;
}

/** Which implementation of the LSTM and head products a cell uses: 'wasm' where it loads, else 'js'. */
export type MdnKernel = 'js' | 'wasm';

// One wasm kernel per thread (CMA-ES workers each have theirs), shared by the thread's cells: the cell that steps
// copies its weights in when another cell used it last (once per dream in dreamReturn).
let gemv: GemvRows | null | undefined;
let gemvOwner = -1;
let cells = 0;
const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * One MDN-RNN step at a time. A cell reads its weights when it steps after another cell did: build a new cell
 * after changing them (reward-refit.ts does).
 */
export class MdnCell {
  readonly h: Float32Array;
  readonly c: Float32Array;
  readonly out: Float32Array;
  readonly kernel: MdnKernel;
  private readonly id = cells++;
  private readonly gates: Float32Array;
  private lay?: {
    rows: number;
    G8: number;
    O8: number;
    head: number;
    x: number;
    g: number;
    out: number;
    bytes: number;
  };

  constructor(
    readonly w: MdnWeights,
    kernel: MdnKernel = 'wasm',
  ) {
    this.h = new Float32Array(w.hidden);
    this.c = new Float32Array(w.hidden);
    this.gates = new Float32Array(4 * w.hidden);
    this.out = new Float32Array(w.headB.length);
    if (kernel === 'wasm' && gemv === undefined) gemv = createGemvRows();
    // The kernel holds its own copy of the weights: an M too large for that (1 GiB) steps in JS.
    this.kernel = kernel === 'wasm' && gemv && this.layout().bytes <= 2 ** 30 ? 'wasm' : 'js';
  }

  reset(): void {
    this.h.fill(0);
    this.c.fill(0);
  }

  /** Consumes [z_t, a_t]; afterwards `h`, `c` hold the new state and `out` the head on it. */
  step(z: ArrayLike<number>, a: ArrayLike<number>): void {
    const { hidden: H } = this.w;
    const g = this.kernel === 'wasm' ? this.gatesWasm(z, a) : this.gatesJs(z, a);
    for (let j = 0; j < H; j++) {
      const c = sigmoid(g[H + j]) * this.c[j] + sigmoid(g[j]) * Math.tanh(g[2 * H + j]);
      this.c[j] = c;
      this.h[j] = sigmoid(g[3 * H + j]) * Math.tanh(c);
    }
    if (this.kernel === 'wasm') this.headWasm();
    else this.headJs();
  }

  private gatesJs(z: ArrayLike<number>, a: ArrayLike<number>): Float32Array {
    const { wx, wh, b, hidden: H, zDim, actionDim } = this.w;
    const G = 4 * H;
    const g = this.gates;
    g.set(b);
    for (let i = 0; i < zDim; i++) {
      const x = z[i];
      if (x === 0) continue;
      const row = i * G;
      for (let j = 0; j < G; j++) g[j] += x * wx[row + j];
    }
    for (let i = 0; i < actionDim; i++) {
      const x = a[i];
      if (x === 0) continue;
      const row = (zDim + i) * G;
      for (let j = 0; j < G; j++) g[j] += x * wx[row + j];
    }
    for (let i = 0; i < H; i++) {
      const x = this.h[i];
      if (x === 0) continue;
      const row = i * G;
      for (let j = 0; j < G; j++) g[j] += x * wh[row + j];
    }
    return g;
  }

  private headJs(): void {
    const { headW, headB, hidden: H } = this.w;
    const O = this.out.length;
    this.out.set(headB);
    for (let i = 0; i < H; i++) {
      const x = this.h[i];
      const row = i * O;
      for (let j = 0; j < O; j++) this.out[j] += x * headW[row + j];
    }
  }

  /**
   * Memory of the thread's kernel (byte offsets): [wx; wh] as one [zDim + A + H, G8] matrix (the inputs [z, a, h]
   * in the JS loops' order), headW as [H, O8], then x (f64), g and out; G8, O8: padded to multiples of 8.
   */
  private layout() {
    if (this.lay) return this.lay;
    const { zDim, actionDim, hidden: H } = this.w;
    const rows = zDim + actionDim + H;
    const G8 = pad8(4 * H);
    const O8 = pad8(this.out.length);
    const head = rows * G8 * 4;
    const x = pad8(head + H * O8 * 4);
    const g = x + Math.max(rows, H) * 8;
    const out = g + G8 * 4;
    return (this.lay = { rows, G8, O8, head, x, g, out, bytes: out + O8 * 4 });
  }

  private load(k: GemvRows): void {
    const { wx, wh, hidden: H, zDim, actionDim } = this.w;
    const L = this.layout();
    k.reserve(L.bytes);
    const G = 4 * H;
    const O = this.out.length;
    const f = k.f32;
    f.fill(0, 0, L.x / 4);
    for (let i = 0; i < zDim + actionDim; i++) f.set(wx.subarray(i * G, (i + 1) * G), i * L.G8);
    for (let i = 0; i < H; i++) f.set(wh.subarray(i * G, (i + 1) * G), (zDim + actionDim + i) * L.G8);
    for (let i = 0; i < H; i++) f.set(this.w.headW.subarray(i * O, (i + 1) * O), L.head / 4 + i * L.O8);
    gemvOwner = this.id;
  }

  private gatesWasm(z: ArrayLike<number>, a: ArrayLike<number>): Float32Array {
    const k = gemv!;
    if (gemvOwner !== this.id) this.load(k);
    const { zDim, actionDim, hidden: H } = this.w;
    const L = this.layout();
    const x = k.f64;
    const x0 = L.x / 8;
    for (let i = 0; i < zDim; i++) x[x0 + i] = z[i];
    for (let i = 0; i < actionDim; i++) x[x0 + zDim + i] = a[i];
    x.set(this.h, x0 + zDim + actionDim);
    k.f32.set(this.w.b, L.g / 4);
    k.run(0, L.x, L.g, L.rows, L.G8, true);
    return k.f32.subarray(L.g / 4, L.g / 4 + 4 * H);
  }

  private headWasm(): void {
    const k = gemv!;
    const L = this.layout();
    const O = this.out.length;
    k.f64.set(this.h, L.x / 8);
    k.f32.set(this.w.headB, L.out / 4);
    k.run(L.head, L.x, L.out, this.w.hidden, L.O8, false);
    this.out.set(k.f32.subarray(L.out / 4, L.out / 4 + O));
  }

  reward(): number {
    return this.w.rewardHead ? this.out[rewardColumn(this.w)] : 0;
  }

  doneProb(): number {
    if (!this.w.doneHead) return 0;
    return sigmoid(this.out[rewardColumn(this.w) + (this.w.rewardHead ? 1 : 0)]);
  }

  /** Mean over dimensions of −log Σ_k π_k N(y_d | μ_k, σ_k) for the current head output (as mdn-rnn.ts). */
  nll(y: ArrayLike<number>): number {
    const { zDim, mixtures: K } = this.w;
    const o = this.out;
    const zk = zDim * K;
    let total = 0;
    for (let d = 0; d < zDim; d++) {
      const base = d * K;
      let maxL = -Infinity;
      for (let k = 0; k < K; k++) maxL = Math.max(maxL, o[base + k]);
      let sumL = 0;
      for (let k = 0; k < K; k++) sumL += Math.exp(o[base + k] - maxL);
      const lse = maxL + Math.log(sumL);
      const terms = new Array<number>(K);
      let maxT = -Infinity;
      for (let k = 0; k < K; k++) {
        const ls = o[2 * zk + base + k];
        const u = (y[d] - o[zk + base + k]) * Math.exp(-ls);
        terms[k] = o[base + k] - lse - 0.5 * u * u - ls - 0.5 * Math.log(2 * Math.PI);
        maxT = Math.max(maxT, terms[k]);
      }
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(terms[k] - maxT);
      total += -(maxT + Math.log(s));
    }
    return total / zDim;
  }

  /**
   * Next latent from the head. temperature > 0: per dimension, a component from softmax(logπ/τ), then
   * μ_k + σ_k·√τ·ε (WMx rnn.py `sample_sequence`). temperature 0: the mixture mean Σ_k π_k μ_k (the
   * squared-error-optimal point prediction, used by evaluation).
   */
  nextZ<T extends Float32Array>(temperature: number, rng: Rng | null, into: T): T {
    const { zDim, mixtures: K } = this.w;
    const o = this.out;
    const zk = zDim * K;
    for (let d = 0; d < zDim; d++) {
      const base = d * K;
      let max = -Infinity;
      const tau = temperature > 0 ? temperature : 1;
      for (let k = 0; k < K; k++) max = Math.max(max, o[base + k] / tau);
      let sum = 0;
      const p = new Array<number>(K);
      for (let k = 0; k < K; k++) sum += p[k] = Math.exp(o[base + k] / tau - max);
      if (temperature <= 0 || !rng) {
        let m = 0;
        for (let k = 0; k < K; k++) m += (p[k] / sum) * o[zk + base + k];
        into[d] = m;
      } else {
        let u = rng.next() * sum;
        let k = 0;
        while (k < K - 1 && (u -= p[k]) > 0) k++;
        into[d] = o[zk + base + k] + Math.exp(o[2 * zk + base + k]) * Math.sqrt(temperature) * rng.normal();
      }
    }
    return into;
  }
}

export interface DreamStart {
  /** Encoder outputs of real frames to start dreams from: [N·zDim] each. */
  mu: Float32Array;
  logvar: Float32Array;
  count: number;
  /** M's filtered LSTM state (h, c) at each start: [N·hidden] each; absent = zeros (a dream from frame 0). */
  h?: Float32Array;
  c?: Float32Array;
  /** Starts 0..first−1 are the episodes' first frames; the rest lie along the episodes. Absent = all N. */
  first?: number;
  /** Fraction of dreams drawn uniformly over all N starts; the others start at a first frame. Absent = 0. */
  along?: number;
}

/**
 * Total reward of one dream under the controller: z_0 sampled from a random real start frame (and M's state
 * there when the start carries one), then
 * a_t = C(z_t, h_t), (h, c) ← LSTM([z_t, a_t]), reward and done from the heads, z_{t+1} from the MDN.
 */
export function dreamReturn(
  w: MdnWeights,
  theta: ArrayLike<number>,
  spec: ActionSpec,
  start: DreamStart,
  opts: { length: number; temperature: number; seed: number; kernel?: MdnKernel },
): number {
  const rng = new Rng(opts.seed);
  const cell = new MdnCell(w, opts.kernel);
  // The extra draw only when starts along episodes are asked for, so frame-0 dreams keep their random numbers.
  const i = start.along && rng.next() < start.along ? rng.int(start.count) : rng.int(start.first ?? start.count);
  if (start.h && start.c) {
    cell.h.set(start.h.subarray(i * w.hidden, (i + 1) * w.hidden));
    cell.c.set(start.c.subarray(i * w.hidden, (i + 1) * w.hidden));
  }
  const z = new Float32Array(w.zDim);
  for (let d = 0; d < w.zDim; d++)
    z[d] = start.mu[i * w.zDim + d] + Math.exp(start.logvar[i * w.zDim + d] / 2) * rng.normal();
  const a = new Float32Array(actionDimOf(spec));
  let total = 0;
  for (let t = 0; t < opts.length; t++) {
    controllerAction(theta, z, cell.h, spec, a);
    cell.step(z, a);
    total += cell.reward();
    if (w.doneHead && rng.next() < cell.doneProb()) break;
    cell.nextZ(opts.temperature, rng, z);
  }
  return total;
}
