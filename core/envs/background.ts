import { Rng } from '../util/rng.ts';

/**
 * Distractor backgrounds (issue 15): the setting reconstruction-free world models were made for, DMC with natural
 * video behind the agent (DreamerPro README `natural background`; TPC, DBC). The env draws its bodies over a
 * background buffer at the raster's drawing resolution:
 * - 'plain': the env's own static floor and sky;
 * - 'noise': fresh uniform colour noise in 2×2-output-pixel blocks every frame (no temporal structure);
 * - 'video': a procedural moving texture from the episode seed (drifting colour waves under bouncing blobs), so it
 *   is as structured and as predictable-looking as a video while carrying nothing about the task.
 *   Or, given a clip (VideoFrames: a folder of images or an animated GIF/WebP the user gives, read by
 *   core/media/background-frames.ts and resized to the env's frame size), that clip: one clip frame per simulator
 *   step, cycling, from a start frame drawn from the reset seed (DMC's natural-video distractors play a video).
 * Everything derives from the reset seed and the simulator time, so episodes stay reproducible.
 */
export const BACKGROUNDS = ['plain', 'noise', 'video'] as const;
export type Background = (typeof BACKGROUNDS)[number];

export function isBackground(s: unknown): s is Background {
  return typeof s === 'string' && (BACKGROUNDS as readonly string[]).includes(s);
}

const BLOBS = 6;

/**
 * A user-given background clip at the env's frame size: `count` frames of size×size×3 uint8, row-major, one after
 * the other. Loaded before the env is made (sharp is asynchronous and Node-only; envs stay synchronous and plain).
 */
export interface VideoFrames {
  frames: Uint8Array;
  count: number;
  size: number;
  /** Where the frames came from (recorded with the data). */
  source: string;
}

export class BackgroundSource {
  private readonly buf: Uint8Array;
  private rng = new Rng(0);
  private seed = 0;
  /** Wave parameters (per channel: 2 directions, frequencies, speeds, phases) and blobs, drawn at reset. */
  private waves = new Float64Array(3 * 8);
  private blobs = new Float64Array(BLOBS * 8);

  /**
   * @param w drawing-space width and height (the raster's `w`, `h`)
   * @param ss supersampling factor of the raster (noise blocks and blob sizes are in output pixels)
   * @param plain the env's own background, returned as is for 'plain'
   */
  constructor(
    readonly kind: Background,
    private readonly w: number,
    private readonly h: number,
    private readonly ss: number,
    private readonly plain: Uint8Array,
    /** A user-given clip for 'video' (null: the procedural texture); its size is the output size w / ss. */
    private readonly clip: VideoFrames | null = null,
  ) {
    this.buf = kind === 'plain' ? plain : new Uint8Array(w * h * 3);
    if (clip && (kind !== 'video' || clip.size * ss !== w || clip.size * ss !== h))
      throw new Error(`BackgroundSource: a ${clip.size}px clip needs kind 'video' and a ${w / ss}px frame`);
  }

  /** The clip frame shown at simulator step 0 (drawn from the reset seed). */
  private clipStart = 0;

  reset(seed: number): void {
    // Decorrelated from the simulator's own use of the seed (initial state).
    this.seed = (seed ^ 0x5bd1e995) >>> 0;
    const r = new Rng(this.seed);
    this.rng = r;
    // Its own generator, so a clip leaves the procedural streams of the same seed unchanged.
    if (this.clip) this.clipStart = new Rng(this.seed ^ 0x2545f491).int(this.clip.count);
    for (let i = 0; i < this.waves.length; i += 8) {
      const a = r.uniform(0, 2 * Math.PI);
      const b = r.uniform(0, 2 * Math.PI);
      this.waves.set(
        [
          Math.cos(a),
          Math.sin(a),
          Math.cos(b),
          Math.sin(b),
          r.uniform(0.05, 0.2),
          r.uniform(0.5, 2),
          r.uniform(0, 6.3),
          r.uniform(0.3, 1.2),
        ],
        i,
      );
    }
    for (let i = 0; i < BLOBS; i++) {
      const ang = r.uniform(0, 2 * Math.PI);
      const speed = r.uniform(0.1, 0.4); // output pixels per simulator step
      this.blobs.set(
        [
          r.uniform(0, this.w / this.ss),
          r.uniform(0, this.h / this.ss),
          speed * Math.cos(ang),
          speed * Math.sin(ang),
          r.uniform(4, 10),
          r.int(256),
          r.int(256),
          r.int(256),
        ],
        i * 8,
      );
    }
  }

