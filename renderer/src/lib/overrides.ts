import { parseOverridePair } from '../../../core/contract/overrides.ts';

/**
 * Parses the run form's config overrides, "controller.enabled=false vae.steps=200" (spaces, commas or
 * new lines between pairs), into the contract's `overrides` record. Values are read as
 * `oneiro train --set` reads them (core/contract/overrides.ts); the family's schema validates them.
 */
export type Overrides = { ok: true; values: Record<string, number | string | boolean> } | { ok: false; error: string };

export function parseOverrides(text: string): Overrides {
  const values: Record<string, number | string | boolean> = {};
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const r = parseOverridePair(pair);
    if (!r.ok) return r;
    if (r.key in values) return { ok: false, error: `"${r.key}" is given twice` };
    if (r.value === null || Array.isArray(r.value))
      return {
        ok: false,
        error: `"${pair}": the run form takes numbers, true/false or text; use a config file for ${r.value === null ? 'null' : 'lists'}`,
      };
    values[r.key] = r.value;
  }
  return { ok: true, values };
}
