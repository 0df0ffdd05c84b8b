/**
 * The interactive dream loop: reset a dream session to a real frame, then step the model with the action
 * of the held keys as fast as replies come back (one request in flight, capped at `maxFps`), drawing each
 * frame as it arrives. Measures the frame rate the user actually gets and records frames for export.
 * Autopilot (actor-critic runs): the run's actor chooses every step's action in the dream server; any
 * steering key takes over (manual), the toggle hands control back.
 */
import type { WorkbenchClient } from '../../../core/contract/client.ts';
import type { DreamFrame, Space } from '../../../core/contract/channels.ts';
import { FpsMeter, TARGET_FPS } from '../lib/fps.ts';
import { continuousAction, discreteIndex } from '../lib/keys.ts';
import { reportError } from './toasts.svelte.ts';

export interface ResetParams {
  runId: string;
  dataset: string | null;
  episode: number;
  step: number;
  temperature?: number;
  seed: number;
}

export { TARGET_FPS };

/** Recording cap: 2000 frames of 64×64 is 24 MB. */
export const MAX_RECORDED = 2000;

export class DreamPlayer {
  sessionId = $state<string | null>(null);
  frame = $state.raw<Uint8Array | null>(null);
  width = $state(64);
  height = $state(64);
  t = $state(0);
  /** Where the session's frames come from (a model without a decoder plays through its probe or by retrieval). */
  pixels = $state<DreamFrame['pixels'] | null>(null);
  reward = $state<number | null>(null);
  done = $state(false);
  space = $state.raw<Space | null>(null);
  action = $state.raw<number[]>([]);
  /** The actor drives (steps are sent with autopilot: true). */
  autopilot = $state(false);
  /** Who chose the action of the frame shown. */
  driver = $state<'user' | 'actor' | null>(null);
  playing = $state(false);
  recording = $state(false);
  recorded = $state(0);
  fps = $state(0);
  maxFps = $state(60);
  busy = $state(false);

  private sessionRun: string | null = null;
  // Plain Set on purpose: held keys are read per step, never rendered.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private held = new Set<string>();
  private tapped: number | null = null;
  /** Step requests in flight. Two overlap the WebSocket / host / dream-process hops with the model's
   * compute (replies come back in order); each carries the keys held when it was sent. */
  private inflight = 0;
  readonly depth = 2;
  /** Bumped by reset: replies to steps sent before it are dropped. */
  private epoch = 0;
  private lastSend = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private meter = new FpsMeter(1000);
  private frames: Uint8Array[] = [];
  private fpsTimer: ReturnType<typeof setInterval>;

  constructor(private readonly client: WorkbenchClient) {
    this.fpsTimer = setInterval(() => (this.fps = this.meter.rate(performance.now())), 250);
  }

  async reset(p: ResetParams): Promise<void> {
    this.busy = true;
    this.playing = false;
    this.epoch++;
    try {
      const req = {
        runId: p.runId,
        episode: p.episode,
        step: p.step,
        seed: p.seed,
        ...(p.dataset ? { dataset: p.dataset } : {}),
        ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
      };
      if (this.sessionId && this.sessionRun !== p.runId) {
        const old = this.sessionId;
        this.sessionId = null;
        void this.client
          .dreamClose({ sessionId: old })
          .catch((e) => reportError('Closing the previous dream session', e));
      }
      let f: DreamFrame;
      try {
        // Reuse the open session (same model in memory) unless the run changed.
        f = await this.client.dreamReset(
          this.sessionId && this.sessionRun === p.runId ? { ...req, sessionId: this.sessionId } : req,
        );
      } catch (e) {
        // The host may have dropped our session (restart, run stopped): open a fresh one once.
        if (!this.sessionId || (e as { code?: string }).code !== 'not_found') throw e;
        this.sessionId = null;
        f = await this.client.dreamReset(req);
      }
      this.sessionRun = p.runId;
      this.meter.reset();
      this.fps = 0;
      this.accept(f);
    } catch (e) {
      reportError('Resetting the dream', e);
    } finally {
      this.busy = false;
    }
  }

