// eval:world-models --resume RUN: a gate seed takes ≈ 90 CPU min at `small`, so a stopped one is finished and scored
// instead of retrained. Resuming a finished run must score it exactly as the process that trained it did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tiny = ['--preset', 'debug', '--env', 'cartpole-swingup', '--episodes', '4', '--collect-steps', '20'];
const fast = ['--eval-episodes', '2', '--eval-steps', '20', '--generations', '1', '--population', '4'];
const steps = ['--vae-steps', '2', '--rnn-steps', '2', '--json'];
function gate(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/eval-world-models.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ONEIRO_WASM_THREADS: '1' },
  });
}
interface SeedJson {
  run: string;
  frames: number;
  controller: { returns: number[] };
  random: { returns: number[] };
  dream_return: number;
  iteration_real_returns: number[];
}
const seedOf = (stdout: string) => (JSON.parse(stdout) as { seeds: SeedJson[] }).seeds[0]!;
/** A finished tiny gate seed in ws: its output and its one run's id. */
function trainedGate(ws: string) {
  const first = gate([...tiny, ...fast, ...steps, '--workspace', ws]);
  // Exit 1 is the claim failing (a 2-step M); the scores are what is compared.
  assert.ok(first.status === 0 || first.status === 1, first.stderr);
  const [run] = readdirSync(join(ws, 'runs'));
  return { first, run: run! };
}
const resume = (ws: string, run: string) => gate([...tiny, ...fast, ...steps, '--workspace', ws, '--resume', run]);

test('eval:world-models --resume scores a workspace’s run as the process that trained it did', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-wm-resume-'));
  try {
    const { first, run } = trainedGate(ws);
    const again = resume(ws, run);
    assert.equal(again.status, first.status, again.stderr);
    assert.match(again.stderr, new RegExp(`resuming run ${run}`));
    assert.equal(readdirSync(join(ws, 'runs')).length, 1, 'no new run is trained');
    const a = seedOf(first.stdout);
    const b = seedOf(again.stdout);
    assert.equal(b.run, a.run);
    assert.equal(b.frames, a.frames);
    assert.deepEqual(b.controller.returns, a.controller.returns);
    assert.deepEqual(b.random.returns, a.random.returns);
    // Read back from the run's metrics, not from the training the resumed process did not see.
    assert.ok(Number.isFinite(a.dream_return));
    assert.equal(b.dream_return, a.dream_return);
    assert.equal(a.iteration_real_returns.length, 1);
    assert.deepEqual(b.iteration_real_returns, a.iteration_real_returns);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('eval:world-models --resume from mid-M logs M’s progress and scores as the uninterrupted run did', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-wm-resume-'));
  try {
    const { first, run } = trainedGate(ws);
    // Stopped after V: the checkpoints at each phase's end are V's (step 2), M's (4) and C's (5).
    const ck = join(ws, 'runs', run, 'checkpoints');
    for (const f of readdirSync(ck)) if (/^ckpt-0000000[45]\./.test(f)) rmSync(join(ck, f));
    writeFileSync(join(ck, 'latest'), 'ckpt-00000002');
    const again = resume(ws, run);
    assert.equal(again.status, first.status, again.stderr);
    assert.match(again.stderr, /at rnn step 0 \(2\/5\)/);
    // A resume mid-M may run for hours before the controller phase: it prints M's records as a fresh seed does.
    assert.match(again.stderr, /\] rnn @4: rnn\/loss=/);
    const a = seedOf(first.stdout);
    const b = seedOf(again.stdout);
    assert.deepEqual(b.controller.returns, a.controller.returns);
    assert.equal(b.dream_return, a.dream_return);
    assert.deepEqual(b.iteration_real_returns, a.iteration_real_returns);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('eval:world-models --resume refuses, in one line and exit 2, what it cannot continue', () => {
  const ws = mkdtempSync(join(tmpdir(), 'oneiro-wm-resume-'));
  try {
    const cases: [string[], RegExp][] = [
      [
        ['--seeds', '0,1', '--resume', 'x', '--workspace', ws],
        /^eval:world-models: --resume continues one run: give its seed alone with --seeds, got '0,1'$/,
      ],
      [['--resume', 'x'], /^eval:world-models: --resume needs --workspace: /],
      [
        ['--resume', 'x', '--workspace', ws, '--iterations', '2'],
        /^eval:world-models: --resume continues a run of one iteration, got --iterations 2$/,
      ],
      [
        [...tiny, '--resume', '__proto__', '--workspace', ws],
        /^eval:world-models: --resume: no run '__proto__' in .*: expected a run id/,
      ],
    ];
    for (const [args, want] of cases) {
      const r = gate(args);
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, want);
    }
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
