import type { Env } from '../envs/types.ts';
import { UserError } from '../util/errors.ts';

/**
 * Starting a built-in env at a recorded episode row (the real side of the Dream Lab's goal panel). Episodes record
 * the env's true `state` per row but not the seed of their reset (collection draws it from a forked stream), so an
 * episode cannot be replayed from its seed and actions; an env whose recorded state pins down its simulator
 * (`Env.restore`) can be set to it instead. The caller compares the env's frame with the recorded one to say
 * whether the start is exact.
 */
export interface RestoredEnv {
  /** The env whose reset(seed) resets, then sets the recorded state. */
  env: Env;
  /** What the recorded state leaves at its reset value; null when it is complete. */
  missing: string | null;
}

/** `env` (a fresh built-in env) wrapped to start at `state`; an env that cannot be restored is a UserError. */
export function restoredEnv(env: Env, state: Float32Array): RestoredEnv {
  const restore = env.restore?.bind(env);
  if (!restore || !env.observe)
    throw new UserError(
      `env '${env.name}' cannot be set to a recorded state (its recorded state does not pin down the simulator), and episodes do not record their reset seed to replay from`,
    );
  if (state.length !== env.stateSize)
    throw new UserError(`env '${env.name}': the recorded state has ${state.length} numbers, expected ${env.stateSize}`);
  return {
    env: {
      name: env.name,
      observationShape: env.observationShape,
      actionSpace: env.actionSpace,
      stateSize: env.stateSize,
      reset: (seed) => restore(seed, state),
      step: (a) => env.step(a),
      observe: () => env.observe!(),
      ...(env.goals ? { goals: () => env.goals!() } : {}),
    },
    missing: env.restoreLeavesOut ?? null,
  };
}
