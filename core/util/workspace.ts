import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The workspace folder: the given flag (--workspace), else ONEIRO_WORKSPACE, else ~/.oneiro. Shared by the
 * CLI and the Electron host, so both open the same workspace for the same settings.
 */
export function workspaceDir(flag: string | undefined): string {
  if (flag) return resolve(flag);
  if (process.env.ONEIRO_WORKSPACE) return resolve(process.env.ONEIRO_WORKSPACE);
  return join(homedir(), '.oneiro');
}
