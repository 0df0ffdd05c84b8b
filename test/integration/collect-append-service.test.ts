import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkbenchService } from '../../core/service/service.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { createDirectClient } from '../../core/contract/direct.ts';
import { datasetsDir, openDataset, readEpisode } from '../../core/data/dataset.ts';
import { oneiroInProcess } from './cli-in-process.ts';

// datasets:collect with `append` (the Datasets view's "Add episodes", World Models' iterative procedure by hand):
// the episodes join the existing dataset as `oneiro collect` into an existing one adds them, under the same rule
// (dataset-append.ts), and a refused append changes nothing.

test(
  'datasets:collect with append adds what `oneiro collect` adds to an existing dataset, and a refused one changes nothing',
  { timeout: 240_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-collect-append-'));
    const service = createWorkbenchService({ workspace: ws, host: 'direct', launcher: forkLauncher() });
    const client = createDirectClient(service.api, service.events);
    const cli = async (...args: string[]) => {
      const r = await oneiroInProcess(ws, 'collect', '--env', 'cartpole-swingup', '--size', '32', ...args);
      assert.equal(r.code, 0, r.stderr);
    };
    try {
      const base = { env: 'cartpole-swingup', size: 32, maxSteps: 6 } as const;
      await client.collectDataset({ ...base, dataset: 'svc', episodes: 2, seed: 3 });
      const firstFiles = readdirSync(join(datasetsDir(ws), 'svc')).sort();
      const firstBytes = firstFiles.map((f) => readFileSync(join(datasetsDir(ws), 'svc', f)));
      const got = await client.collectDataset({ ...base, dataset: 'svc', episodes: 3, seed: 5, append: true });
      assert.equal(got.name, 'svc');
      assert.equal(got.episodes, 5);
      assert.equal(got.steps, 5 * 6);
      const svc = openDataset(ws, 'svc');
      const runs = svc.meta.source.runs as Record<string, unknown>[];
      assert.deepEqual(
        runs.map((r) => [r.seed, r.episodes, r.actionRepeat, r.background]),
        [
          [3, 2, 8, 'plain'],
          [5, 3, 8, 'plain'],
        ],
      );
      // The episodes there before are untouched, byte for byte (dataset.json aside: it is the index).
      firstFiles.forEach((f, i) => {
        if (f !== 'dataset.json') assert.deepEqual(readFileSync(join(datasetsDir(ws), 'svc', f)), firstBytes[i], f);
      });

      // The CLI's door, same seeds: the same episode names (so the same held-out split) and the same episodes.
      await cli('--episodes', '2', '--max-steps', '6', '--seed', '3', '--dataset', 'cli');
      await cli('--episodes', '3', '--max-steps', '6', '--seed', '5', '--dataset', 'cli');
      const byCli = openDataset(ws, 'cli');
      assert.deepEqual(svc.meta.episodes, byCli.meta.episodes);
      for (const i of [2, 4])
        assert.deepEqual(Array.from(readEpisode(svc, i).action), Array.from(readEpisode(byCli, i).action), `ep ${i}`);

      // Refusals, one line each; the dataset is as it was.
      await cli('--episodes', '1', '--max-steps', '6', '--action-repeat', '2', '--dataset', 'rep');
      const snapshot = (name: string) => readFileSync(join(datasetsDir(ws), name, 'dataset.json'), 'utf8');
      const before = { svc: snapshot('svc'), rep: snapshot('rep') };
      const refused: [Parameters<typeof client.collectDataset>[0], RegExp, string][] = [
        [
          { ...base, dataset: 'nope', episodes: 1, append: true },
          /^no dataset 'nope' to add episodes to$/,
          'not_found',
        ],
        [
          { env: 'pendulum-swingup', dataset: 'svc', episodes: 1, append: true },
          /^dataset 'svc' holds cartpole-swingup episodes, not pendulum-swingup; collect into a new dataset instead$/,
          'invalid_request',
        ],
        [
          { ...base, size: 48, dataset: 'svc', episodes: 1, append: true },
          /^collect into 'svc' failed: dataset 'svc' exists with env cartpole-swingup, frames 32×32×3, .*; collecting cartpole-swingup at 48×48×3 would not fit; collect into a new dataset instead$/,
          'invalid_request',
        ],
        [
          { ...base, dataset: 'rep', episodes: 1, append: true },
          /^collect into 'rep' failed: dataset 'rep' was collected at action repeat 2; collecting at 8 would mix them; collect into a new dataset instead$/,
          'invalid_request',
        ],
        [{ ...base, dataset: 'svc', episodes: 1 }, /^dataset 'svc' already exists; choose another name$/, 'conflict'],
      ];
      for (const [req, message, code] of refused) {
        const e = await client.collectDataset(req).then(
          () => assert.fail(`accepted ${JSON.stringify(req)}`),
          (err: { code: string; message: string }) => err,
        );
        assert.match(e.message, message);
        assert.equal(e.code, code, e.message);
        assert.ok(!e.message.includes('\n'), e.message);
      }
      assert.deepEqual({ svc: snapshot('svc'), rep: snapshot('rep') }, before);
      assert.deepEqual(
        readdirSync(datasetsDir(ws)).sort(),
        ['cli', 'rep', 'svc'],
        'no staging folder or new dataset is left',
      );
    } finally {
      await service.close();
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
