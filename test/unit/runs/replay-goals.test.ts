import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayGoals } from '../../../core/runs/replay-goals.ts';
import type { Episode } from '../../../core/data/episode.ts';

/** A one-frame 1×1 episode whose pixel names it, so a drawn goal says which episode it came from. */
function ep(i: number): Episode {
  return { image: Uint8Array.of(i % 256, i >> 8, 0), imageShape: [1, 1, 1, 3] } as unknown as Episode;
}

test('replay goals resume exactly: a pool rebuilt from the same episodes draws the same goals as the uninterrupted run', () => {
  // The uninterrupted run: episodes arrive one by one, a goal is drawn before each collection (reservoir of 4).
  const live = new ReplayGoals(7, 4);
  const drawn: number[] = [];
  for (let i = 0; i < 40; i++) {
    const g = i > 0 ? live.sample(live.rngFor(i))!.image[0] : null;
    if (i >= 30) drawn.push(g!);
    live.add(ep(i));
  }
  // A resume at episode 30: the checkpoint's episodes are re-added in order, no draws in between.
  const resumed = new ReplayGoals(7, 4);
  for (let i = 0; i < 30; i++) resumed.add(ep(i));
  const again: number[] = [];
  for (let i = 30; i < 40; i++) {
    again.push(resumed.sample(resumed.rngFor(i))!.image[0]);
    resumed.add(ep(i));
  }
  assert.deepEqual(again, drawn);
  // The draws do depend on the seed and reach past the first episodes (the reservoir replaces old ones).
  const other = new ReplayGoals(8, 4);
  for (let i = 0; i < 30; i++) other.add(ep(i));
  const o = Array.from({ length: 10 }, (_, k) => other.sample(other.rngFor(30 + k))!.image[0]);
  assert.notDeepEqual(o, drawn);
  assert.ok(
    drawn.some((v) => v >= 4),
    `goals come from later episodes too (${drawn.join(',')})`,
  );
});
