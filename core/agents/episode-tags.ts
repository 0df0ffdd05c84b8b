import type { Episode } from '../data/episode.ts';

/**
 * What an online run records about who collected an episode (LEXA alternates an explorer and an achiever per
 * episode, lexa train.py `GCDreamer._policy`), as extra per-row arrays of the Dreamer-layout file, so a file
 * stays loadable by anything that reads Dreamer episodes (extra keys are kept as read, data/episode-file.ts):
 * - `behavior` int32 [T]: the code of the behaviour that acted, the same on every row (ACTOR_CODES);
 * - `goal_image` uint8 [T, H, W, 3]: the achiever's goal, repeated on every row (achiever episodes only).
 */
export const ACTOR_CODES = { random: 0, explorer: 1, achiever: 2, agent: 3 } as const;
export type ActorName = keyof typeof ACTOR_CODES;

export function tagEpisode(ep: Episode, actor: ActorName, goalImage?: Uint8Array): Episode {
  const [T, H, W] = ep.imageShape;
  const extra = { ...(ep.extra ?? {}) };
  extra.behavior = { dtype: '<i4', shape: [T], data: new Int32Array(T).fill(ACTOR_CODES[actor]) };
  if (goalImage) {
    if (goalImage.length !== H * W * 3)
      throw new Error(`goal image has ${goalImage.length} values, episode frames are ${H}×${W}×3`);
    const g = new Uint8Array(T * H * W * 3);
    for (let t = 0; t < T; t++) g.set(goalImage, t * H * W * 3);
    extra.goal_image = { dtype: '|u1', shape: [T, H, W, 3], data: g };
  }
  return { ...ep, extra };
}

/** The recorded actor and goal of an episode (null where it was not recorded: e.g. a Dreamer dataset's episodes). */
export function episodeTag(ep: Episode): { actor: ActorName; goalImage: Uint8Array | null } | null {
  const b = ep.extra?.behavior;
  if (!b || b.shape[0] === 0) return null;
  const code = (b.data as Int32Array)[0];
  const actor = (Object.keys(ACTOR_CODES) as ActorName[]).find((k) => ACTOR_CODES[k] === code);
  if (!actor) return null;
  const g = ep.extra?.goal_image;
  const px = ep.imageShape[1] * ep.imageShape[2] * 3;
  return { actor, goalImage: g ? (g.data as Uint8Array).slice(0, px) : null };
}
