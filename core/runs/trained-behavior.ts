import type { Behavior } from '../agents/behavior.ts';
import { LinearController } from '../agents/linear-controller.ts';
import type {
  FamilyCheckpoint,
  PhaseSpec,
  StepContext,
  StepReport,
  TrainData,
  TrainedBehavior,
  TrainSession,
} from '../models/family.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { scoreInEnv, type AgentEnvOptions } from './agent-session.ts';
import { dataEnvOptions } from './data-env.ts';
import { isUserError } from '../util/errors.ts';

/**
 * Behaviours a family trains inside itself (World Models' CMA-ES controller in the dream) are acted out and
 * scored by the runner, like every other behaviour: the controller behaviour (core/agents/linear-controller.ts)
 * on the family's `latent()` view, through the one rollout loop, against a uniformly random policy on the same
 * env seeds. The family never steps an env.
 */
export function behaviorOf(tb: TrainedBehavior): Behavior {
  return new LinearController(tb.theta, tb.actions);
}

export interface BehaviorScore {
  real_return: number;
  random_return: number;
  eval_episodes: number;
}

/** Mean real-env return of a family-trained behaviour and of a random policy (env seeds seed, seed+1, …). */
export function scoreTrainedBehavior(
  envName: string,
  wm: LatentWorldModel,
  tb: TrainedBehavior,
  seed: number,
  /** The env as the training data was collected (dataEnvOptions: the data's repeat and background). */
  envOpts: AgentEnvOptions,
): BehaviorScore {
  const behavior = behaviorOf(tb);
  try {
    const r = scoreInEnv(envName, envOpts, wm, behavior, tb.evalEpisodes, seed);
    return { real_return: r.agent, random_return: r.random, eval_episodes: tb.evalEpisodes };
  } finally {
    behavior.dispose();
  }
}

/** A family's session with its self-trained behaviour scored in the env at the end of the phase that trains it. */
export class TrainedBehaviorSession implements TrainSession {
  readonly phases: PhaseSpec[];

  constructor(
    private readonly inner: TrainSession,
    private readonly opts: {
      env: string | null;
      /** How the training data was collected (absent: the env's own repeat, the plain background). */
      data?: Pick<TrainData, 'actionRepeat' | 'background'>;
      seed: number;
      log(msg: string): void;
    },
  ) {
    this.phases = inner.phases;
  }

  beginPhase(phase: string, signal: AbortSignal): Promise<void> {
    return this.inner.beginPhase(phase, signal);
  }

  step(ctx: StepContext): Promise<StepReport> {
    return this.inner.step(ctx);
  }

  async endPhase(phase: string, signal: AbortSignal): Promise<Record<string, number>> {
    const out = await this.inner.endPhase(phase, signal);
    const tb = this.inner.trainedBehavior?.() ?? null;
    if (!tb || tb.phase !== phase) return out;
    const wm = this.inner.latent?.() ?? null;
    if (!this.opts.env || !wm) {
      this.opts.log(`${tb.kind}: the dataset names no built-in env, so the real-env evaluation is skipped`);
      return out;
    }
    let envOpts: AgentEnvOptions;
    try {
      // At the data's repeat (else the env's own, as WMx's rollouts), its episode length there (CarRacing: 1000
      // frames) and over the data's background.
      envOpts = await dataEnvOptions(wm.imageSize, this.opts.data ?? {});
    } catch (e) {
      if (!isUserError(e)) throw e;
      this.opts.log(`${tb.kind}: not scored in ${this.opts.env}: ${e.message}`);
      return out;
    }
    const s = scoreTrainedBehavior(this.opts.env, wm, tb, 1_000_000 + this.opts.seed, envOpts);
    this.opts.log(
      `${tb.kind} in ${this.opts.env}: ${s.real_return.toFixed(2)} vs random ${s.random_return.toFixed(2)} over ${s.eval_episodes} episodes`,
    );
    return { ...out, ...s };
  }

  checkpoint(): FamilyCheckpoint {
    return this.inner.checkpoint();
  }

  restore(ckpt: FamilyCheckpoint): void {
    this.inner.restore(ckpt);
  }

  latent(): LatentWorldModel | null {
    return this.inner.latent?.() ?? null;
  }

  trainedBehavior(): TrainedBehavior | null {
    return this.inner.trainedBehavior?.() ?? null;
  }

  dispose(): void {
    this.inner.dispose();
  }
}
