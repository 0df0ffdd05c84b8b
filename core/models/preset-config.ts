import type { z } from 'zod';
import { deepMerge } from '../util/safe-keys.ts';
import { UserError } from '../util/errors.ts';

/**
 * The one config path of every model family: a strict schema (unknown keys and out-of-range numbers
 * are errors), named presets that are complete configs, and overrides deep-merged onto a preset
 * (through core/util/safe-keys.ts, so hostile keys never reach a prototype). A family declares a
 * spec and spreads the result into its ModelFamily; errors are one line naming the field and what
 * was expected.
 */
export interface PresetConfigSpec<C> {
  /** Family name used in errors ('rssm config: ...'). */
  family: string;
  /** Strict at every level (z.strictObject) with a maximum on every number. */
  schema: z.ZodType<C>;
  /** Complete configs by name; a 'default' entry is what a run uses without --preset. */
  presets: Record<string, C>;
  /**
   * Fixes up the merged object before validation. E.g. an override that changes a discriminated
   * union's `kind` should replace the block rather than merge the old variant's fields into it.
   */
  adjust?(merged: Record<string, unknown>, base: C, overrides: Record<string, unknown>): void;
}

export interface PresetConfig<C> {
  presets: string[];
  /** Complete, validated config from a preset plus (deep-merged) overrides. */
  resolveConfig(preset: string, overrides?: unknown): C;
  /** Validates a complete stored config. */
  parseConfig(raw: unknown, where?: string): C;
}

export function presetConfig<C>(spec: PresetConfigSpec<C>): PresetConfig<C> {
  const names = Object.keys(spec.presets);
  const parseConfig = (raw: unknown, where = `${spec.family} config`): C => {
    const r = spec.schema.safeParse(raw);
    if (!r.success) throw new UserError(`invalid ${where}: ${describeIssues(r.error.issues, raw)}`);
    return r.data;
  };
  return {
    presets: names,
    parseConfig,
    resolveConfig(preset: string, overrides?: unknown): C {
      if (!Object.hasOwn(spec.presets, preset))
        throw new UserError(`unknown ${spec.family} preset '${preset}': expected one of ${names.join(', ')}`);
      const base = structuredClone(spec.presets[preset]);
      if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)))
        throw new UserError(`${spec.family} overrides must be an object of fields, got ${typeof overrides}`);
      const merged = deepMerge(base, overrides, (m) => new UserError(m)) as Record<string, unknown>;
      if (overrides) spec.adjust?.(merged, base, overrides as Record<string, unknown>);
      return parseConfig(merged, `${spec.family} config (preset '${preset}')`);
    },
  };
}

/** The value at a path of a JSON-like object (own properties only), or undefined. */
function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Edit distance, for "did you mean" on a misspelled key. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

type Issue = z.core.$ZodIssue;

/** One line for zod issues: `field: what was wrong, what was expected`, joined by '; '. */
export function describeIssues(issues: readonly Issue[], raw: unknown): string {
  return issues.map((i) => describeIssue(i, raw)).join('; ');
}

function describeIssue(i: Issue, raw: unknown): string {
  const at = (p: PropertyKey[]) => p.map(String).join('.') || '(root)';
  if (i.code === 'unrecognized_keys') {
    const parent = valueAt(raw, i.path);
    const known = parent && typeof parent === 'object' ? Object.keys(parent).filter((k) => !i.keys.includes(k)) : [];
    return i.keys
      .map((k) => {
        const near = known.filter((n) => distance(k, n) <= 2).sort((a, b) => distance(k, a) - distance(k, b))[0];
        return `${at([...i.path, k])}: unknown field${near ? ` (did you mean '${at([...i.path, near])}'?)` : ''}; expected one of ${known.join(', ')}`;
      })
      .join('; ');
  }
  if (i.code === 'too_big') {
    const got = valueAt(raw, i.path);
    const max = `${i.inclusive === false ? 'below' : 'at most'} ${String(i.maximum)}`;
    if (i.origin === 'array' && Array.isArray(got)) return `${at(i.path)}: has ${got.length} entries, expected ${max}`;
    return `${at(i.path)}: ${typeof got === 'number' ? got : 'value'} is too large, expected ${max}`;
  }
  return `${at(i.path)}: ${i.message}`;
}
