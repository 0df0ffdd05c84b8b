import { createRequire } from 'node:module';
import { initBackend, type BackendName } from '../../../core/tensor/backend.ts';

/** Whether an optional package (the native backends) is installed here, so a test asserts the right contract. */
export function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** The backend `initBackend()` picks on this machine with nothing forced (wasm here; node once installed). */
export async function defaultBackend(): Promise<BackendName> {
  const saved = process.env.ONEIRO_BACKEND;
  delete process.env.ONEIRO_BACKEND;
  try {
    return (await initBackend()).name;
  } finally {
    if (saved !== undefined) process.env.ONEIRO_BACKEND = saved;
  }
}
