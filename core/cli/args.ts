import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve, join, dirname } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { UserError } from '../util/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  workspace: { type: 'string' },
  json: { type: 'boolean', default: false },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

/**
 * parseArgs with the common options added and errors turned into UserErrors that name the flag.
 */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (e) {
    throw new UserError(
      `${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')} (see 'oneiro ${command} --help')`,
    );
  }
}

export { workspaceDir } from '../util/workspace.ts';

export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UserError(
      `--${name} must be an integer${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` and <= ${max}` : ''}, got '${value}'`,
    );
  }
  return n;
}

export function numberFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UserError(`--${name} must be a number in [${min}, ${max}], got '${value}'`);
  }
  return n;
}

export function requireFlag<T>(name: string, value: T | undefined): T {
  if (value === undefined || value === '') throw new UserError(`--${name} is required`);
  return value;
}

/**
 * An output file flag: resolved, and its folder must already exist. A typo in the folder is an error,
 * not a silently created tree somewhere unexpected.
 */
export function outFileFlag(name: string, value: string | undefined): string {
  const out = resolve(requireFlag(name, value));
  const dir = dirname(out);
  if (!existsSync(dir)) throw new UserError(`--${name} ${value}: folder ${dir} does not exist; create it first`);
  if (!statSync(dir).isDirectory()) throw new UserError(`--${name} ${value}: ${dir} is not a folder`);
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UserError(
      `--${name} ${value} is a folder; expected a file name such as ${join(value ?? '', 'dream.png')}`,
    );
  return out;
}
