import type * as tf from '@tensorflow/tfjs-core';
import type { LexaConfig } from '../models/lexa-config.ts';
import type { LatentState, LatentWorldModel } from '../models/latent-world-model.ts';
import { Achiever } from './achiever.ts';
import type { Behavior, BehaviorCheckpoint, BehaviorUpdate, StartBatchInfo } from './behavior.ts';
import { Plan2Explore } from './plan2explore.ts';

/**
 * tools.EveryNCalls of orybkin/lexa (lexa/tools.py): true on the first call, then whenever the call count
 * reaches the last trigger + N. With N = 2 that is calls 1, 4, 6, 8, … (the reference's own sequence). N = 0:
 * never.
 */
export class EveryNCalls {
  private last = 0;
  private step = 0;
  value = false;

  constructor(readonly every: number) {}

  call(): boolean {
    if (!this.every) return (this.value = false);
    this.step += 1;
    if (this.step >= this.last + this.every || this.last === 0) {
      this.last += this.every;
      return (this.value = true);
    }
    return (this.value = false);
  }

  state(): { last: number; step: number } {
    return { last: this.last, step: this.step };
  }

  load(s: { last?: unknown; step?: unknown }): void {
    this.last = Number(s.last ?? 0);
    this.step = Number(s.step ?? 0);
  }
}

/** Which behaviour collected an episode, as recorded in it (`behavior` row key, episode-tags.ts). */
export type Actor = 'explorer' | 'achiever';

/**
 * LEXA (orybkin/lexa lexa/train.py `GCDreamer`): the Plan2Explore explorer and the achiever both learn on
 * every update (each from the same start states); in the env they take turns per episode (`beginEpisode`,
 * `expl_every_ep`). Checkpointed as one group with `explorer/…` and `achiever/…` sub-groups.
 */
export class Lexa implements Behavior {
  readonly kind = 'lexa' as const;
  readonly explorer: Plan2Explore;
  readonly achiever: Achiever;
  readonly turns: EveryNCalls;
  /** Who acts in the current episode. */
  acting: Actor = 'explorer';

  constructor(
    readonly config: LexaConfig,
    wm: LatentWorldModel,
    seed: number,
  ) {
    this.explorer = new Plan2Explore(config.explorer, wm, seed);
    this.achiever = new Achiever(config.achiever, wm, seed + 1);
    this.turns = new EveryNCalls(config.explEveryEp);
  }

  /** Starts an episode: the explorer's turn or the achiever's (who then needs `achiever.setGoal…`). */
  beginEpisode(): Actor {
    this.acting = this.turns.call() ? 'explorer' : 'achiever';
    return this.acting;
  }

  act(wm: LatentWorldModel, state: LatentState, seed: number | null): Float32Array {
    return (this.acting === 'explorer' ? this.explorer : this.achiever).act(wm, state, seed);
  }

  update(wm: LatentWorldModel, starts: LatentState, seed: number, batch?: StartBatchInfo): BehaviorUpdate {
    const e = this.explorer.update(wm, starts, seed, batch);
    const a = this.achiever.update(wm, starts, seed ^ 0x5a5a, batch);
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(e.metrics)) metrics[`expl_${k}`] = v;
    for (const [k, v] of Object.entries(a.metrics)) metrics[`ach_${k}`] = v;
    const reason = e.reason ? `explorer: ${e.reason}` : a.reason ? `achiever: ${a.reason}` : undefined;
    return { applied: e.applied && a.applied, ...(reason ? { reason } : {}), metrics };
  }

  checkpoint(): BehaviorCheckpoint {
    const e = this.explorer.checkpoint();
    const a = this.achiever.checkpoint();
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(e.tensors)) tensors[`explorer/${k}`] = t;
    for (const [k, t] of Object.entries(a.tensors)) tensors[`achiever/${k}`] = t;
    return { tensors, state: { explorer: e.state, achiever: a.state, turns: this.turns.state() } };
  }

  restore(ckpt: BehaviorCheckpoint): void {
    const sub = (prefix: string) => {
      const out: Record<string, tf.Tensor> = {};
      for (const [k, t] of Object.entries(ckpt.tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
      return out;
    };
    const st = ckpt.state as { explorer?: Record<string, unknown>; achiever?: Record<string, unknown>; turns?: object };
    this.explorer.restore({ tensors: sub('explorer/'), state: st.explorer ?? {} });
    this.achiever.restore({ tensors: sub('achiever/'), state: st.achiever ?? {} });
    this.turns.load(st.turns ?? {});
  }

  dispose(): void {
    this.explorer.dispose();
    this.achiever.dispose();
  }
}
