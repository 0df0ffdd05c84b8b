import { Rng } from '../util/rng.ts';
import { Raster, rgb } from './raster.ts';
import type { Simulator } from './wrapper.ts';
import type { Space } from './types.ts';

/*
 * Port of danijar/dreamerv3 · embodied/envs/pinpad.py (layouts, colours, actions, reward, countdown, render).
 * Layout strings are 14 rows × 16 columns; the anchor transposes them to [x][y] (16 × 14).
 */
const LAYOUTS: Record<string, string[]> = {
  three: [
    '################',
    '#1111      3333#',
    '#1111      3333#',
    '#1111      3333#',
    '#1111      3333#',
    '#              #',
    '#              #',
    '#              #',
    '#              #',
    '#     2222     #',
    '#     2222     #',
    '#     2222     #',
    '#     2222     #',
    '################',
  ],
  four: [
    '################',
    '#1111      4444#',
    '#1111      4444#',
    '#1111      4444#',
    '#1111      4444#',
    '#              #',
    '#              #',
    '#              #',
    '#              #',
    '#3333      2222#',
    '#3333      2222#',
    '#3333      2222#',
    '#3333      2222#',
    '################',
  ],
  five: [
    '################',
    '#          4444#',
    '#111       4444#',
    '#111       4444#',
    '#111           #',
    '#111        555#',
    '#           555#',
    '#           555#',
    '#333        555#',
    '#333           #',
    '#333       2222#',
    '#333       2222#',
    '#          2222#',
    '################',
  ],
  six: [
    '################',
    '#111        555#',
    '#111        555#',
    '#111        555#',
    '#              #',
    '#33          66#',
    '#33          66#',
    '#33          66#',
    '#33          66#',
    '#              #',
    '#444        222#',
    '#444        222#',
    '#444        222#',
    '################',
  ],
  seven: [
    '################',
    '#111        444#',
    '#111        444#',
    '#11          44#',
    '#              #',
    '#33          55#',
    '#33          55#',
    '#33          55#',
    '#33          55#',
    '#              #',
    '#66          22#',
    '#666  7777  222#',
    '#666  7777  222#',
    '################',
  ],
  eight: [
    '################',
    '#111  8888  444#',
    '#111  8888  444#',
    '#11          44#',
    '#              #',
    '#33          55#',
    '#33          55#',
    '#33          55#',
    '#33          55#',
    '#              #',
    '#66          22#',
    '#666  7777  222#',
    '#666  7777  222#',
    '################',
  ],
};
export const PINPAD_TASKS = Object.keys(LAYOUTS);

/** PinPad.COLORS */
const COLORS: Record<string, [number, number, number]> = {
  '1': [255, 0, 0],
  '2': [0, 255, 0],
  '3': [0, 0, 255],
  '4': [255, 255, 0],
  '5': [255, 0, 255],
  '6': [0, 255, 255],
  '7': [128, 0, 128],
  '8': [0, 128, 128],
};
/** PinPad.step: noop, y+1 (down), y−1 (up), x+1 (right), x−1 (left). */
const MOVES: [number, number][] = [
  [0, 0],
  [0, 1],
  [0, -1],
  [1, 0],
  [-1, 0],
];
const W = 16;
const H = 14;

/**
 * DreamerV3 PinPad: a 16×14 room with coloured pads; +10 when the last pads visited (consecutive repeats
 * collapsed) equal the target order 1→2→…→n, then a 10-step countdown with a green background, after
 * which the player respawns at a random free cell and the sequence clears.
 */
export class PinPad implements Simulator {
  readonly actionSpace: Space = { kind: 'discrete', n: 5 };
  readonly observationShape: [number, number, 3];
  /** Player (x, y) and the countdown. */
  readonly stateSize = 3;
  /** layout[x][y] */
  readonly layout: string[][];
  readonly target: string[];
  private readonly spawns: [number, number][] = [];
  private readonly padCells = new Map<string, [number, number][]>();
  private rng = new Rng(0);
  player: [number, number] = [1, 1];
  sequence: string[] = [];
  countdown = 0;
  private readonly raster: Raster;
  private readonly cell: number;

  constructor(
    readonly task: string,
    readonly size: number,
  ) {
    const rows = LAYOUTS[task];
    if (!rows) throw new Error(`unknown pinpad task '${task}'`);
    this.layout = Array.from({ length: W }, (_, x) => Array.from({ length: H }, (_, y) => rows[y][x]));
    const pads = new Set<string>();
    for (let x = 0; x < W; x++) {
      for (let y = 0; y < H; y++) {
        const ch = this.layout[x][y];
        if (ch !== '#') this.spawns.push([x, y]);
        if (ch !== '#' && ch !== ' ') {
          pads.add(ch);
          if (!this.padCells.has(ch)) this.padCells.set(ch, []);
          this.padCells.get(ch)!.push([x, y]);
        }
      }
    }
    this.target = [...pads].sort();
    this.observationShape = [size, size, 3];
    this.raster = new Raster(size, size, false);
    this.cell = size / 16;
  }

  reset(seed: number): void {
    this.rng = new Rng(seed);
    this.player = this.spawns[this.rng.int(this.spawns.length)];
    this.sequence = [];
    this.countdown = 0;
  }

