import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseOverridePair } from '../contract/overrides.ts';
import { deepMerge, expandDotted, findHostileKey, bareRecord } from '../util/safe-keys.ts';
import { UserError } from '../util/errors.ts';

/**
 * `oneiro train --config FILE --set key=value ...`: the overrides a new run's config is resolved
 * with (the family's preset-plus-overrides helper validates them; --set wins over the file). The file
 * is YAML or JSON holding fields of the family's config, nested (`rssm: {deter: 64}`) or dotted
 * (`rssm.deter: 64`).
 */
const MAX_CONFIG_BYTES = 1 << 20;

export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new UserError(`--config ${path}: no such file`);
  const st = statSync(path);
  if (!st.isFile()) throw new UserError(`--config ${path}: not a regular file`);
  if (st.size > MAX_CONFIG_BYTES)
    throw new UserError(`--config ${path}: ${st.size} bytes, expected a config file of at most ${MAX_CONFIG_BYTES}`);
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    throw new UserError(`--config ${path} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${first}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new UserError(
      `--config ${path}: expected a mapping of config fields (e.g. rssm: {deter: 64}), got ${Array.isArray(value) ? 'a list' : typeof value}`,
    );
  const hostile = findHostileKey(value);
  if (hostile)
    throw new UserError(`--config ${path}: field '${hostile.path}' is ${hostile.reason}: expected config field names`);
  return expandTopLevelDots(value as Record<string, unknown>, path);
}

/** `{'rssm.deter': 64, train: {...}}` → nested, hostile segments refused. */
function expandTopLevelDots(obj: Record<string, unknown>, path: string): Record<string, unknown> {
  const fail = (m: string) => new UserError(`--config ${path}: ${m}`);
  const plain = bareRecord();
  const dotted = bareRecord();
  for (const k of Object.keys(obj)) (k.includes('.') ? dotted : plain)[k] = obj[k];
  // deepMerge refuses hostile keys anywhere in the nested part.
  const nested = deepMerge({}, plain, fail);
  return Object.keys(dotted).length ? deepMerge(nested, expandDotted(dotted, fail), fail) : nested;
}

/** `--set` pairs → a nested object. */
export function parseSetFlags(pairs: string[]): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const pair of pairs) {
    const r = parseOverridePair(pair);
    if (!r.ok) throw new UserError(`--set ${r.error}`);
    if (Object.hasOwn(flat, r.key)) throw new UserError(`--set ${r.key} is given twice`);
    flat[r.key] = r.value;
  }
  return expandDotted(flat, (m) => new UserError(`--set: ${m}`));
}

/** The overrides of `--config FILE` then `--set` (later wins), or undefined when neither is given. */
export function cliOverrides(
  configFile: string | undefined,
  sets: string[] | undefined,
): Record<string, unknown> | undefined {
  if (!configFile && !sets?.length) return undefined;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  return deepMerge(fromFile, parseSetFlags(sets ?? []), (m) => new UserError(m));
}
