import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addEpisode, createDataset } from '../../data/dataset.ts';
import { readEpisode } from '../../data/dataset.ts';
import { Replay } from '../../data/replay.ts';
import type { Episode } from '../../data/episode.ts';
import { Rng } from '../../util/rng.ts';
import { median, type BenchContext, type BenchRow } from '../types.ts';

/**
 * Data pipeline rows (no tensors, so the backend column is "js"):
 * - `replay-b16-l50` (ms per batch): 16 windows of 50 rows of 64×64×3 from episodes already in the LRU cache.
 * - `replay-b16-l50-stream` (ms per batch): the same with a cache of 2 episodes out of 24, so most windows
 *   read and inflate an episode file (the larger-than-RAM path).
 * - `episode-read-500` (ms): reading and validating one 500-row 64×64 episode file (deflated .npz).
 */

function noisyEpisode(rows: number, rng: Rng): Episode {
  const image = new Uint8Array(rows * 64 * 64 * 3);
  // Smooth-ish content (like rendered frames) so deflate does realistic work: a moving gradient plus noise.
  for (let t = 0; t < rows; t++) {
    for (let p = 0; p < 64 * 64; p++) {
      const v = ((p % 64) + t + (rng.next() < 0.05 ? 40 : 0)) & 255;
      image[(t * 4096 + p) * 3] = v;
      image[(t * 4096 + p) * 3 + 1] = (v * 3) & 255;
      image[(t * 4096 + p) * 3 + 2] = 128;
    }
  }
  const isFirst = new Uint8Array(rows);
  isFirst[0] = 1;
  const isLast = new Uint8Array(rows);
  isLast[rows - 1] = 1;
  return {
    image,
    imageShape: [rows, 64, 64, 3],
    action: Float32Array.from({ length: rows * 2 }, () => rng.uniform(-1, 1)),
    actionDim: 2,
    reward: Float32Array.from({ length: rows }, () => rng.next()),
    isFirst,
    isLast,
    isTerminal: new Uint8Array(rows),
    discount: new Float32Array(rows).fill(1),
  };
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-bench-data-'));
  try {
    const rng = new Rng(0);
    const rows = ctx.quick ? 120 : 500;
    const count = ctx.quick ? 6 : 24;
    const ds = createDataset(ws, 'bench', {
      env: null,
      observationShape: [64, 64, 3],
      actionSpace: { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] },
      source: { kind: 'bench' },
    });
    ctx.log(`data: writing ${count} episodes of ${rows} rows`);
    for (let i = 0; i < count; i++) addEpisode(ds, noisyEpisode(rows, rng));
    const n = Math.max(10, ctx.steps);
    const note = ctx.quick ? `quick: ${count} episodes × ${rows} rows` : `${count} episodes × ${rows} rows, 64×64`;

    const timeIt = (f: () => void): number[] => {
      f(); // warm-up
      const ts: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        f();
        ts.push(performance.now() - t0);
      }
      return ts;
    };

    const cached = new Replay(ds, { batch: 16, length: 50, seed: 0 });
    for (let i = 0; i < count * 3; i++) cached.sample(); // fill the cache
    const out: BenchRow[] = [
      {
        name: 'replay-b16-l50',
        backend: 'js',
        median: median(timeIt(() => cached.sample())),
        unit: 'ms',
        note: `${note}, cached`,
      },
    ];
    const perEpisode = rows * (64 * 64 * 3 + 8 + 4 + 4 + 3);
    const stream = new Replay(ds, { batch: 16, length: 50, seed: 1, cacheBytes: 2 * perEpisode });
    out.push({
      name: 'replay-b16-l50-stream',
      backend: 'js',
      median: median(timeIt(() => stream.sample())),
      unit: 'ms',
      note: `${note}, cache 2 episodes`,
    });
    let k = 0;
    out.push({
      name: `episode-read-${rows}`,
      backend: 'js',
      median: median(timeIt(() => readEpisode(ds, k++ % count))),
      unit: 'ms',
      note,
    });
    return out;
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
