import { UserError } from '../util/errors.ts';
import { CarRacing } from './car-racing.ts';
import { CartpoleSwingup } from './cartpole.ts';
import { PendulumSwingup } from './pendulum.ts';
import { PinPad, PINPAD_TASKS } from './pinpad.ts';
import { PointGoals } from './point-goals.ts';
import { Shapes2d } from './shapes.ts';
import type { Env, EnvOptions, EnvSpec, GoalEnv, Space, StateRegion } from './types.ts';
import { TRACK_WIDTH } from './car-track.ts';
import { type Background, BACKGROUNDS, isBackground, type VideoFrames } from './background.ts';
import { WrappedEnv, WrappedGoalEnv, type Simulator } from './wrapper.ts';

interface Entry {
  name: string;
  doc: string;
  anchor: string;
  actionSpace: Space;
  stateSize: number;
  /** What each entry of the vector state is, in order (as writeState fills it). */
  stateNames: string[];
  /** The state variables that are angles in radians (the state probe reads their cos and sin). */
  stateAngles?: string[];
  /** The state variables set by where an episode starts (the probe also scores their change since t = 0). */
  stateFromStart?: string[];
  /** Where the frames show the state plainly (StateRegion). */
  stateRegion?: StateRegion;
  goal: boolean;
  size: number;
  actionRepeat: number;
  /** Episode length in simulator steps; the wrapper's maxSteps defaults to ⌈limit / actionRepeat⌉. */
  limit: number;
  create(size: number, background: Background, clip: VideoFrames | null): Simulator;
  /** Whether the env draws distractor backgrounds (EnvOptions.background). */
  backgrounds?: boolean;
}

const BOX1: Space = { kind: 'box', shape: [1], low: [-1], high: [1] };

