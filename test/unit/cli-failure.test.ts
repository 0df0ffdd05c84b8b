import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFailure, logFailure } from '../../core/cli/failure.ts';

// Hardening issue, item 4: an error that is not the user's reaches them as one line; the stack goes to a log.
test('a wasm out-of-bounds abort becomes one line that says what happened and what to try', () => {
  const wasm = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly;
  const e = new wasm.RuntimeError('memory access out of bounds');
  const m = describeFailure(e, '/ws/runs/r/train.log');
  assert.ok(!m.includes('\n'));
  assert.match(m, /^ran out of memory \(RuntimeError: memory access out of bounds\): try a smaller preset/);
  assert.match(m, /details in \/ws\/runs\/r\/train\.log$/);
  assert.match(describeFailure(new RangeError('Invalid typed array length: 4000000000'), 'x'), /^ran out of memory/);
  const other = describeFailure(new TypeError("Cannot read properties of null (reading 'adamT')\n    at restore"), 'l');
  assert.equal(
    other,
    "internal error (TypeError: Cannot read properties of null (reading 'adamT')); the full stack is in l",
  );
});

test('the stack goes to the log file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oneiro-fail-'));
  try {
    const file = join(dir, 'logs', 'x.log');
    logFailure(file, new Error('boom'), 'oneiro train');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /oneiro train\nError: boom\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
