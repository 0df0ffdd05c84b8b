#!/usr/bin/env node
// Runs the test suites with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [unit|integration|e2e ...] [--concurrency N] [--times FILE] [--list]
// With no suite named, every suite runs. Files start in the order e2e, integration, unit (whichever suites are named):
// the slow files first, so the many short unit files fill both slots at the end instead of one long e2e file
// running alone (README "Development"). --times FILE also writes each test file's summed top-level test time,
// slowest first (scripts/test-file-times.mjs). --list prints the files in that order and runs nothing.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const valueOf = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) {
    console.error(`${flag} needs a value`);
    process.exit(2);
  }
  return v;
};
const concurrencyFlag = valueOf('--concurrency');
const timesFile = valueOf('--times');
const flagValues = new Set([concurrencyFlag, timesFile].filter((v) => v !== undefined));
const suites = args.filter((a) => !a.startsWith('--') && !flagValues.has(a));
const known = ['unit', 'integration', 'e2e'];
for (const s of suites) {
  if (!known.includes(s)) {
    console.error(`unknown test suite '${s}': expected one of ${known.join(', ')}`);
    process.exit(2);
  }
}
// Slowest suite first (its files take minutes each; most unit files take seconds).
const chosen = ['e2e', 'integration', 'unit'].filter((s) => !suites.length || suites.includes(s));
const concurrency = concurrencyFlag ?? process.env.ONEIRO_TEST_CONCURRENCY ?? '2';
if (!/^[1-9][0-9]{0,2}$/.test(concurrency)) {
  console.error(
    `--concurrency (or ONEIRO_TEST_CONCURRENCY) '${concurrency}': expected a whole number of test files from 1 to 999`,
  );
  process.exit(2);
}

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
if (args.includes('--list')) {
  console.log(files.join('\n'));
  process.exit(0);
}
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
if (timesFile !== undefined)
  reporters.push(
    `--test-reporter=${join(root, 'scripts', 'test-file-times.mjs')}`,
    `--test-reporter-destination=${timesFile}`,
  );
const nodeArgs = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...files];
const r = spawnSync(process.execPath, nodeArgs, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ONEIRO_TEST: '1' },
});
process.exit(r.status ?? 1);