const ENTRIES: Entry[] = [
  {
    name: 'car-racing',
    anchor: 'Farama-Foundation/Gymnasium · gymnasium/envs/box2d/car_racing.py, car_dynamics.py (World Models task)',
    doc:
      'Top-down racing on a random closed track generated from the seed (12 noisy checkpoints around a circle, as the anchor). ' +
      'Observation: RGB frame of the view that follows and rotates with the car (grass/road/kerb colours of the anchor; the frame is the ' +
      "anchor's 96×96 state above the indicator bar — the World Models crop — resized to size×size, 2×2 supersampled), " +
      'plus state [x, y, angle, vx, vy, angular velocity, 4 wheel omegas, steering angle, track offset, heading to track] ' +
      "(the last two: the lateral offset from the nearest track point and the heading minus the track's there). " +
      'Action: box [steer ∈ [−1,1], gas ∈ [0,1], brake ∈ [0,1]]. Physics: Box2D via planck.js at 50 FPS — hull + 4 wheel bodies on ' +
      "revolute joints with the anchor's tyre-force model (rear-wheel drive, friction limit lower on grass). " +
      'Reward: −0.1 per frame + 1000/N per newly visited tile (N tiles); −100 and terminated when leaving the playfield; terminated when ' +
      'all tiles are visited. Length: 1000 frames (truncated). Deviations: no indicator bar, no skid marks, no zoom-out view modes; ' +
      "v0 termination (all tiles) rather than Gymnasium v1+'s 95% lap rule; planck.js instead of pybox2d (same algorithms); our " +
      "seeded generator is not numpy's, so tracks differ from the anchor's for the same seed. Kept: the zoom-in during the first " +
      'second, tiles turning plain grey once touched, the one action-less physics frame in reset.',
    actionSpace: { kind: 'box', shape: [3], low: [-1, 0, 0], high: [1, 1, 1] },
    stateSize: 13,
    stateNames: [
      'x',
      'y',
      'angle',
      'vx',
      'vy',
      'angular velocity',
      'wheel 0 omega',
      'wheel 1 omega',
      'wheel 2 omega',
      'wheel 3 omega',
      'steering angle',
      // Appended after the first 11 (datasets recorded before have 11 columns: the probe reads the names that fit).
      'track offset',
      'heading to track',
    ],
    // The hull angle winds past ±π without bound (Box2D); the steering angle stays within ±0.42 rad, no wrap.
    stateAngles: ['angle', 'heading to track'],
    // The car starts at the random track's first point with its heading (start x spans 60–221 across tracks):
    // the view follows and turns with the car, so only the pose's change since the start is in the frames.
    stateFromStart: ['x', 'y', 'angle'],
    // On the road (its half width from the centre line) the frame shows the track pose; off it, the offset grows
    // while the view fills with grass (session 33: 82 % of random-policy frames, 10 % of the offset's variance).
    stateRegion: { name: 'on road', variable: 'track offset', maxAbs: TRACK_WIDTH },
    goal: false,
    size: 64,
    actionRepeat: 1,
    limit: 1000,
    create: (size) => new CarRacing(size),
  },
  {
    name: 'cartpole-swingup',
    anchor: 'google-deepmind/dm_control · dm_control/suite/cartpole.py (swingup), cartpole.xml, utils/rewards.py',
    doc:
      'dm_control cartpole swing-up: cart mass 1 on a ±1.8 m slider, capsule pole 1 m long (mass 0.1) hinged at the cart, motor gear 10, ' +
      'joint damping 5e-4 / 2e-6, dt 0.01; starts hanging down (θ = π + 0.01·N(0,1)). Observation: side view from the xml\'s "fixed" camera ' +
      '(size×size, 2×2 supersampled) plus state [x, cos θ, sin θ, ẋ, θ̇]. Action: force ∈ [−1, 1]. Reward per simulator step: ' +
      'upright·centered·small_control·small_velocity exactly as Balance._get_reward with rewards.tolerance; with action repeat the rewards ' +
      'of the repeated steps are summed. Length: 1000 simulator steps (10 s) = 1000/actionRepeat env steps. Default action repeat 8 ' +
      '(PlaNet; Dreamer v1/v2 use 2). Deviations: our own RK4 integration of the Lagrangian instead of MuJoCo (same timestep and ' +
      "integrator type); the slider limit is a spring-damper approximating MuJoCo's soft constraint (solref .08 1); flat-shaded render " +
      'with the camera geometry but without MuJoCo lighting.',
    actionSpace: BOX1,
    stateSize: 5,
    stateNames: ['cart position', 'cos pole angle', 'sin pole angle', 'cart velocity', 'pole angular velocity'],
    goal: false,
    size: 64,
    actionRepeat: 8,
    limit: 1000,
    backgrounds: true,
    create: (size, background, clip) => new CartpoleSwingup(size, background, clip),
  },
  {
    name: 'pendulum-swingup',
    anchor: 'google-deepmind/dm_control · dm_control/suite/pendulum.py (swingup), pendulum.xml',
    doc:
      'dm_control pendulum swing-up: point mass 1 kg (sphere r 0.05) at 0.5 m on a hinge with damping 0.1, torque gear 1, dt 0.02; ' +
      'starts at an angle uniform in [−π, π) at rest. Observation: view from the xml\'s "fixed" camera (looking 45° down), ' +
      'size×size, plus state [cos θ, sin θ, θ̇]. Action: torque ∈ [−1, 1]. Reward: sparse, 1 when the pole is within 8° of upright ' +
      '(tolerance(cos θ, (cos 8°, 1))), else 0. Length: 1000 simulator steps (20 s) = 1000/actionRepeat env steps; default action repeat 2 ' +
      "(Dreamer). Deviations: RK4 instead of MuJoCo's Euler integrator; flat-shaded render without MuJoCo lighting.",
    actionSpace: BOX1,
    stateSize: 3,
    stateNames: ['cos angle', 'sin angle', 'angular velocity'],
    goal: false,
    size: 64,
    actionRepeat: 2,
    limit: 1000,
    backgrounds: true,
    create: (size, background, clip) => new PendulumSwingup(size, background, clip),
  },
  {
    name: 'shapes-2d',
    anchor: 'tkipf/c-swm · envs/block_pushing.py (render_type="shapes")',
    doc:
      'C-SWM 2D Shapes: 5 objects on a 5×5 grid, object i a circle / triangle / square for i % 3 = 0 / 1 / 2 in matplotlib Set1 colours ' +
      '(red, blue, green, purple, orange) on black; 50×50 native (10 px cells). Observation: the frame plus state [row, col] per object. ' +
      'Action: discrete 20 = object·4 + direction (up, right, down, left); a move into a wall or onto another object does nothing. ' +
      'Reward: 0. Length: 100 steps (C-SWM training episodes). Deviations: other sizes scale the cells (C-SWM encoders assume 50×50); ' +
      'shapes are filled by pixel-centre sampling, which differs from skimage.draw at a few edge pixels.',
    actionSpace: { kind: 'discrete', n: 20 },
    stateSize: 10,
    stateNames: Array.from({ length: 10 }, (_, i) => `object ${i >> 1} ${i % 2 ? 'col' : 'row'}`),
    goal: false,
    size: 50,
    actionRepeat: 1,
    limit: 100,
    create: (size) => new Shapes2d(size),
  },
  {
    name: 'point-goals',
    anchor:
      'orybkin/lexa-benchmark · envs/dmc.py (goal images rendered from goal states; success from the state, never a reward)',
    doc:
      'Goal-reaching benchmark for LEXA: a point in the square [−1, 1]² moved by a 2-D action, p′ = clip(p + 0.1·a) (velocity = action). ' +
      'Observation: size×size frame (dark floor, four coloured corner markers, the point as a white disc, 2×2 supersampled) plus state [x, y]. ' +
      'Action: box [−1, 1]². Reward: always 0. Start: uniform in [−0.9, 0.9]² from the seed. Length: 50 steps. Goals (goals()): 8 positions ' +
      'on a ring of radius 0.6 (east, north-east, …), each image rendered with the point at the goal; success = within 0.15 of it at the ' +
      "episode's end. Not a port: a small stand-in for LEXA's walker poses that a CPU learns in minutes.",
    actionSpace: { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] },
    stateSize: 2,
    stateNames: ['x', 'y'],
    goal: false,
    size: 64,
    actionRepeat: 1,
    limit: 50,
    create: (size) => new PointGoals(size),
  },
  ...PINPAD_TASKS.map((task): Entry => ({
    name: `pinpad-${task}`,
    anchor: 'danijar/dreamerv3 · embodied/envs/pinpad.py',
    doc:
      `DreamerV3 PinPad (${task}): a 16×14 room with coloured pads 1..n; the player (black cell) starts on a random free cell. ` +
      'Observation: 64×64 frame (16×16 grid of 4 px cells: the room plus a bar showing the last pads visited; the pad under the player ' +
      'is drawn in full colour, others pale) plus state [x, y, countdown]. Action: discrete 5 (noop, down, up, right, left). ' +
      'Reward: +10 when the visited pads (consecutive repeats collapsed) equal the order 1→…→n; then a 10-step countdown with a green ' +
      'background, after which the player respawns and the sequence clears. Length: 10000 steps (anchor default). Goal interface: ' +
      'goalImage() is the frame right after success (player on pad n, full sequence, green), isSuccess() is true during the countdown; ' +
      'goals() lists one goal per pad (the player on pad k, rendered with an empty sequence bar; success = on pad k). ' +
      'Deviations: none in the logic (1:1 port); spawns use our seeded generator.',
    actionSpace: { kind: 'discrete', n: 5 },
    stateSize: 3,
    stateNames: ['player x', 'player y', 'countdown'],
    goal: true,
    size: 64,
    actionRepeat: 1,
    limit: 10000,
    create: (size) => new PinPad(task, size),
  })),
];

