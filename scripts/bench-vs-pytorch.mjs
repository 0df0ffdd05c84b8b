#!/usr/bin/env node
// Side-by-side training benchmarks: the PyTorch reference (../shared/bench-ref/bench.py, run as a tool, not
// copied) and `oneiro bench` on wasm, one suite at a time and back to back (reference, then ours), so both
// see the same load. Prints the ratio table (ours / PyTorch) for every row with a reference workload, one
// column per wasm thread count, the load average around each pair, and the suites' other rows.
// Needs Debian's python3-torch python3-numpy libopenblas0-openmp (apt). Usage:
//   node scripts/bench-vs-pytorch.mjs [--ref DIR] [--threads 2 (default) or 1,2] [--only vae,mdnrnn,rssm-small,rssm-big,imag]
//                                     [--steps N] [--torch-threads 2] [--json FILE]
// --torch-threads: the reference's torch.set_num_threads (2 as in the issues; under heavy load 2 OpenMP threads
// spin-wait on each other and the reference slows down far more than ours, so say which one a table used).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

/** Reference workload → our suite and row (same shapes; see each suite's header). */
const PAIRS = [
  { ref: 'vae', suite: 'vae', row: 'vae-train-b32' },
  { ref: 'mdnrnn', suite: 'world-models', row: 'mdnrnn-train-b16x50' },
  { ref: 'rssm-small', suite: 'rssm', row: 'rssm-train-small' },
  { ref: 'rssm-big', suite: 'rssm', row: 'rssm-train-b16x50' },
  { ref: 'imag', suite: 'dreamer', row: 'imag-h15' },
];

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  if (i + 1 >= args.length) fail(`--${name} needs a value`);
  return args[i + 1];
};
function fail(msg) {
  console.error(msg);
  process.exit(2);
}
// ../shared next to the checkout (or next to the worktrees' folder).
const refDir = opt(
  'ref',
  ['../../shared/bench-ref/', '../../../shared/bench-ref/']
    .map((p) => new URL(p, import.meta.url).pathname)
    .find((d) => existsSync(join(d, 'bench.py'))) ?? new URL('../../shared/bench-ref/', import.meta.url).pathname,
);
// Default: 2, the wasm backend's own default on 2+ cores (core/tensor/wasm.ts); `--threads 1,2` measures both.
const threadList = opt('threads', '2').split(',');
for (const t of threadList) {
  if (!/^[1-9][0-9]?$/.test(t)) fail(`--threads takes thread counts from 1 to 99 separated by commas, got '${t}'`);
}
const only = opt('only', PAIRS.map((p) => p.ref).join(',')).split(',');
for (const w of only) {
  if (!PAIRS.some((p) => p.ref === w))
    fail(`unknown workload '${w}': expected some of ${PAIRS.map((p) => p.ref).join(', ')}`);
}
const steps = opt('steps', '10');
if (!/^[0-9]+$/.test(steps) || Number(steps) < 10 || Number(steps) > 1000)
  fail(`--steps must be 10..1000, got '${steps}'`);
const jsonOut = opt('json', null);
const torchThreads = opt('torch-threads', '2');
if (!/^[1-9][0-9]?$/.test(torchThreads)) fail(`--torch-threads must be 1..99, got '${torchThreads}'`);
const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(refDir, 'bench.py'))) fail(`no bench.py in ${refDir} (pass --ref DIR)`);

const blas = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const log = (m) => console.error(`[bench:pytorch] ${m}`);

function runReference(workloads) {
  const py = spawnSync(
    '/usr/bin/python3',
    ['bench.py', '--steps', steps, '--threads', torchThreads, '--only', workloads.join(',')],
    {
      cwd: refDir,
      encoding: 'utf8',
      env: { ...process.env, LD_LIBRARY_PATH: blas },
      timeout: 45 * 60e3,
    },
  );
  if (py.status !== 0) {
    console.error(
      `PyTorch reference failed (python3-torch and libopenblas0-openmp installed?):\n${py.stderr.slice(-1500)}`,
    );
    process.exit(1);
  }
  const out = {};
  for (const line of py.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line);
    for (const w of workloads) if (o[w]) out[w] = o[w].median_ms;
  }
  return out;
}

function runOurs(suite, threads) {
  const r = spawnSync(
    process.execPath,
    ['bin/oneiro.mjs', 'bench', '--json', '--backend', 'wasm', '--only', suite, '--steps', steps],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ONEIRO_WASM_THREADS: threads }, timeout: 45 * 60e3 },
  );
  if (r.status !== 0) {
    console.error(`oneiro bench --only ${suite} failed (ONEIRO_WASM_THREADS=${threads}):\n${r.stderr.slice(-1500)}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout);
}

const results = []; // { row, ref, torch, ours: {threads: ms}, load }
const others = []; // rows of the same suites without a reference
for (const suite of [...new Set(PAIRS.filter((p) => only.includes(p.ref)).map((p) => p.suite))]) {
  const pairs = PAIRS.filter((p) => p.suite === suite && only.includes(p.ref));
  const before = load();
  log(`${suite}: PyTorch ${pairs.map((p) => p.ref).join(', ')} (load ${before})`);
  const torch = runReference(pairs.map((p) => p.ref));
  const ours = {};
  for (const t of threadList) {
    log(`${suite}: oneiro wasm, ${t} thread(s) (load ${load()})`);
    ours[t] = runOurs(suite, t);
  }
  const after = load();
  for (const p of pairs) {
    const o = {};
    for (const t of threadList) o[t] = ours[t].find((r) => r.name === p.row)?.median ?? NaN;
    results.push({ row: p.row, ref: p.ref, torch: torch[p.ref] ?? NaN, ours: o, load: `${before} → ${after}` });
  }
  for (const r of ours[threadList[0]]) {
    if (pairs.some((p) => p.row === r.name)) continue;
    const o = {};
    for (const t of threadList) o[t] = ours[t].find((x) => x.name === r.name)?.median ?? NaN;
    others.push({ row: r.name, unit: r.unit, ours: o });
  }
}

const fmt = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '—');
const cols = threadList.map((t) => `wasm ${t} thr`);
console.log(
  `| workload | ${cols.join(' | ')} | PyTorch (OpenBLAS, ${torchThreads} thr) | ${threadList.map((t) => `ratio ${t} thr`).join(' | ')} | load avg (1/5/15 min, before → after) |`,
);
console.log(`|---|${cols.map(() => '---').join('|')}|---|${threadList.map(() => '---').join('|')}|---|`);
for (const r of results) {
  const ms = threadList.map((t) => `${fmt(r.ours[t])} ms`);
  const ratio = threadList.map((t) => `${(r.ours[t] / r.torch).toFixed(2)}×`);
  console.log(`| ${r.row} (${r.ref}) | ${ms.join(' | ')} | ${fmt(r.torch)} ms | ${ratio.join(' | ')} | ${r.load} |`);
}
if (others.length) {
  console.log(
    `\nRows without a reference workload:\n| row | ${cols.join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|`,
  );
  for (const r of others)
    console.log(`| ${r.row} | ${threadList.map((t) => `${fmt(r.ours[t])} ${r.unit}`).join(' | ')} |`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ results, others, threads: threadList }, null, 1));
