import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseCommand } from '../args.ts';
import { initBackend, type BackendInfo } from '../../tensor/backend.ts';
import { runSelfCheck, type SelfCheck } from '../../tensor/self-check.ts';
import { makeDefaultVaeTrainStep } from '../../models/world-models/vae.ts';

export const summary = 'backend in use and why better ones are not, kernel self-check, Electron/Chromium availability';

const HELP = `usage: oneiro doctor [--json] [--backend NAME]

Reports the Node version, whether an Electron binary is present, the TensorFlow.js backend in use
(and for each better one why it is not), wasm threads, a gradient self-check of the training
kernels against the cpu backend, one timed World Models VAE training step (batch 8), and whether
Chromium for the e2e tests is found. Exits 1 when the chosen backend fails its self-check.`;

interface Report {
  node: string;
  electron: { present: boolean; path: string | null; reason: string };
  backend: { name: string; tfName: string; threads: number; skipped: BackendInfo['skipped'] };
  wasmThreads: { threads: number; note: string } | null;
  selfCheck: SelfCheck;
  vaeStep: { ms: number | null; batch: number; model: string | null; note: string };
  chromium: { found: boolean; path: string | null };
  ok: boolean;
}

/** Electron's binary without require('electron') (its index may try to download one). */
function electronStatus(): Report['electron'] {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { present: false, path: null, reason: 'the electron package is not installed' };
  }
  const pathTxt = join(dir, 'path.txt');
  const dist = join(dir, 'dist');
  if (existsSync(pathTxt) && existsSync(dist)) {
    const bin = join(dist, readFileSync(pathTxt, 'utf8').trim());
    if (existsSync(bin)) return { present: true, path: bin, reason: 'binary found' };
  }
  return {
    present: false,
    path: null,
    reason:
      "no Electron binary (npm install's download from github.com did not run or failed: npm run fetch:electron retries)",
  };
}

function chromiumStatus(): Report['chromium'] {
  for (const p of [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean,
  ) as string[]) {
    if (existsSync(p)) return { found: true, path: p };
  }
  return { found: false, path: null };
}

async function timeVaeStep(backend: string): Promise<Report['vaeStep']> {
  const batch = 8;
  if (backend === 'cpu')
    return { ms: null, batch, model: null, note: 'skipped on the cpu backend (tens of seconds per step)' };
  const vae = makeDefaultVaeTrainStep(0);
  const x = tf.randomUniform([batch, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  try {
    for (let i = 0; i < 2; i++) vae.step(x); // warm-up: XNNPACK operator setup, weight packing
    const t0 = performance.now();
    const loss = vae.step(x);
    const ms = performance.now() - t0;
    return {
      ms,
      batch,
      model: 'World Models ConvVAE (default preset, core/models/world-models/vae.ts)',
      note: Number.isFinite(loss) ? 'forward, backward, Adam on 64×64×3' : 'loss was not finite',
    };
  } finally {
    x.dispose();
    vae.dispose();
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('doctor', argv, {}, false);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const info = await initBackend(values.backend);
  // ONEIRO_SELF_CHECK_TOL tightens the tolerance (tests use 0 to see the failure exit code).
  const tolEnv = process.env.ONEIRO_SELF_CHECK_TOL;
  const tol = tolEnv !== undefined && tolEnv !== '' && Number.isFinite(Number(tolEnv)) ? Number(tolEnv) : 1e-4;
  const selfCheck = await runSelfCheck(info.name, tol);
  let wasmThreads: Report['wasmThreads'] = null;
  if (info.name === 'wasm') {
    const w = await import('../../tensor/wasm.ts');
    wasmThreads = { threads: w.wasmThreads(), note: w.wasmThreadNote() };
  }
  const vaeStep = await timeVaeStep(info.name);
  const report: Report = {
    node: process.versions.node,
    electron: electronStatus(),
    backend: { name: info.name, tfName: info.tfName, threads: info.threads, skipped: info.skipped },
    wasmThreads,
    selfCheck,
    vaeStep,
    chromium: chromiumStatus(),
    ok: selfCheck.ok,
  };
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`,
    );
  } else {
    const L: string[] = [];
    L.push(`node       ${report.node}`);
    L.push(`electron   ${report.electron.present ? report.electron.path : `not present — ${report.electron.reason}`}`);
    L.push(`backend    ${info.name} (tfjs '${info.tfName}')`);
    for (const s of info.skipped) L.push(`  not ${s.name.padEnd(8)} ${s.reason}`);
    if (wasmThreads) L.push(`threads    ${wasmThreads.note}`);
    L.push(
      `self-check ${selfCheck.ok ? 'PASS' : 'FAIL'}: ${selfCheck.cases.length} kernels vs cpu, worst relative error ${selfCheck.worst.toExponential(1)} (tolerance ${selfCheck.tolerance}), ${(selfCheck.ms / 1000).toFixed(1)} s`,
    );
    for (const c of selfCheck.cases.filter((c) => !c.ok)) L.push(`  FAIL ${c.name}: ${c.relErr}`);
    L.push(
      `vae step   ${vaeStep.ms === null ? vaeStep.note : `${vaeStep.ms.toFixed(0)} ms at batch ${vaeStep.batch} (${vaeStep.note}; model ${vaeStep.model})`}`,
    );
    L.push(
      `chromium   ${report.chromium.found ? report.chromium.path : 'not found (/usr/bin/chromium or CHROME_PATH); e2e tests need it'}`,
    );
    console.log(L.join('\n'));
  }
  return report.ok ? 0 : 1;
}