/** `pinpad` is an alias of `pinpad-three` (the smallest task). */
const ALIASES: Record<string, string> = { pinpad: 'pinpad-three' };

function entry(name: string): Entry {
  const e = ENTRIES.find((x) => x.name === (ALIASES[name] ?? name));
  if (!e) {
    throw new UserError(
      `unknown environment '${name}'. Expected one of: ${[...ENTRIES.map((x) => x.name), ...Object.keys(ALIASES)].join(', ')}`,
    );
  }
  return e;
}

function resolveOptions(e: Entry, opts: EnvOptions = {}): Required<EnvOptions> {
  const size = opts.size ?? e.size;
  const actionRepeat = opts.actionRepeat ?? e.actionRepeat;
  if (!Number.isInteger(size) || size < 8 || size > 1024)
    throw new UserError(`${e.name}: size must be an integer in [8, 1024], got ${size}`);
  if (!Number.isInteger(actionRepeat) || actionRepeat < 1)
    throw new UserError(`${e.name}: actionRepeat must be an integer >= 1, got ${actionRepeat}`);
  const maxSteps = opts.maxSteps ?? Math.ceil(e.limit / actionRepeat);
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new UserError(`${e.name}: maxSteps must be an integer >= 1, got ${maxSteps}`);
  const background = opts.background ?? 'plain';
  if (!isBackground(background))
    throw new UserError(`${e.name}: background must be one of ${BACKGROUNDS.join(', ')}, got '${String(background)}'`);
  if (background !== 'plain' && !e.backgrounds)
    throw new UserError(
      `${e.name}: has no distractor backgrounds; background '${background}' works on ${ENTRIES.filter(
        (x) => x.backgrounds,
      )
        .map((x) => x.name)
        .join(', ')}`,
    );
  const backgroundFrames = opts.backgroundFrames ?? null;
  if (backgroundFrames) {
    if (background !== 'video')
      throw new UserError(`${e.name}: background frames are for background 'video', got '${background}'`);
    if (backgroundFrames.size !== size)
      throw new UserError(
        `${e.name}: the background frames from ${backgroundFrames.source} are ${backgroundFrames.size}px, the env renders ${size}px; load them at ${size}px`,
      );
    if (backgroundFrames.count < 1 || backgroundFrames.frames.length !== backgroundFrames.count * size * size * 3)
      throw new UserError(
        `${e.name}: the background frames from ${backgroundFrames.source} hold ${backgroundFrames.frames.length} bytes, expected ${backgroundFrames.count} × ${size}×${size}×3`,
      );
  }
  return { size, actionRepeat, maxSteps, background, backgroundFrames };
}