  private accept(f: DreamFrame): void {
    this.sessionId = f.sessionId;
    this.height = f.frame.shape[1];
    this.width = f.frame.shape[2];
    this.frame = f.frame.data;
    this.pixels = f.pixels;
    this.t = f.t;
    this.reward = f.reward;
    this.done = f.done;
    this.space = f.actionSpace;
    this.driver = f.driver;
    if (f.action) this.action = f.action;
    if (this.recording && this.frames.length < MAX_RECORDED) {
      this.frames.push(f.frame.data.slice());
      this.recorded = this.frames.length;
    }
  }

  /** The action for this step, or null when nothing should be sent (discrete space, no number key). */
  currentAction(): number[] | null {
    const s = this.space;
    if (!s) return null;
    if (s.kind === 'box') return continuousAction(this.held, s);
    for (const code of this.held) {
      const i = discreteIndex(code, this.held.has('ShiftLeft') || this.held.has('ShiftRight'), s.n);
      if (i !== null) return [i];
    }
    if (this.tapped !== null) {
      const i = this.tapped;
      this.tapped = null;
      return [i];
    }
    return null;
  }

  /** Hands the dream to the run's actor (on) or back to the keyboard (off). */
  setAutopilot(on: boolean): void {
    this.autopilot = on;
    if (on && this.sessionId) this.setPlaying(true);
  }

  keyDown(code: string, shift: boolean): void {
    // Any steering key takes the dream over from the actor (modifiers alone do not).
    if (this.autopilot && !code.startsWith('Shift')) this.autopilot = false;
    this.held.add(code);
    const s = this.space;
    if (s?.kind === 'discrete') {
      const i = discreteIndex(code, shift, s.n);
      if (i !== null) this.tapped = i;
    }
    if (!this.playing && this.sessionId) this.setPlaying(true);
    else this.pump();
  }

  keyUp(code: string): void {
    this.held.delete(code);
  }

  releaseAll(): void {
    this.held.clear();
  }

  setPlaying(on: boolean): void {
    this.playing = on;
    if (on) this.pump();
  }

  /** Sends the next step while fewer than `depth` are in flight, no faster than maxFps. */
  private pump = (): void => {
    if (!this.playing || this.inflight >= this.depth || !this.sessionId || this.timer) return;
    const period = 1000 / this.maxFps;
    const now = performance.now();
    // Due times on a fixed grid (not 'last send + period'), so timer lateness does not lower the rate.
    const wait = Math.max(this.lastSend + period, now - period) - now;
    if (wait > 1) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    const action = this.autopilot ? null : this.currentAction();
    if (!action && !this.autopilot) return;
    if (action) this.action = action;
    this.inflight++;
    this.lastSend = Math.max(this.lastSend + period, now - period, 0);
    if (this.lastSend > now) this.lastSend = now;
    const sessionId = this.sessionId;
    const epoch = this.epoch;
    this.client.dreamStep(action ? { sessionId, action } : { sessionId, autopilot: true }).then(
      (f) => {
        this.inflight--;
        if (epoch !== this.epoch || f.sessionId !== this.sessionId || f.t <= this.t) return;
        this.accept(f);
        this.meter.tick(performance.now());
        this.pump();
      },
      (e) => {
        this.inflight--;
        if (epoch !== this.epoch) return;
        this.playing = false;
        this.autopilot = false;
        reportError('Dream step', e);
      },
    );
    this.pump();
  };

  setRecording(on: boolean): void {
    if (on) {
      this.frames = this.frame ? [this.frame.slice()] : [];
      this.recorded = this.frames.length;
    }
    this.recording = on;
  }

  /** The recorded frames as one [n,H,W,3] buffer for exportStrip({kind:'frames'}). */
  recordedFrames(): { shape: [number, number, number, 3]; data: Uint8Array } | null {
    if (!this.frames.length) return null;
    const n = this.frames.length;
    const size = this.width * this.height * 3;
    const data = new Uint8Array(n * size);
    this.frames.forEach((f, i) => data.set(f, i * size));
    return { shape: [n, this.height, this.width, 3], data };
  }

  async close(): Promise<void> {
    clearInterval(this.fpsTimer);
    if (this.timer) clearTimeout(this.timer);
    this.playing = false;
    const id = this.sessionId;
    this.sessionId = null;
    if (id) await this.client.dreamClose({ sessionId: id }).catch((e) => reportError('Closing the dream session', e));
  }
}
