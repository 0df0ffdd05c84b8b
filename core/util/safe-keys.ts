/**
 * Keys that come from outside (a message, a flag, a config file, a dotted override) must never walk
 * onto a prototype: `{'__proto__.t': 1}` expanded naively writes `Object.prototype.t`, and every later
 * strict parse in the process then fails. Every path or key built from outside goes through here.
 * Browser-safe (the contract uses it): no Node imports.
 */

const HOSTILE = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `key` may not be used as an object key from outside, or null when it may. */
export function hostileKeyReason(key: string): string | null {
  if (key === '') return 'an empty key';
  if (HOSTILE.has(key)) return `the reserved key '${key}'`;
  return null;
}

/** The first hostile key anywhere in a JSON-like value, as a dotted path, or null. Depth-limited. */
export function findHostileKey(
  value: unknown,
  path: string[] = [],
  depth = 0,
): { path: string; reason: string } | null {
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findHostileKey(value[i], [...path, String(i)], depth + 1);
      if (hit) return hit;
    }
    return null;
  }
  // Own keys only, including a literal "__proto__" that JSON.parse creates as an own property.
  for (const key of Object.keys(value)) {
    const reason = key === '' ? null : hostileKeyReason(key);
    if (reason) return { path: [...path, key].join('.'), reason };
    const hit = findHostileKey((value as Record<string, unknown>)[key], [...path, key], depth + 1);
    if (hit) return hit;
  }
  return null;
}

/** Throws (via `fail`) when a dotted path has an empty or reserved segment. */
export function checkDottedPath(path: string, fail: (message: string) => Error): string[] {
  const parts = path.split('.');
  for (const p of parts) {
    const reason = hostileKeyReason(p);
    if (reason)
      throw fail(`override '${path.slice(0, 120)}' has ${reason}: expected dotted field names like 'rssm.deter'`);
  }
  return parts;
}

/** A null-prototype record: assigning any key to it never reaches Object.prototype. */
export function bareRecord<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** { 'vae.lr': 1e-3 } → { vae: { lr: 1e-3 } }, with null-prototype nodes and hostile segments refused. */
export function expandDotted(flat: Record<string, unknown>, fail: (message: string) => Error): Record<string, unknown> {
  const out = bareRecord();
  for (const key of Object.keys(flat)) {
    const parts = checkDottedPath(key, fail);
    let node = out;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (typeof next !== 'object' || next === null) node[p] = bareRecord();
      node = node[p] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = flat[key];
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. Hostile keys in
 * `over` are refused through `fail`; the result's nodes are ordinary objects built key by key.
 */
export function deepMerge<T>(base: T, over: unknown, fail: (message: string) => Error, path: string[] = []): T {
  if (over === undefined) return base;
  if (!isPlainObject(over) || !isPlainObject(base)) return over as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(base)) out[k] = (base as Record<string, unknown>)[k];
  for (const k of Object.keys(over)) {
    const reason = hostileKeyReason(k);
    if (reason) throw fail(`config key '${[...path, k].join('.')}' is ${reason}: expected a field name`);
    const merged = deepMerge(Object.hasOwn(base, k) ? (base as Record<string, unknown>)[k] : undefined, over[k], fail, [
      ...path,
      k,
    ]);
    Object.defineProperty(out, k, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out as T;
}
