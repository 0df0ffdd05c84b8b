import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneiroInProcess } from './cli-in-process.ts';
import { openDataset } from '../../core/data/dataset.ts';
import { splitEpisodes } from '../../core/data/replay.ts';

// `oneiro dream --episode I` on a dataset run is the dataset's episode I, as its help and the Dream Lab say: the
// run's split (which side I is on) does not renumber the episodes.
test('oneiro dream --episode I: the dataset episode I, said held out exactly when the run held it out; --checkpoint a kept one', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-dream-index-'));
  try {
    let r = await oneiroInProcess(
      ws,
      'collect',
      '--env',
      'cartpole-swingup',
      '--episodes',
      '8',
      '--dataset',
      'cp',
      '--size',
      '32',
      '--seed',
      '5',
    );
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    r = await oneiroInProcess(
      ws,
      'train',
      '--model',
      'rssm',
      '--dataset',
      'cp',
      '--preset',
      'debug',
      '--steps',
      '3',
      '--checkpoint-every',
      '1',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const run = JSON.parse(r.stdout.trim().split('\n').pop()!).run;
    const split = splitEpisodes(openDataset(ws, 'cp'), 0.1);
    // Renumbering would show: a held-out episode before the last training one.
    assert.ok(
      split.heldOut.some((h) => h < Math.max(...split.train)),
      `split ${JSON.stringify(split)}`,
    );
    for (let i = 0; i < 8; i++) {
      const d = await oneiroInProcess(
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
        join(ws, `d${i}.png`),
        '--json',
      );
      assert.equal(d.code, 0, d.stderr.slice(-2000));
      const info = JSON.parse(d.stdout.trim().split('\n').pop()!);
      assert.equal(info.episode, i);
      assert.equal(info.heldOut, split.heldOut.includes(i), `episode ${i}`);
    }
    // --checkpoint: a kept one instead of the latest, named in the reply; a step the run lacks is refused by name.
    const d = await oneiroInProcess(
      ws,
      'dream',
      run,
      '--episode',
      '0',
      '--start',
      '3',
      '--horizon',
      '2',
      '--checkpoint',
      '0',
      '--out',
      join(ws, 'c0.png'),
      '--json',
    );
    assert.equal(d.code, 2, d.stdout);
    assert.match(d.stderr, /checkpoint/);
    const kept = await oneiroInProcess(
      ws,
      'dream',
      run,
      '--episode',
      '0',
      '--start',
      '3',
      '--horizon',
      '2',
      '--checkpoint',
      '1',
      '--out',
      join(ws, 'c1.png'),
      '--json',
    );
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(
      JSON.parse(kept.stdout.trim().split('\n').pop()!).checkpoint_step,
      1,
      'the kept step-1 checkpoint, not the latest (3)',
    );
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
