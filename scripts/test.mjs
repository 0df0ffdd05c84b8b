#!/usr/bin/env node
// Runs the test suites with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [unit|integration|e2e ...] [--concurrency N]
// With no suite named, every suite runs: unit, then integration, then e2e.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const suites = args.filter((a) => !a.startsWith('--'));
const known = ['unit', 'integration', 'e2e'];
for (const s of suites) {
  if (!known.includes(s)) {
    console.error(`unknown test suite '${s}': expected one of ${known.join(', ')}`);
    process.exit(2);
  }
}
const chosen = suites.length ? suites : known;
const ci = Number(args.indexOf('--concurrency'));
const concurrency = ci >= 0 ? args[ci + 1] : (process.env.ONEIRO_TEST_CONCURRENCY ?? '2');

function walk(dir) {
  let out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const files = chosen.flatMap((s) => walk(join(root, 'test', s))).map((f) => relative(root, f));
if (files.length === 0) {
  console.error(`no test files found under test/{${chosen.join(',')}}`);
  process.exit(1);
}
const nodeArgs = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files];
const r = spawnSync(process.execPath, nodeArgs, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ONEIRO_TEST: '1' },
});
process.exit(r.status ?? 1);
