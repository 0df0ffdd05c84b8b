import { randomBytes } from 'node:crypto';
import type { ChannelName, WireError } from '../core/contract/names.ts';

/**
 * Host paths a desktop page may name (Electron security checklist: the renderer is untrusted). In web
 * mode the session token stands for the user; in the desktop app a page could make up any path, so
 * `datasets:import` takes only a grant: an opaque token the main process issued for a folder the user
 * picked in a native dialog. A grant is single-use and expires.
 */

export const GRANT_PREFIX = 'oneiro-folder-grant:';
const TTL_MS = 10 * 60 * 1000;

export class FolderGrants {
  private readonly grants = new Map<string, { path: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A token for a folder the user chose in a dialog (main process only). */
  issue(path: string): string {
    for (const [t, g] of this.grants) if (g.expires <= this.now()) this.grants.delete(t);
    const token = `${GRANT_PREFIX}${randomBytes(16).toString('hex')}`;
    this.grants.set(token, { path, expires: this.now() + TTL_MS });
    return token;
  }

  /** The folder behind a token, once; null for anything else (a path, a used or expired token). */
  take(token: unknown): string | null {
    if (typeof token !== 'string') return null;
    const g = this.grants.get(token);
    if (!g) return null;
    this.grants.delete(token);
    return g.expires > this.now() ? g.path : null;
  }
}

/** Rewrites a channel's payload before the dispatcher, or refuses it. */
export type PayloadGate = (payload: unknown) => { ok: true; payload: unknown } | { ok: false; error: WireError };

/** `datasets:import` from a desktop page: `source` must be a grant; the service then sees the granted path. */
export function importGate(grants: FolderGrants): Partial<Record<ChannelName, PayloadGate>> {
  return {
    'datasets:import': (payload) => {
      const p = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
      const path = grants.take(p.source);
      if (path === null)
        return {
          ok: false,
          error: {
            code: 'invalid_request',
            field: 'payload.source',
            message:
              'datasets:import: payload.source: in the desktop app the folder must come from the folder dialog ' +
              '(window.oneiro.chooseFolder() returns a one-time grant), not a path string',
          },
        };
      return { ok: true, payload: { ...p, source: path } };
    },
  };
}
