import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { UserError, isUserError } from '../util/errors.ts';
import { registerAllGradients } from './gradients.ts';

/**
 * Backend selection, best first: tfjs-node-gpu (CUDA) → tfjs-node (native CPU) →
 * tfjs-backend-wasm with our training kernels → tfjs-backend-cpu (reference, slow).
 * ONEIRO_BACKEND or --backend forces one; an unknown or failing choice is a UserError.
 * Gradients are registered here too (tfjs-core's Node entry has none; see gradients.ts).
 */
export const BACKEND_ORDER = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendInfo {
  name: BackendName;
  /** tfjs's own name for it ('tensorflow', 'wasm', 'cpu'). */
  tfName: string;
  threads: number;
  /** For each better backend, why it is not in use. */
  skipped: { name: BackendName; reason: string }[];
}

let current: BackendInfo | null = null;
const loaded = new Map<BackendName, { tfName: string; threads: number }>();

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

const NATIVE_PKG: Record<'node' | 'node-gpu', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

/** Whether a package can be resolved, without loading it (loading a native addon is the test). */
function resolvable(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

type LoadResult = { ok: true; tfName: string; threads: number } | { ok: false; reason: string };

async function tryLoad(name: BackendName): Promise<LoadResult> {
  const known = loaded.get(name);
  if (known) {
    if (!(await tf.setBackend(known.tfName))) return { ok: false, reason: `the ${name} backend did not initialise` };
    return { ok: true, ...known };
  }
  try {
    switch (name) {
      case 'node-gpu':
      case 'node': {
        const pkg = NATIVE_PKG[name];
        if (!resolvable(pkg)) {
          return {
            ok: false,
            reason: `${pkg} is not installed (optional: its install script downloads libtensorflow from storage.googleapis.com; \`npm run install:${name === 'node' ? 'native' : 'gpu'}-backend\` where that host is reachable)`,
          };
        }
        try {
          await import(pkg);
        } catch (e) {
          return { ok: false, reason: `${pkg} failed to load: ${(e as Error).message.split('\n')[0]}` };
        }
        if (!(await tf.setBackend('tensorflow')))
          return { ok: false, reason: `${pkg} loaded but its backend did not initialise` };
        return { ok: true, tfName: 'tensorflow', threads: 0 };
      }
      case 'wasm': {
        const { registerWasmBackend } = await import('./wasm.ts');
        const threads = await registerWasmBackend();
        if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'the wasm backend did not initialise' };
        return { ok: true, tfName: 'wasm', threads };
      }
      case 'cpu': {
        await import('@tensorflow/tfjs-backend-cpu');
        if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the cpu backend did not initialise' };
        return { ok: true, tfName: 'cpu', threads: 1 };
      }
    }
  } catch (e) {
    if (isUserError(e)) throw e; // a bad setting (e.g. ONEIRO_WASM_THREADS) is not a fallback case
    return { ok: false, reason: (e as Error).message.split('\n')[0] };
  }
}

/**
 * Chooses and initialises the backend. `requested` wins over ONEIRO_BACKEND. Calling it again
 * with another name switches backends (tests and `oneiro bench` do this); tensors do not move
 * between backends by themselves.
 */
export async function initBackend(requested?: string): Promise<BackendInfo> {
  const want = requested || process.env.ONEIRO_BACKEND || '';
  if (current && (!want || current.name === want) && tf.getBackend() === current.tfName) return current;
  if (want && !isBackendName(want)) {
    throw new UserError(`unknown backend '${want}': expected one of ${BACKEND_ORDER.join(', ')}`);
  }
  // tfjs prints a "looks like you are running TensorFlow.js in Node.js" banner on first use of
  // a JS backend; production mode silences it (and skips debug-only checks).
  tf.enableProdMode();
  await registerAllGradients();
  const skipped: BackendInfo['skipped'] = [];
  const candidates: BackendName[] = want ? [want as BackendName] : [...BACKEND_ORDER];
  for (const name of candidates) {
    const r = await tryLoad(name);
    if (r.ok) {
      await tf.ready();
      loaded.set(name, { tfName: r.tfName, threads: r.threads });
      // When forced, still say why the better ones are not the default here.
      if (want) {
        for (const better of BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(name))) {
          skipped.push({ name: better, reason: await whyNot(better) });
        }
        // whyNot may have switched the active backend; come back.
        await tf.setBackend(r.tfName);
      }
      current = { name, tfName: r.tfName, threads: r.threads, skipped };
      return current;
    }
    if (want) throw new UserError(`backend '${want}' was requested but cannot be used: ${r.reason}`);
    skipped.push({ name, reason: r.reason });
  }
  throw new Error(
    `no TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

/** One line saying why `name` is not the active backend (or 'available' when it would load). */
async function whyNot(name: BackendName): Promise<string> {
  if (name === 'node' || name === 'node-gpu') {
    const pkg = NATIVE_PKG[name];
    if (!resolvable(pkg)) return ((await tryLoad(name)) as { reason: string }).reason;
  }
  const r = await tryLoad(name);
  return r.ok ? 'available, but another backend was requested (--backend / ONEIRO_BACKEND)' : r.reason;
}

export function backendInfo(): BackendInfo {
  if (!current) throw new Error('initBackend() has not been called');
  return current;
}
