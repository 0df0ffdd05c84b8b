/**
 * Config overrides as people type them: `key=value` with a dotted key (`rssm.deter=64`). Shared by
 * the run form of the UI and `oneiro train --set`, so both read a value the same way: true/false →
 * boolean, null → null, a number → number, a JSON array → array (`encoder.kernels=[4,4,4]`),
 * anything else stays a string. The family's config schema then validates keys and values.
 * Browser-safe (the renderer imports it).
 */
export type OverrideValue = number | string | boolean | null | OverrideValue[];

export function parseOverrideValue(raw: string): OverrideValue {
  const t = raw.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  if (t.startsWith('[') && t.endsWith(']')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => ['number', 'string', 'boolean'].includes(typeof x)))
        return v as OverrideValue[];
    } catch {
      /* not JSON: kept as the string it is */
    }
  }
  return raw;
}

const KEY = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

/** One `key=value` pair, or the reason it is not one. */
export function parseOverridePair(
  pair: string,
): { ok: true; key: string; value: OverrideValue } | { ok: false; error: string } {
  const eq = pair.indexOf('=');
  if (eq <= 0 || eq === pair.length - 1)
    return { ok: false, error: `"${pair.slice(0, 80)}": expected key=value, e.g. rssm.deter=64` };
  const key = pair.slice(0, eq);
  if (!KEY.test(key))
    return { ok: false, error: `"${key.slice(0, 80)}": expected a dotted config key such as rnn.hidden` };
  return { ok: true, key, value: parseOverrideValue(pair.slice(eq + 1)) };
}
