import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Episode } from '../data/episode.ts';
import { readEpisodeFile, writeEpisode } from '../data/episode-file.ts';
import { heldOutScore } from '../data/replay.ts';
import { makeEnv } from '../envs/registry.ts';
import type { TrainData } from '../models/family.ts';

/**
 * An online run's persisted episodes (<run>/episodes/NNNNN-online.npz, atomic writes) and their split. An
 * episode is held out when the hash of its id falls below the run's held-out fraction (data/replay.ts
 * `heldOutScore`, the same rule as datasets), or when it was collected as a dedicated held-out episode
 * (NNNNN-heldout: the runner adds one when the prefill has none, so even a short run can be evaluated). Both
 * are properties of the id alone: collecting more never moves an episode between sides, and a held-out episode
 * is never trained on, so `oneiro eval` of the run scores unseen episodes.
 */
export const EPISODES_DIR = 'episodes';
const HELD_OUT_SUFFIX = '-heldout';

export function episodeId(index: number, dedicatedHeldOut = false): string {
  return `${String(index).padStart(5, '0')}${dedicatedHeldOut ? HELD_OUT_SUFFIX : '-online'}`;
}

export function isHeldOut(id: string, fraction: number): boolean {
  return fraction > 0 && (id.endsWith(HELD_OUT_SUFFIX) || heldOutScore(`${id}.npz`) < fraction);
}

export class EpisodeStore {
  /** Episodes collected so far (train and held out). */
  count = 0;

  constructor(
    readonly runDir: string | null,
    readonly heldOutFraction: number,
  ) {}

  private get dir(): string | null {
    return this.runDir ? join(this.runDir, EPISODES_DIR) : null;
  }

  /** Held-out episodes stored so far. */
  heldOutCount = 0;

  /**
   * Stores the next episode; returns whether it is held out (not for training). `dedicatedHeldOut` stores it
   * as a held-out episode whatever its hash (only with a held-out fraction above 0).
   */
  add(ep: Episode, dedicatedHeldOut = false): { id: string; heldOut: boolean } {
    const id = episodeId(this.count, dedicatedHeldOut && this.heldOutFraction > 0);
    const dir = this.dir;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeEpisode(join(dir, `${id}.npz`), ep);
    }
    this.count += 1;
    const heldOut = isHeldOut(id, this.heldOutFraction);
    if (heldOut) this.heldOutCount += 1;
    return { id, heldOut };
  }

  /** The first `n` stored episodes, split (for resume: exactly the episodes the checkpoint had). */
  load(n = Infinity): { train: Episode[]; heldOut: Episode[] } {
    const out = { train: [] as Episode[], heldOut: [] as Episode[] };
    const dir = this.dir;
    if (!dir || !existsSync(dir)) return out;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('-online.npz') || f.endsWith(`${HELD_OUT_SUFFIX}.npz`))
      .sort()
      .slice(0, n);
    for (const f of files) {
      const id = f.slice(0, -'.npz'.length);
      (isHeldOut(id, this.heldOutFraction) ? out.heldOut : out.train).push(readEpisodeFile(join(dir, f)));
    }
    this.count = files.length;
    this.heldOutCount = out.heldOut.length;
    return out;
  }
}

/** TrainData of an online run before collection: the env's spaces, no episodes yet. */
export function onlineTrainData(env: string, imageSize?: number): TrainData {
  const e = makeEnv(env, imageSize ? { size: imageSize } : {});
  return {
    dataset: null,
    env: e.name,
    actionSpace: e.actionSpace,
    imageSize: e.observationShape[0],
    train: [],
    heldOut: [],
  };
}

/** An online run's data as evaluation sees it: what it trained on, and the held-out episodes it never did. */
export function onlineRunData(env: string, imageSize: number, runDir: string, heldOutFraction: number): TrainData {
  const { train, heldOut } = new EpisodeStore(runDir, heldOutFraction).load();
  return { ...onlineTrainData(env, imageSize), train, heldOut };
}
