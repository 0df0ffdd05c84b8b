import type { Behavior } from '../agents/behavior.ts';
import type { ActorName } from '../agents/episode-tags.ts';
import { Lexa } from '../agents/lexa.ts';
import type { Episode } from '../data/episode.ts';
import type { LatentWorldModel } from '../models/latent-world-model.ts';
import { Rng } from '../util/rng.ts';

/**
 * Goals for the achiever's training episodes: frames of the run's training episodes, uniformly (lexa train.py
 * `GCDreamer.sample_replay_goal` takes the goal image from a freshly sampled replay batch). Keeps references to
 * at most `cap` episodes (reservoir sampling, so old and new episodes stay equally likely).
 * Every draw takes its numbers from (seed, its own index) rather than one running stream, so a resumed run that
 * re-adds the checkpoint's episodes in order holds the same pool and draws the same goals as the uninterrupted
 * one (as the trainer's per-step RNG does for batches).
 */
export class ReplayGoals {
  private readonly pool: Episode[] = [];
  private seen = 0;

  constructor(
    private readonly seed: number,
    private readonly cap = 256,
  ) {}

  add(ep: Episode): void {
    this.seen += 1;
    if (this.pool.length < this.cap) this.pool.push(ep);
    else {
      const j = new Rng(mixSeed(this.seed, 2 * this.seen)).int(this.seen);
      if (j < this.cap) this.pool[j] = ep;
    }
  }

  get size(): number {
    return this.pool.length;
  }

  /** The numbers of the draw for collected episode `index` (the same whenever that episode is collected). */
  rngFor(index: number): Rng {
    return new Rng(mixSeed(this.seed, 2 * index + 1));
  }

  /** A random frame (uint8 H×W×3) of a random stored episode, with its size; null when none is stored. */
  sample(rng: Rng): { image: Uint8Array; size: number } | null {
    if (this.pool.length === 0) return null;
    const ep = this.pool[rng.int(this.pool.length)];
    const [T, H, W] = ep.imageShape;
    const t = rng.int(T);
    const px = H * W * 3;
    return { image: ep.image.slice(t * px, (t + 1) * px), size: H };
  }
}

/** A 32-bit hash of (seed, k): independent streams for neighbouring k (murmur3's finaliser). */
function mixSeed(seed: number, k: number): number {
  let h = (seed ^ 0x90a1) >>> 0;
  h = Math.imul(h ^ (k + 1), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Who acts in the next collected episode and towards which goal: LEXA takes its turn (explorer or achiever, the
 * achiever towards a replay frame), Plan2Explore explores, any other behaviour is the plain agent.
 */
export function nextEpisodeActor(
  behavior: Behavior,
  wm: LatentWorldModel,
  goals: ReplayGoals,
  rng: Rng,
): { actor: ActorName; goalImage?: Uint8Array } {
  if (behavior.kind === 'plan2explore') return { actor: 'explorer' };
  if (!(behavior instanceof Lexa)) return { actor: 'agent' };
  const g = goals.sample(rng);
  if (behavior.beginEpisode() === 'explorer' || !g) {
    behavior.acting = 'explorer';
    return { actor: 'explorer' };
  }
  behavior.achiever.setGoalImage(wm, g.image, g.size);
  return { actor: 'achiever', goalImage: g.image };
}
