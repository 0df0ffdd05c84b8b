import { UserError } from '../util/errors.ts';
import type { Env, EnvGoal, EnvOptions, GoalEnv, Observation, Space, StepResult } from './types.ts';

/**
 * The raw single-step simulator each built-in implements. Action repeat, the time limit, action
 * validation and observation packaging are done once, by `WrappedEnv`, not per env.
 */
export interface Simulator {
  readonly actionSpace: Space;
  /** Rendered frame size [H, W, 3]. */
  readonly observationShape: [number, number, 3];
  /** Length of the vector state (0 when none). */
  readonly stateSize: number;
  /** Starts an episode; all randomness of the episode derives from `seed`. */
  reset(seed: number): void;
  /**
   * Advances one simulator step. Continuous: a validated action already clipped to the box (do not keep
   * a reference; the buffer is reused). Discrete: `action[0]` is the integer index.
   */
  advance(action: Float64Array): { reward: number; terminated: boolean };
  /** Renders the current state; returns the frame buffer (owned by the simulator, copied by the wrapper). */
  render(): Uint8Array;
  /** Writes the vector state into `out` (length `stateSize`). */
  writeState?(out: Float32Array): void;
  /**
   * Sets the simulator, just reset, to a state `writeState` recorded: present where that vector pins down the
   * dynamics from there on (not car-racing: its track comes from the reset seed). `restoreLeavesOut` names what
   * the vector leaves at its reset value (null: nothing).
   */
  restore?(state: Float32Array): void;
  readonly restoreLeavesOut?: string | null;
  /** Extra per-step info (e.g. tiles visited). */
  info?(): Record<string, unknown>;
  goalImage?(): Uint8Array;
  isSuccess?(): boolean;
  /** Evaluation goals: each rendered from its goal state (the simulator's state is restored afterwards). */
  goalList?(): EnvGoal[];
}

/**
 * Gym-like env over a Simulator: validates and clips actions (discrete: index or one-hot), repeats each
 * action `actionRepeat` times summing rewards (stopping early on termination, rendering once at the end),
 * and truncates after `maxSteps` wrapped steps.
 */
export class WrappedEnv implements Env {
  readonly observationShape: [number, number, 3];
  readonly actionSpace: Space;
  readonly stateSize: number;
  private readonly act: Float64Array;
  private steps = 0;
  private started = false;
  private over = false;

  constructor(
    readonly name: string,
    readonly unwrapped: Simulator,
    readonly options: Required<EnvOptions>,
  ) {
    this.observationShape = unwrapped.observationShape;
    this.actionSpace = unwrapped.actionSpace;
    this.stateSize = unwrapped.stateSize;
    this.act = new Float64Array(this.actionSpace.kind === 'box' ? this.actionSpace.shape[0] : 1);
    if (unwrapped.goalList) this.goals = () => unwrapped.goalList!();
    if (unwrapped.restore) {
      this.restoreLeavesOut = unwrapped.restoreLeavesOut ?? null;
      this.restore = (seed, state) => {
        if (state.length !== this.stateSize)
          throw new UserError(
            `${this.name}: the recorded state has ${state.length} numbers, expected ${this.stateSize}`,
          );
        this.reset(seed);
        unwrapped.restore!(state);
        return this.observe();
      };
    }
  }

  goals?: () => EnvGoal[];
  restore?: (seed: number, state: Float32Array) => Observation;
  readonly restoreLeavesOut?: string | null;

  reset(seed: number): Observation {
    if (!Number.isFinite(seed)) throw new UserError(`${this.name}: reset(seed) needs a finite number, got ${seed}`);
    this.unwrapped.reset(seed);
    this.steps = 0;
    this.started = true;
    this.over = false;
    return this.observe();
  }

  observe(): Observation {
    const image = this.unwrapped.render().slice();
    if (!this.unwrapped.writeState || this.stateSize === 0) return { image };
    const state = new Float32Array(this.stateSize);
    this.unwrapped.writeState(state);
    return { image, state };
  }

  step(action: ArrayLike<number> | number): StepResult {
    if (!this.started) throw new UserError(`${this.name}: step() called before reset(seed)`);
    if (this.over) throw new UserError(`${this.name}: step() called after the episode ended; call reset(seed) first`);
    this.parseAction(action);
    let reward = 0;
    let terminated = false;
    for (let k = 0; k < this.options.actionRepeat; k++) {
      const r = this.unwrapped.advance(this.act);
      reward += r.reward;
      if (r.terminated) {
        terminated = true;
        break;
      }
    }
    this.steps++;
    const truncated = !terminated && this.steps >= this.options.maxSteps;
    this.over = terminated || truncated;
    const info: Record<string, unknown> = { steps: this.steps, ...(this.unwrapped.info?.() ?? {}) };
    return { obs: this.observe(), reward, terminated, truncated, info };
  }

  /** Validates `action` against the space and writes it (clipped) into `this.act`. */
  private parseAction(action: ArrayLike<number> | number): void {
    const sp = this.actionSpace;
    if (sp.kind === 'discrete') {
      let idx: number;
      if (typeof action === 'number') {
        idx = action;
      } else {
        if (!action || typeof action.length !== 'number' || action.length !== sp.n) {
          throw new UserError(
            `${this.name}: a discrete action must be an integer in [0, ${sp.n}) or a one-hot vector of length ${sp.n}, got ${describe(action)}`,
          );
        }
        idx = -1;
        let ones = 0;
        for (let i = 0; i < sp.n; i++) {
          const v = action[i];
          if (v === 1) {
            idx = i;
            ones++;
          } else if (v !== 0) {
            ones = -Infinity;
          }
        }
        if (ones !== 1)
          throw new UserError(
            `${this.name}: a one-hot action needs exactly one 1 and zeros elsewhere, got ${describe(action)}`,
          );
      }
      if (!Number.isInteger(idx) || idx < 0 || idx >= sp.n) {
        throw new UserError(`${this.name}: a discrete action must be an integer in [0, ${sp.n}), got ${idx}`);
      }
      this.act[0] = idx;
      return;
    }
    const dim = sp.shape[0];
    if (typeof action === 'number') {
      if (dim !== 1)
        throw new UserError(`${this.name}: expected an action vector of length ${dim}, got the number ${action}`);
      action = [action];
    }
    if (!action || typeof action.length !== 'number' || action.length !== dim) {
      throw new UserError(
        `${this.name}: expected an action vector of length ${dim} (box [${sp.low}]..[${sp.high}]), got ${describe(action)}`,
      );
    }
    for (let i = 0; i < dim; i++) {
      const v = Number(action[i]);
      if (!Number.isFinite(v))
        throw new UserError(`${this.name}: action[${i}] must be a finite number, got ${action[i]}`);
      this.act[i] = v < sp.low[i] ? sp.low[i] : v > sp.high[i] ? sp.high[i] : v;
    }
  }
}

/** A WrappedEnv over a goal-reaching simulator. */
export class WrappedGoalEnv extends WrappedEnv implements GoalEnv {
  goalImage(): Uint8Array {
    return this.unwrapped.goalImage!().slice();
  }
  isSuccess(): boolean {
    return this.unwrapped.isSuccess!();
  }
}

function describe(a: unknown): string {
  if (a === null || a === undefined) return String(a);
  if (typeof a === 'object' && 'length' in (a as object)) {
    const arr = Array.from(a as ArrayLike<unknown>).slice(0, 8);
    return `[${arr.join(', ')}${(a as ArrayLike<unknown>).length > 8 ? ', …' : ''}] (length ${(a as ArrayLike<unknown>).length})`;
  }
  return `${typeof a} ${String(a)}`;
}
