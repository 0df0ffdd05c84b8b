/**
 * Frame-rate meter for the dream player: counts frames that actually reached the screen over a sliding
 * window of wall-clock time, so the number shown is what the user gets (request + model step + draw).
 */
/**
 * The frame rate the dream player is built to reach while the user steers (issue 4: playing a dream at
 * 30 frames/s, 64×64). The e2e suite asserts the measured rate against it; the player shows it beside the
 * measured rate.
 */
export const TARGET_FPS = 30;

export class FpsMeter {
  private stamps: number[] = [];
  constructor(private readonly windowMs = 1000) {}

  /** Records a presented frame at time `now` (ms, e.g. performance.now()). */
  tick(now: number): void {
    this.stamps.push(now);
    const cutoff = now - this.windowMs;
    while (this.stamps.length && this.stamps[0] < cutoff) this.stamps.shift();
  }

  /** Frames per second over the window ending at `now`; 0 until two frames were seen. */
  rate(now: number): number {
    const cutoff = now - this.windowMs;
    const recent = this.stamps.filter((t) => t >= cutoff);
    if (recent.length < 2) return 0;
    const span = recent[recent.length - 1] - recent[0];
    return span > 0 ? ((recent.length - 1) * 1000) / span : 0;
  }

  reset(): void {
    this.stamps = [];
  }
}
