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
 * `heldOutScore`, the same rule as datasets): collecting more never moves an episode between sides, and a
 * held-out episode is never trained on, so `oneiro eval` of the run scores unseen episodes.
 */
export const EPISODES_DIR = 'episodes';

export function episodeId(index: number): string {
  return `${String(index).padStart(5, '0')}-online`;
}

export function isHeldOut(id: string, fraction: number): boolean {
  return fraction > 0 && heldOutScore(`${id}.npz`) < fraction;
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

  /** Stores the next episode; returns whether it is held out (not for training). */
  add(ep: Episode): { id: string; heldOut: boolean } {
    const id = episodeId(this.count);
    const dir = this.dir;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeEpisode(join(dir, `${id}.npz`), ep);
    }
    this.count += 1;
    return { id, heldOut: isHeldOut(id, this.heldOutFraction) };
  }

  /** The first `n` stored episodes, split (for resume: exactly the episodes the checkpoint had). */
  load(n = Infinity): { train: Episode[]; heldOut: Episode[] } {
    const out = { train: [] as Episode[], heldOut: [] as Episode[] };
    const dir = this.dir;
    if (!dir || !existsSync(dir)) return out;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('-online.npz'))
      .sort()
      .slice(0, n);
    for (const f of files) {
      const id = f.slice(0, -'.npz'.length);
      (isHeldOut(id, this.heldOutFraction) ? out.heldOut : out.train).push(readEpisodeFile(join(dir, f)));
    }
    this.count = files.length;
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
