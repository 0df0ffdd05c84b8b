import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors.ts';

/**
 * Backend selection, best first: tfjs-node-gpu (CUDA) → tfjs-node (native CPU) →
 * tfjs-backend-wasm with our training kernels → tfjs-backend-cpu (reference, slow).
 * ONEIRO_BACKEND or --backend forces one; an unknown or failing choice is an error.
 *
 * NOTE: initial version; core/tensor owners extend it (wasm training kernels, threads, reasons).
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

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

async function tryLoad(name: BackendName): Promise<{ ok: true; tfName: string; threads: number } | { ok: false; reason: string }> {
  try {
    switch (name) {
      case 'node-gpu':
      case 'node': {
        const pkg = name === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        try {
          await import(pkg);
        } catch (e) {
          const msg = (e as Error).message.split('\n')[0];
          return { ok: false, reason: /Cannot find (package|module)/.test(msg) ? `${pkg} is not installed (optional; see README "Backends")` : `${pkg} failed to load: ${msg}` };
        }
        if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: `${pkg} loaded but its backend did not initialise` };
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
    return { ok: false, reason: (e as Error).message.split('\n')[0] };
  }
}

/** Chooses and initialises the backend once per process. `requested` wins over ONEIRO_BACKEND. */
export async function initBackend(requested?: string): Promise<BackendInfo> {
  const want = requested ?? process.env.ONEIRO_BACKEND ?? '';
  if (current && (!want || current.name === want)) return current;
  if (want && !isBackendName(want)) {
    throw new UserError(`unknown backend '${want}': expected one of ${BACKEND_ORDER.join(', ')}`);
  }
  const skipped: BackendInfo['skipped'] = [];
  const candidates: BackendName[] = want ? [want as BackendName] : [...BACKEND_ORDER];
  for (const name of candidates) {
    const r = await tryLoad(name);
    if (r.ok) {
      await tf.ready();
      current = { name, tfName: r.tfName, threads: r.threads, skipped };
      return current;
    }
    if (want) throw new UserError(`backend '${want}' was requested but cannot be used: ${r.reason}`);
    skipped.push({ name, reason: r.reason });
  }
  throw new Error(`no TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function backendInfo(): BackendInfo {
  if (!current) throw new Error('initBackend() has not been called');
  return current;
}
