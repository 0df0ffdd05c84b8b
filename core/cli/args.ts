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

/** The one positional argument of a command (its RUN id, its DATASET name), or a UserError naming what came. */
export function onePositional(command: string, positionals: string[], what: string): string {
  if (positionals.length !== 1)
    throw new UserError(
      `${command}: expected one ${what}, got ${positionals.length ? positionals.join(' ') : 'none'} (see 'oneiro ${command} --help')`,
    );
  return positionals[0];
}

/** A command that takes no positional arguments: a UserError naming any that came. */
export function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length)
    throw new UserError(
      `${command} takes no positional arguments, got '${positionals.join(' ')}' (see 'oneiro ${command} --help')`,
    );
}

export { workspaceDir } from '../util/workspace.ts';

/** An integer flag in [min, max]; `fallback` when absent. */
export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): number {
  const bounds = `${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` and <= ${max}` : ''}`;
  return boundedFlag(name, value, fallback, min, max, Number.isInteger, `an integer${bounds}`);
}

/** A finite number flag in [min, max]; `fallback` when absent. */
export function numberFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): number {
  return boundedFlag(name, value, fallback, min, max, Number.isFinite, `a number in [${min}, ${max}]`);
}

/** The one rule of the numeric flags: absent is the fallback; else `valid` and in [min, max], or a UserError. */
function boundedFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  valid: (n: number) => boolean,
  expected: string,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!valid(n) || n < min || n > max) throw new UserError(`--${name} must be ${expected}, got '${value}'`);
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
