#!/usr/bin/env node
// Side-by-side VAE training step: PyTorch reference (../shared/bench-ref/bench.py, run as a tool,
// not copied) and `oneiro bench --only vae` on wasm, one after the other on this machine.
// Needs Debian's python3-torch python3-numpy libopenblas0-openmp (apt). Usage:
//   node scripts/bench-vs-pytorch.mjs [--ref DIR] [--threads N]   (N → ONEIRO_WASM_THREADS)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const refDir = opt('ref', new URL('../../shared/bench-ref/', import.meta.url).pathname);
const threads = opt('threads', '1');
const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(refDir, 'bench.py'))) {
  console.error(`no bench.py in ${refDir} (pass --ref DIR)`);
  process.exit(2);
}
const blas = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const py = spawnSync('/usr/bin/python3', ['bench.py', '--steps', '10', '--only', 'vae'], {
  cwd: refDir,
  encoding: 'utf8',
  env: { ...process.env, LD_LIBRARY_PATH: blas },
});
if (py.status !== 0) {
  console.error(`PyTorch reference failed (python3-torch installed?):\n${py.stderr.slice(-1500)}`);
  process.exit(1);
}
const torchMs = JSON.parse(py.stdout.split('\n').find((l) => l.includes('"vae"'))).vae.median_ms;
const ours = spawnSync(process.execPath, ['bin/oneiro.mjs', 'bench', '--json', '--backend', 'wasm', '--only', 'vae'], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, ONEIRO_WASM_THREADS: threads },
});
if (ours.status !== 0) {
  console.error(ours.stderr.slice(-1500));
  process.exit(1);
}
const row = JSON.parse(ours.stdout).find((r) => r.name === 'vae-train-b32');
console.log(
  `vae-train-b32  PyTorch (OpenBLAS, 2 threads) ${torchMs.toFixed(0)} ms | oneiro wasm (${row.note}) ${row.median.toFixed(0)} ms | ratio ${(row.median / torchMs).toFixed(2)}×`,
);
