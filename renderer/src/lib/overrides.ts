/**
 * Parses the run form's config overrides, "controller.enabled=false vae.steps=200" (spaces, commas or
 * new lines between pairs), into the contract's `overrides` record: true/false → boolean, numbers →
 * number, anything else stays a string. The family's config schema validates the keys and values.
 */
export type Overrides = { ok: true; values: Record<string, number | string | boolean> } | { ok: false; error: string };

export function parseOverrides(text: string): Overrides {
  const values: Record<string, number | string | boolean> = {};
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1)
      return { ok: false, error: `"${pair}": expected key=value, e.g. vae.steps=200` };
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(key))
      return { ok: false, error: `"${key}": expected a dotted config key such as rnn.hidden` };
    if (key in values) return { ok: false, error: `"${key}" is given twice` };
    values[key] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw.trim() !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return { ok: true, values };
}
