import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkbenchService } from '../../core/service/service.ts';
import { forkLauncher } from '../../core/trainer/launcher.ts';
import { createDirectClient } from '../../core/contract/direct.ts';
import { initBackend } from '../../core/tensor/backend.ts';
import { createRun, trainRun } from '../../core/runs/trainer.ts';
import { datasetsDir, openDataset, readEpisode } from '../../core/data/dataset.ts';
import { oneiroInProcess } from './cli-in-process.ts';
import { TINY_CONTROLLER } from './world-models-fixture.ts';

// datasets:collect with `agent` (the Datasets view's Policy choice "agent of RUN"): the collect worker loads the
// run's agent and collects with it as `oneiro collect --policy run:ID` does; a request its agent cannot act under
// is refused in one line and leaves no dataset.
process.env.ONEIRO_BACKEND ??= 'wasm';

test(
  "datasets:collect with a run's agent collects what `oneiro collect --policy run:ID` collects, and refuses in one line",
  { timeout: 300_000 },
  async () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-collect-agent-'));
    const service = createWorkbenchService({ workspace: ws, host: 'direct', launcher: forkLauncher() });
    const client = createDirectClient(service.api, service.events);
    try {
      await client.collectDataset({ env: 'cartpole-swingup', dataset: 'd', episodes: 4, maxSteps: 20, size: 32 });
      await initBackend('wasm');
      const run = await createRun({
        workspace: ws,
        family: 'world-models',
        preset: 'debug',
        dataset: 'd',
        seed: 1,
        overrides: { vae: { steps: 3, batch: 4 }, rnn: { steps: 3, batch: 2, seqLen: 4 }, controller: TINY_CONTROLLER },
        id: 'agent',
        train: { logEvery: 1, checkpointEvery: 100 },
      });
      assert.equal((await trainRun(run.dir, { log: () => {}, tensorboard: false })).state, 'completed');

      const got = await client.collectDataset({
        env: 'cartpole-swingup',
        dataset: 'by-agent',
        episodes: 2,
        maxSteps: 8,
        seed: 4,
        agent: { run: 'agent' },
      });
      assert.equal(got.episodes, 2);
      const rec = (openDataset(ws, 'by-agent').meta.source.runs as Record<string, unknown>[])[0];
      assert.match(String(rec.policy), /^run:agent@\d+$/);
      assert.deepEqual([rec.behavior, rec.noise, rec.size, rec.actionRepeat], ['controller', 0, 32, 8]);
      // The CLI's door, same seed: the same episodes, action for action.
      const cli = await oneiroInProcess(ws, 'collect', '--policy', 'run:agent', '--episodes', '2', '--max-steps', '8');
      assert.match(cli.stderr, /--dataset is required/, 'a bad line is refused before the agent loads');
      const r = await oneiroInProcess(
        ws,
        ...['collect', '--policy', 'run:agent', '--episodes', '2', '--max-steps', '8', '--seed', '4'],
        ...['--dataset', 'by-cli'],
      );
      assert.equal(r.code, 0, r.stderr);
      for (const i of [0, 1])
        assert.deepEqual(
          Array.from(readEpisode(openDataset(ws, 'by-agent'), i).action),
          Array.from(readEpisode(openDataset(ws, 'by-cli'), i).action),
          `episode ${i}`,
        );

      const refused: [Parameters<typeof client.collectDataset>[0], RegExp][] = [
        [
          { env: 'pendulum-swingup', dataset: 'x1', episodes: 1, agent: { run: 'agent' } },
          /run agent acts in env cartpole-swingup, not pendulum-swingup/,
        ],
        [{ env: 'cartpole-swingup', dataset: 'x2', episodes: 1, agent: { run: 'nope' } }, /no run 'nope'/],
        [
          { env: 'cartpole-swingup', dataset: 'x3', episodes: 1, size: 16, agent: { run: 'agent' } },
          /size 16: the agent of run:agent@\d+ acts on 32 px frames/,
        ],
      ];
      for (const [req, want] of refused) {
        await assert.rejects(client.collectDataset(req), (e: Error) => {
          assert.match(e.message, want);
          assert.equal(e.message.split('\n').length, 1, e.message);
          return true;
        });
        assert.ok(!existsSync(join(datasetsDir(ws), req.dataset)), `no dataset ${req.dataset}`);
      }
      assert.deepEqual(
        readdirSync(datasetsDir(ws)).filter((f) => f.startsWith('.staging')),
        [],
        'no staging folder left',
      );
    } finally {
      await service.close();
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
