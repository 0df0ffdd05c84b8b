/**
 * User-visible notices. Every service error ends here (via `reportError`), so nothing is swallowed:
 * errors stay until dismissed, infos fade after a few seconds.
 */
export interface Toast {
  id: number;
  kind: 'error' | 'info';
  title: string;
  detail?: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  push(kind: Toast['kind'], title: string, detail?: string): number {
    const id = this.next++;
    this.items.push({ id, kind, title, detail });
    if (kind === 'info') setTimeout(() => this.dismiss(id), 4000);
    return id;
  }

  dismiss = (id: number): void => {
    const i = this.items.findIndex((t) => t.id === id);
    if (i >= 0) this.items.splice(i, 1);
  };
}

export const toasts = new Toasts();

/** Message of anything thrown: WireError-shaped objects, Errors, strings. */
export function errorMessage(e: unknown): { message: string; code?: string } {
  if (e && typeof e === 'object') {
    const o = e as { message?: unknown; code?: unknown; field?: unknown };
    const field = typeof o.field === 'string' ? ` (${o.field})` : '';
    if (typeof o.message === 'string')
      return { message: o.message + field, code: typeof o.code === 'string' ? o.code : undefined };
  }
  return { message: String(e) };
}

/** Shows a failed action to the user: "<what> failed" with the service's message. */
export function reportError(what: string, e: unknown): void {
  const { message, code } = errorMessage(e);
  console.error(`${what}:`, e);
  toasts.push('error', `${what} failed`, code ? `${message} [${code}]` : message);
}

/** Runs an async action and reports its error; resolves to undefined when it failed. */
export async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    reportError(what, e);
    return undefined;
  }
}
