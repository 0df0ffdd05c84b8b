import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneiroInProcess, tinyRssmRun } from './cli-in-process.ts';
import { openDataset } from '../../core/data/dataset.ts';
import { splitEpisodes } from '../../core/data/replay.ts';

// `oneiro dream --episode I` on a dataset run is the dataset's episode I, as its help and the Dream Lab say: the
// run's split (which side I is on) does not renumber the episodes.
test('oneiro dream --episode I: the dataset episode I, said held out exactly when the run held it out; --checkpoint a kept one', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-dream-index-'));
  try {
    const run = await tinyRssmRun(ws, {
      episodes: 8,
      steps: 3,
      collect: ['--seed', '5'],
      train: ['--checkpoint-every', '1'],
    });
    const split = splitEpisodes(openDataset(ws, 'cp'), 0.1);
    // Renumbering would show: a held-out episode before the last training one.
    assert.ok(
      split.heldOut.some((h) => h < Math.max(...split.train)),
      `split ${JSON.stringify(split)}`,
    );
    // A 2-step dream from frame 3 of episode I into FILE, with more flags.
    const dream = (i: number, file: string, ...more: string[]) =>
      oneiroInProcess(
        ws,
        'dream',
        run,
        '--episode',
        String(i),
        '--start',
        '3',
        '--horizon',
        '2',
        '--out',
        join(ws, file),
        '--json',
        ...more,
      );
    const reply = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split('\n').pop()!);
    for (let i = 0; i < 8; i++) {
      const d = await dream(i, `d${i}.png`);
      assert.equal(d.code, 0, d.stderr.slice(-2000));
      assert.equal(reply(d).episode, i);
      assert.equal(reply(d).heldOut, split.heldOut.includes(i), `episode ${i}`);
    }
    // --checkpoint: a kept one instead of the latest, named in the reply; a step the run lacks is refused by name.
    const missing = await dream(0, 'c0.png', '--checkpoint', '0');
    assert.equal(missing.code, 2, missing.stdout);
    assert.match(missing.stderr, /checkpoint/);
    const kept = await dream(0, 'c1.png', '--checkpoint', '1');
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(reply(kept).checkpoint_step, 1, 'the kept step-1 checkpoint, not the latest (3)');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
