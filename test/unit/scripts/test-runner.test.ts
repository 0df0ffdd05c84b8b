/**
 * scripts/test.mjs (the README's `npm test`) and its --times reporter, scripts/test-file-times.mjs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain ES module without types (a Node test reporter)
import fileTimes from '../../../scripts/test-file-times.mjs';

const script = fileURLToPath(new URL('../../../scripts/test.mjs', import.meta.url));

function event(type: string, file: string, nesting: number, ms: number) {
  return { type, data: { file, nesting, name: 't', details: { duration_ms: ms } } };
}

async function report(events: object[]): Promise<string[]> {
  async function* source() {
    yield* events;
  }
  const out: string[] = [];
  for await (const line of (fileTimes as (s: AsyncIterable<object>) => AsyncIterable<string>)(source())) out.push(line);
  return out;
}

test('--times reporter: per file the sum of its top-level tests, slowest first; nested tests not counted twice', async () => {
  const lines = await report([
    event('test:pass', '/r/test/unit/a.test.ts', 0, 1000),
    event('test:pass', '/r/test/unit/b.test.ts', 1, 9000), // inside b's suite: already in the suite's time
    event('test:pass', '/r/test/unit/b.test.ts', 0, 9500),
    event('test:fail', '/r/test/unit/a.test.ts', 0, 500),
    { type: 'test:diagnostic', data: { message: 'x', nesting: 0 } },
  ]);
  assert.deepEqual(lines, [
    '9.5\t/r/test/unit/b.test.ts\n',
    '1.5\t/r/test/unit/a.test.ts\n',
    '11.0\ttotal (2 files)\n',
  ]);
});

for (const [args, message] of [
  [['--concurrency'], /--concurrency needs a value/],
  [['--concurrency', 'x'], /--concurrency \(or ONEIRO_TEST_CONCURRENCY\) 'x': expected a whole number/],
  [['--times', '--concurrency', '2'], /--times needs a value/],
  [['units'], /unknown test suite 'units': expected one of unit, integration, e2e/],
] as const) {
  test(`npm test ${args.join(' ')}: refused in one line with exit 2, no test run`, () => {
    const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  });
}

test('npm test --list: files start slowest suite first (e2e, integration, unit), whichever order suites are named', () => {
  const suiteOf = (f: string) => f.split('/')[1];
  const all = spawnSync(process.execPath, [script, '--list'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(all.status, 0, all.stderr);
  const files = all.stdout.trim().split('\n');
  assert.ok(
    files.every((f) => /^test\/(e2e|integration|unit)\/.+\.test\.ts$/.test(f)),
    all.stdout,
  );
  // Each suite is one contiguous block, in this order: one long e2e file never ends the run alone.
  const blocks = files.map(suiteOf).filter((s, i, a) => i === 0 || a[i - 1] !== s);
  assert.deepEqual(blocks, ['e2e', 'integration', 'unit']);
  const named = spawnSync(process.execPath, [script, 'unit', 'e2e', '--list'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(named.status, 0, named.stderr);
  const namedFiles = named.stdout.trim().split('\n');
  assert.deepEqual(
    namedFiles,
    files.filter((f) => suiteOf(f) !== 'integration'),
  );
});
