import { PinPad } from '../envs/pinpad.ts';
import { PointGoals } from '../envs/point-goals.ts';
import type { Env, Observation } from '../envs/types.ts';
import { UserError } from '../util/errors.ts';

/**
 * Starting a built-in env at a recorded episode row (the real side of the Dream Lab's goal panel). Episodes record
 * the env's true `state` per row but not the seed of their reset (core/agents/rollout.ts records none; collection
 * draws it from a forked stream), so an episode cannot be replayed from its seed and actions; setting the
 * simulator to the recorded state can, where that vector is the simulator's whole state. The Env interface has no
 * restore method, so the simulator under `unwrapped` (its debug hook for setting states) is set per env here; the
 * caller compares the env's frame with the recorded one to say whether the start is exact.
 */
interface Restorer {
  /** Whether the simulator under `unwrapped` is this env's. */
  owns(sim: unknown): boolean;
  set(sim: unknown, state: Float32Array): void;
  /** What the recorded state leaves out (the env starts with its reset value there); null when it is complete. */
  missing: string | null;
}

const RESTORERS: Restorer[] = [
  {
    // [x, y] is the whole state of the kinematic point.
    owns: (sim) => sim instanceof PointGoals,
    set: (sim, s) => Object.assign(sim as PointGoals, { x: s[0], y: s[1] }),
    missing: null,
  },
  {
    // [x, y, countdown]: the pads visited so far (the sequence bar) and the respawn stream are not recorded.
    owns: (sim) => sim instanceof PinPad,
    set: (sim, s) => {
      const p = sim as PinPad;
      p.teleport(s[0], s[1]);
      p.countdown = s[2];
    },
    missing: 'the pads visited so far (the sequence bar) are not in the recorded state: the env starts with none',
  },
];

export interface RestoredEnv {
  /** The env whose reset(seed) resets, then sets the recorded state. */
  env: Env;
  missing: string | null;
}

/** `env` (a fresh built-in env) wrapped to start at `state`; an env without a restorer is a UserError. */
export function restoredEnv(env: Env, state: Float32Array): RestoredEnv {
  const r = RESTORERS.find((x) => x.owns(env.unwrapped));
  if (!r || !env.observe)
    throw new UserError(
      `env '${env.name}' cannot be set to a recorded state (only point-goals and pinpad can), and episodes do not record their reset seed to replay from`,
    );
  if (state.length !== env.stateSize)
    throw new UserError(`env '${env.name}': the recorded state has ${state.length} numbers, expected ${env.stateSize}`);
  const observe = (): Observation => env.observe!();
  return {
    env: {
      name: env.name,
      observationShape: env.observationShape,
      actionSpace: env.actionSpace,
      stateSize: env.stateSize,
      reset: (seed) => {
        env.reset(seed);
        r.set(env.unwrapped, state);
        return observe();
      },
      step: (a) => env.step(a),
      observe,
      ...(env.goals ? { goals: () => env.goals!() } : {}),
    },
    missing: r.missing,
  };
}
