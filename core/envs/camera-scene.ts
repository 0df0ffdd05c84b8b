import { Camera, floorBackground } from './camera.ts';
import { type Background, BackgroundSource, type VideoFrames } from './background.ts';
import { Raster } from './raster.ts';

/**
 * What a dm_control-style env seen from a fixed camera draws with (cartpole, pendulum): the supersampled raster, the
 * camera, and behind the bodies its floor and sky or a distractor background, on the background's clock (simulator
 * steps since reset, which the env advances).
 */
export class CameraScene {
  readonly raster: Raster;
  private readonly bg: BackgroundSource;
  /** Simulator steps since reset (the background's clock). */
  t = 0;
  /** Scratch for projected points. */
  readonly p = new Float64Array(3);
  readonly q = new Float64Array(3);
  /** What `restore` leaves out: a distractor background is drawn from the reset seed, which episodes do not record. */
  readonly restoreLeavesOut: string | null;

  /** @param floorZ, half the floor plane's height and half-size (floorBackground) */
  constructor(
    readonly cam: Camera,
    size: number,
    floorZ: number,
    half: number,
    background: Background,
    clip: VideoFrames | null,
  ) {
    const R = new Raster(size, size, true);
    this.raster = R;
    this.bg = new BackgroundSource(background, R.w, R.h, R.ss, floorBackground(R, cam, floorZ, half), clip);
    this.restoreLeavesOut =
      background === 'plain' ? null : 'the background (drawn from the reset seed, which episodes do not record)';
  }

  reset(seed: number): void {
    this.bg.reset(seed);
    this.t = 0;
  }

  /** Starts a frame: the background at the current step; the env draws its bodies over it. */
  begin(): Raster {
    this.raster.blit(this.bg.frame(this.t));
    return this.raster;
  }
}