  /** Test/debug hook: moves the player to (x, y) (must be a free cell). */
  teleport(x: number, y: number): void {
    if (this.layout[x]?.[y] === undefined || this.layout[x][y] === '#')
      throw new Error(`(${x}, ${y}) is not a free cell`);
    this.player = [x, y];
  }

  /** [x, y, countdown]; the pads visited so far and the respawn stream are not in the vector. */
  restore(st: Float32Array): void {
    this.teleport(st[0], st[1]);
    this.countdown = st[2];
  }

  readonly restoreLeavesOut =
    'the pads visited so far (the sequence bar) are not in the recorded state: the env starts with none';

  /** Cells of a pad (test helper, e.g. to walk to it). */
  cellsOf(pad: string): [number, number][] {
    return this.padCells.get(pad) ?? [];
  }

  advance(action: Float64Array): { reward: number; terminated: boolean } {
    if (this.countdown) {
      this.countdown -= 1;
      if (this.countdown === 0) {
        this.player = this.spawns[this.rng.int(this.spawns.length)];
        this.sequence = [];
      }
    }
    let reward = 0;
    const [dx, dy] = MOVES[action[0]];
    const x = Math.min(W - 1, Math.max(0, this.player[0] + dx));
    const y = Math.min(H - 1, Math.max(0, this.player[1] + dy));
    const tile = this.layout[x][y];
    if (tile !== '#') this.player = [x, y];
    if (tile !== '#' && tile !== ' ') {
      if (this.sequence.length === 0 || this.sequence[this.sequence.length - 1] !== tile) {
        this.sequence.push(tile);
        // deque(maxlen=len(target))
        if (this.sequence.length > this.target.length) this.sequence.shift();
      }
    }
    if (
      !this.countdown &&
      this.sequence.length === this.target.length &&
      this.sequence.every((c, i) => c === this.target[i])
    ) {
      reward += 10;
      this.countdown = 10;
    }
    return { reward, terminated: false };
  }

  writeState(out: Float32Array): void {
    out[0] = this.player[0];
    out[1] = this.player[1];
    out[2] = this.countdown;
  }

  info(): Record<string, unknown> {
    return { sequence: this.sequence.join(''), success: this.isSuccess() };
  }

  /** The target sequence was completed: true during the 10-step countdown that follows the +10. */
  isSuccess(): boolean {
    return this.countdown > 0;
  }

  /**
   * The goal frame: what the env shows right after success — the player on the last pad of the target, the
   * full sequence in the bar, the green countdown background.
   */
  goalImage(): Uint8Array {
    const saved = { player: this.player, sequence: this.sequence, countdown: this.countdown };
    const cells = this.cellsOf(this.target[this.target.length - 1]);
    this.player = cells[Math.floor(cells.length / 2)];
    this.sequence = [...this.target];
    this.countdown = 10;
    const image = this.render().slice();
    Object.assign(this, saved);
    return image;
  }

  /**
   * Per-pad evaluation goals: goal k = the player standing on pad k (the middle cell, rendered with an empty
   * sequence bar and no countdown); success = the player's cell belongs to pad k.
   */
  goalList(): { name: string; image: Uint8Array; success(state: Float32Array): boolean }[] {
    const saved = { player: this.player, sequence: this.sequence, countdown: this.countdown };
    const out = this.target.map((pad) => {
      const cells = this.cellsOf(pad);
      this.player = cells[Math.floor(cells.length / 2)];
      this.sequence = [];
      this.countdown = 0;
      const image = this.render().slice();
      const layout = this.layout;
      return {
        name: `pad ${pad}`,
        image,
        success: (state: Float32Array) => layout[state[0]]?.[state[1]] === pad,
      };
    });
    Object.assign(this, saved);
    return out;
  }

  /** PinPad.render: a 16×16 grid (14 room rows + a 2-row sequence bar), ×4 to 64×64, transposed. */
  render(): Uint8Array {
    const R = this.raster,
      c = this.cell;
    R.clear(this.countdown ? rgb(223, 255, 223) : 0xffffff);
    const current = this.layout[this.player[0]][this.player[1]];
    for (let x = 0; x < W; x++) {
      for (let y = 0; y < H; y++) {
        const ch = this.layout[x][y];
        if (ch === ' ') continue;
        let color: number;
        if (ch === '#') color = rgb(192, 192, 192);
        else {
          const [r, g, b] = COLORS[ch];
          // (10·color + 90·white)/100, truncated by the uint8 assignment.
          color =
            ch === current
              ? rgb(r, g, b)
              : rgb(
                  Math.floor((10 * r + 90 * 255) / 100),
                  Math.floor((10 * g + 90 * 255) / 100),
                  Math.floor((10 * b + 90 * 255) / 100),
                );
        }
        R.fillRect(x * c, y * c, (x + 1) * c, (y + 1) * c, color);
      }
    }
    R.fillRect(this.player[0] * c, this.player[1] * c, (this.player[0] + 1) * c, (this.player[1] + 1) * c, 0);
    R.fillRect(0, 14 * c, 16 * c, 16 * c, rgb(192, 192, 192));
    for (let i = 0; i < this.sequence.length; i++) {
      const [r, g, b] = COLORS[this.sequence[i]];
      R.fillRect((2 * i + 1) * c, 14 * c, (2 * i + 2) * c, 15 * c, rgb(r, g, b));
    }
    return R.resolve();
  }
}
