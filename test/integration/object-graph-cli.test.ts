import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The object-graph family from the command line: the C-SWM collection recipes, training, `oneiro eval --dataset`
// on a separate evaluation set, and the one-line refusal of pixel commands (issue 16).
const bin = new URL('../../bin/oneiro.mjs', import.meta.url).pathname;
const cli = (ws: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_TEST: '1', ONEIRO_BACKEND: 'wasm' },
  });

test(
  'collect --recipe, train object-graph, eval --dataset (Hits@1, MRR), and dream refused in one line',
  { timeout: 300_000 },
  () => {
    const ws = mkdtempSync(join(tmpdir(), 'oneiro-og-cli-'));
    try {
      let r = cli(
        ws,
        'collect',
        '--recipe',
        'cswm-shapes-train',
        '--episodes',
        '6',
        '--max-steps',
        '12',
        '--dataset',
        'tr',
        '--json',
      );
      assert.equal(r.status, 0, r.stderr);
      r = cli(ws, 'collect', '--recipe', 'cswm-shapes-eval', '--episodes', '5', '--dataset', 'ev', '--json');
      assert.equal(r.status, 0, r.stderr);
      const ev = JSON.parse(r.stdout);
      assert.equal(ev.env, 'shapes-2d');
      assert.equal(ev.steps, 50, 'the eval recipe makes 10-step episodes');
      r = cli(ws, 'dataset', 'inspect', 'ev', '--json');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /"observationShape":\[50,50,3\]/);
      assert.match(r.stdout, /"seed":2/, 'the eval recipe seeds with 2');
      r = cli(ws, 'collect', '--recipe', 'cswm-shapes', '--dataset', 'x');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /unknown --recipe 'cswm-shapes': expected one of cswm-shapes-train, cswm-shapes-eval/);

      r = cli(ws, 'train', '--model', 'object-graph', '--preset', 'debug', '--dataset', 'tr', '--steps', '2', '--json');
      assert.equal(r.status, 0, r.stderr);
      const run = readdirSync(join(ws, 'runs'))[0];
      r = cli(ws, 'eval', run, '--dataset', 'ev', '--json');
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.episodes, 5, 'evaluated on every episode of the eval dataset');
      for (const k of [1, 5, 10]) {
        const m = report.metrics[`hits_at_1@${k}`];
        assert.deepEqual(Object.keys(m).sort(), ['baseline', 'baseline_name', 'baselines', 'lower_is_better', 'model']);
        assert.equal(m.baselines['random-ranking'], 20);
      }

      // It decodes no pixels: `dream` draws its strip from retrieval (no probe trained), and refuses the decoder.
      r = cli(ws, 'dream', run, '--episode', '0', '--start', '0', '--horizon', '3', '--out', join(ws, 'd.png'));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /frames from the .*retriev/i);
      assert.ok(existsSync(join(ws, 'd.png')));
      r = cli(
        ws,
        'dream',
        run,
        '--episode',
        '0',
        '--start',
        '0',
        '--horizon',
        '3',
        '--view',
        'decoder',
        '--out',
        join(ws, 'e.png'),
      );
      assert.notEqual(r.status, 0);
      const lines = r.stderr.trim().split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /decoder/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  },
);
