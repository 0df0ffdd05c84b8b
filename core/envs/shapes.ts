import { Rng } from '../util/rng.ts';
import { Raster } from './raster.ts';
import type { Simulator } from './wrapper.ts';
import type { Space } from './types.ts';

// tkipf/c-swm · envs/block_pushing.py, BlockPushing(width=5, height=5, render_type='shapes', num_objects=5).
const GRID = 5;
const OBJECTS = 5;
/** `directions` in BlockPushing.step: action % 4 → (d_row, d_col): up, right, down, left. */
const DIRECTIONS: [number, number][] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];
/**
 * matplotlib Set1 sampled at i / 9 (c-swm utils.get_colors(num_colors=max(9, num_objects))): with 9
 * samples of a 9-colour ListedColormap these are exactly Set1's first five colours.
 */
export const SHAPES_COLORS = [0xe41a1c, 0x377eb8, 0x4daf4a, 0x984ea3, 0xff7f00];

/**
 * C-SWM 2D Shapes: 5 objects on a 5×5 grid, object i drawn as a circle (i % 3 == 0), triangle (1) or
 * square (2) in its Set1 colour on black; action a moves object ⌊a/4⌋ one cell in direction a % 4 unless
 * the target cell is off the grid or occupied (then nothing moves). Reward 0.
 */
export class Shapes2d implements Simulator {
  readonly actionSpace: Space = { kind: 'discrete', n: 4 * OBJECTS };
  readonly observationShape: [number, number, 3];
  /** Object positions (row, col) per object: 10 numbers. */
  readonly stateSize = 2 * OBJECTS;
  /** row, col per object. */
  readonly pos = new Int32Array(2 * OBJECTS);
  private readonly raster: Raster;
  private readonly xs = new Float64Array(4);
  private readonly ys = new Float64Array(4);

  constructor(readonly size: number) {
    this.observationShape = [size, size, 3];
    this.raster = new Raster(size, size, false);
  }

  reset(seed: number): void {
    const rng = new Rng(seed);
    this.pos.fill(-1);
    // BlockPushing.reset: place objects in order, resampling a uniform cell until it is free.
    for (let i = 0; i < OBJECTS; i++) {
      do {
        this.pos[2 * i] = rng.int(GRID);
        this.pos[2 * i + 1] = rng.int(GRID);
      } while (!this.validPos(this.pos[2 * i], this.pos[2 * i + 1], i));
    }
  }

  /** BlockPushing.valid_pos: inside the grid and not on another object. */
  validPos(r: number, c: number, obj: number): boolean {
    if (r < 0 || r >= GRID || c < 0 || c >= GRID) return false;
    for (let j = 0; j < OBJECTS; j++) {
      if (j !== obj && this.pos[2 * j] === r && this.pos[2 * j + 1] === c) return false;
    }
    return true;
  }

  /** Test/debug hook: puts object `obj` at (row, col) without any collision check. */
  teleport(obj: number, row: number, col: number): void {
    this.pos[2 * obj] = row;
    this.pos[2 * obj + 1] = col;
  }

  /** The objects' (row, col) are the whole state (moves are deterministic). */
  restore(st: Float32Array): void {
    for (let i = 0; i < 2 * OBJECTS; i++) this.pos[i] = st[i];
  }

  readonly restoreLeavesOut = null;

  advance(action: Float64Array): { reward: number; terminated: boolean } {
    const a = action[0];
    const obj = Math.floor(a / 4);
    const [dr, dc] = DIRECTIONS[a % 4];
    const r = this.pos[2 * obj] + dr,
      c = this.pos[2 * obj + 1] + dc;
    if (this.validPos(r, c, obj)) {
      this.pos[2 * obj] = r;
      this.pos[2 * obj + 1] = c;
    }
    return { reward: 0, terminated: false };
  }

  writeState(out: Float32Array): void {
    for (let i = 0; i < 2 * OBJECTS; i++) out[i] = this.pos[i];
  }

  render(): Uint8Array {
    const R = this.raster,
      cell = this.size / GRID,
      xs = this.xs,
      ys = this.ys;
    R.clear(0);
    for (let i = 0; i < OBJECTS; i++) {
      const y0 = this.pos[2 * i] * cell,
        x0 = this.pos[2 * i + 1] * cell;
      const color = SHAPES_COLORS[i];
      if (i % 3 === 0) {
        // skimage.draw.circle(r0 + 5, c0 + 5, 5): pixel indices strictly inside radius 5 of the centre
        // index; in our centre-sampled convention that centre is at +5.5.
        R.fillCircle(x0 + cell / 2 + 0.5 * (cell / 10), y0 + cell / 2 + 0.5 * (cell / 10), cell / 2, color);
      } else if (i % 3 === 1) {
        // triangle(r0, c0, 10): apex at the top centre, base along the bottom edge.
        xs[0] = x0 + cell / 2;
        ys[0] = y0;
        xs[1] = x0;
        ys[1] = y0 + cell;
        xs[2] = x0 + cell;
        ys[2] = y0 + cell;
        R.fillConvex(xs, ys, 3, color);
      } else {
        R.fillRect(x0, y0, x0 + cell, y0 + cell, color);
      }
    }
    return R.resolve();
  }
}
