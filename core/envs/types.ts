import type { VideoFrames } from './background.ts';
/**
 * The Gym-like environment interface every built-in env implements.
 * Observations are RGB uint8 frames H×W×3 (row-major, channels last) plus the vector state where one exists.
 */
export type Space = { kind: 'box'; shape: number[]; low: number[]; high: number[] } | { kind: 'discrete'; n: number };

export interface Observation {
  /** H×W×3 uint8, row-major. */
  image: Uint8Array;
  /** Low-dimensional physical state where the env has one (positions, velocities). */
  state?: Float32Array;
}

export interface StepResult {
  obs: Observation;
  reward: number;
  /** The task ended for real (e.g. off the playfield): no bootstrapping past it. */
  terminated: boolean;
  /** Cut by a time limit. */
  truncated: boolean;
  info: Record<string, unknown>;
}

export interface EnvOptions {
  /** Render size in pixels (square). Default 64 (shapes-2d: 50, as C-SWM). */
  size?: number;
  /** Each step repeats the action this many times, summing rewards. */
  actionRepeat?: number;
  /** Steps (after action repeat) before truncation. */
  maxSteps?: number;
  /** What is drawn behind the bodies: 'plain' (default), or a distractor 'noise' / 'video' (core/envs/background.ts). */
  background?: 'plain' | 'noise' | 'video';
  /**
   * With background 'video': a user-given clip at the env's frame size (core/media/background-frames.ts loads a
   * folder of images or an animated GIF/WebP) instead of the procedural texture; null or absent = procedural.
   */
  backgroundFrames?: VideoFrames | null;
}

export interface Env {
  readonly name: string;
  readonly observationShape: [number, number, 3];
  readonly actionSpace: Space;
  /** Length of `Observation.state` (0 when the env has no vector state). */
  readonly stateSize?: number;
  /** The options in effect (defaults filled in). */
  readonly options?: Required<EnvOptions>;
  reset(seed: number): Observation;
  /** Continuous: a Float32Array/number[] of the box's size. Discrete: a number (index) or a one-hot vector. */
  step(action: ArrayLike<number> | number): StepResult;
  /** The current observation without stepping (e.g. after a test/debug hook changed the state). */
  observe?(): Observation;
  /**
   * Test/debug hook: the raw single-step simulator under the action-repeat/time-limit wrapper, for setting
   * states in tests (e.g. `setState` on cartpole/pendulum, `teleport` in shapes-2d). Not for agents.
   */
  readonly unwrapped?: unknown;
  /**
   * The env's evaluation goals (goal-reaching benchmarks: point-goals, per-pad pinpad goals), absent where it
   * has none. Success is judged from the env's vector state and is never given to the agent as a reward.
   */
  goals?(): EnvGoal[];
  /**
   * Starts an episode as reset(seed) does, then sets the env to a recorded `Observation.state`, so an episode's
   * row can be continued without its reset seed (episodes do not record it). Absent where the recorded state
   * does not pin down the simulator; `restoreLeavesOut` names what it leaves at its reset value (null: nothing).
   */
  restore?(seed: number, state: Float32Array): Observation;
  readonly restoreLeavesOut?: string | null;
}

/** One evaluation goal: a name, the frame the agent is shown (rendered from the goal state), a success test. */
export interface EnvGoal {
  name: string;
  /** H×W×3 uint8 at the env's render size. */
  image: Uint8Array;
  /** Whether a vector state (`Observation.state`) reaches the goal. */
  success(state: Float32Array): boolean;
}

/** Goal-reaching envs (pinpad) expose goal images and a success test for goal-conditioned agents. */
export interface GoalEnv extends Env {
  goalImage(): Uint8Array;
  isSuccess(): boolean;
}

/**
 * Where the frames show the state plainly, an env can say so (EnvSpec.stateRegion): car-racing's pose relative to
 * the track is drawn on the road, but past its edge the offset grows while the view shows grass, so one linear
 * read-out over every frame is bent by the few far off-road frames that carry most of the offset's variance. The
 * state probe is then also fitted and scored on the region's frames alone, reported under `probe_r2 NAME`.
 */
export interface StateRegion {
  /** Reported as `probe_r2 NAME/VAR@k` (e.g. 'on road'). */
  name: string;
  /** The raw state variable that decides it, and the bound on its magnitude. */
  variable: string;
  maxAbs: number;
}

export interface EnvSpec {
  name: string;
  /** Action space (the same for every render size). */
  actionSpace?: Space;
  /** Length of the vector state (0 when none). */
  stateSize?: number;
  /** Name of each entry of the vector state, in order (e.g. cartpole: cart position, cos/sin pole angle, …). */
  stateNames?: string[];
  /** The state variables (by name) that are angles in radians: the state probe fits their cos and sin instead. */
  stateAngles?: string[];
  /** The state variables set by where an episode starts, which no frame shows: the probe also scores their change since t = 0. */
  stateFromStart?: string[];
  /** Where the frames show the state plainly: the probe is also fitted and scored there alone (StateRegion). */
  stateRegion?: StateRegion;
  /** Whether the env implements GoalEnv (goal images and a success test). */
  goal?: boolean;
  /** The anchor implementation this env is faithful to (repo · file). */
  anchor?: string;
  /** One-paragraph doc: what is observed, the actions, the reward, the episode length, and its anchor. */
  doc: string;
  defaults: Required<EnvOptions>;
  make(opts?: EnvOptions): Env;
}
