import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What a CLI user sees when something other than their input failed (a UserError is printed as it
 * is): one line saying what happened and what to try; the full stack goes to a log file only.
 */
const OUT_OF_MEMORY =
  /memory access out of bounds|Array buffer allocation failed|Invalid typed array length|out of memory|Cannot enlarge memory|Aborted\(OOM\)/i;

export function describeFailure(e: unknown, logFile: string): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const first = err.message.split('\n')[0].slice(0, 200);
  if (OUT_OF_MEMORY.test(err.message) || err instanceof RangeError)
    return `ran out of memory (${err.name}: ${first}): try a smaller preset (--preset debug) or batch/sequence (e.g. --set train.batch=8), or the native backend (npm run install:native-backend); details in ${logFile}`;
  return `internal error (${err.name}: ${first}); the full stack is in ${logFile}`;
}

/** Appends the error's stack to `file` (creating its folder); never throws. */
export function logFailure(file: string, e: unknown, context: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
    appendFileSync(file, `${new Date().toISOString()} ${context}\n${stack}\n\n`);
  } catch {
    /* the one-line message is still printed */
  }
}

export const workspaceLogFile = (workspace: string, command: string) =>
  join(workspace, 'logs', `${command}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