  /** The background at simulator step `t` (the buffer is reused: blit it before drawing). */
  frame(t: number): Uint8Array {
    if (this.kind === 'plain') return this.plain;
    if (this.kind === 'noise') this.noise(t);
    else if (this.clip) this.clipFrame(t);
    else this.video(t);
    return this.buf;
  }

  /** Clip frame (start + t) mod count, each pixel repeated ss × ss (the raster averages it back to the frame). */
  private clipFrame(t: number): void {
    const { w, ss, buf } = this;
    const c = this.clip!;
    const S = c.size;
    const k = (this.clipStart + t) % c.count;
    const src = c.frames.subarray(k * S * S * 3, (k + 1) * S * S * 3);
    for (let y = 0; y < this.h; y++) {
      const row = Math.floor(y / ss) * S;
      for (let x = 0; x < w; x++) {
        const i = (row + Math.floor(x / ss)) * 3;
        const o = (y * w + x) * 3;
        buf[o] = src[i];
        buf[o + 1] = src[i + 1];
        buf[o + 2] = src[i + 2];
      }
    }
  }

  private noise(t: number): void {
    // A fresh pattern per frame, reproducible from (seed, t).
    const r = new Rng((this.seed + Math.imul(t + 1, 0x9e3779b1)) >>> 0);
    const block = 2 * this.ss;
    const { w, h, buf } = this;
    for (let by = 0; by < h; by += block)
      for (let bx = 0; bx < w; bx += block) {
        const c0 = r.int(256),
          c1 = r.int(256),
          c2 = r.int(256);
        for (let y = by; y < Math.min(h, by + block); y++)
          for (let x = bx; x < Math.min(w, bx + block); x++) {
            const o = (y * w + x) * 3;
            buf[o] = c0;
            buf[o + 1] = c1;
            buf[o + 2] = c2;
          }
      }
  }

  private video(t: number): void {
    const { w, h, ss, buf, waves, blobs } = this;
    const W = w / ss,
      H = h / ss;
    // Blobs move with constant velocity and bounce off the frame edges (positions in closed form from t).
    const pos = new Float64Array(BLOBS * 2);
    for (let i = 0; i < BLOBS; i++) {
      const b = i * 8;
      pos[2 * i] = bounce(blobs[b] + blobs[b + 2] * t, W);
      pos[2 * i + 1] = bounce(blobs[b + 1] + blobs[b + 3] * t, H);
    }
    for (let y = 0; y < h; y++) {
      const py = (y + 0.5) / ss;
      for (let x = 0; x < w; x++) {
        const px = (x + 0.5) / ss;
        const o = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) {
          const k = c * 8;
          const u = waves[k] * px + waves[k + 1] * py;
          const v = waves[k + 2] * px + waves[k + 3] * py;
          const s = Math.sin(u * waves[k + 4] * waves[k + 5] + t * 0.05 * waves[k + 7] + waves[k + 6]);
          const q = Math.sin(v * waves[k + 4] - t * 0.03 * waves[k + 5]);
          buf[o + c] = 128 + 60 * s + 40 * q;
        }
        for (let i = 0; i < BLOBS; i++) {
          const b = i * 8;
          const dx = px - pos[2 * i],
            dy = py - pos[2 * i + 1];
          const r = blobs[b + 4];
          if (dx * dx + dy * dy < r * r) {
            buf[o] = blobs[b + 5];
            buf[o + 1] = blobs[b + 6];
            buf[o + 2] = blobs[b + 7];
          }
        }
      }
    }
  }
}

/** A coordinate moving freely, reflected into [0, L]. */
function bounce(p: number, L: number): number {
  const m = ((p % (2 * L)) + 2 * L) % (2 * L);
  return m <= L ? m : 2 * L - m;
}