function toSpec(e: Entry): EnvSpec {
  return {
    name: e.name,
    doc: e.doc,
    anchor: e.anchor,
    actionSpace: e.actionSpace,
    stateSize: e.stateSize,
    stateNames: [...e.stateNames],
    stateAngles: [...(e.stateAngles ?? [])],
    stateFromStart: [...(e.stateFromStart ?? [])],
    ...(e.stateRegion ? { stateRegion: { ...e.stateRegion } } : {}),
    goal: e.goal,
    defaults: resolveOptions(e),
    make: (opts?: EnvOptions) => makeEnv(e.name, opts),
  };
}

/** Every built-in environment (aliases not repeated). */
export function listEnvs(): EnvSpec[] {
  return ENTRIES.map(toSpec);
}

/** The spec of `name` (or an alias); unknown names are a UserError listing the valid ones. */
export function getEnvSpec(name: string): EnvSpec {
  return toSpec(entry(name));
}

/**
 * A fresh env. Options: `size` (square render size), `actionRepeat` (each step repeats the action, summing
 * rewards), `maxSteps` (env steps before truncation; default ⌈episode length / actionRepeat⌉), `background`
 * ('plain', or the distractors 'noise' / 'video' on cartpole-swingup and pendulum-swingup).
 */
export function makeEnv(name: string, opts?: EnvOptions): Env {
  const e = entry(name);
  const o = resolveOptions(e, opts);
  const sim = e.create(o.size, o.background, o.backgroundFrames);
  return e.goal ? new WrappedGoalEnv(e.name, sim, o) : new WrappedEnv(e.name, sim, o);
}

/** Type guard for goal-reaching envs. */
export function isGoalEnv(env: Env): env is GoalEnv {
  return typeof (env as GoalEnv).goalImage === 'function' && typeof (env as GoalEnv).isSuccess === 'function';
}
