import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';

/**
 * Where the workbench's exports land (a strip, a run's features): `<workspace>/exports/STEM-YYYYMMDDTHHMMSS.EXT`,
 * written atomically, so the file the client saves also stays in the workspace under a name that sorts by time.
 */
export function writeExport(
  workspace: string,
  stem: string,
  ext: string,
  bytes: Uint8Array,
): { fileName: string; path: string } {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const fileName = `${stem}-${stamp}.${ext}`;
  const path = join(workspace, 'exports', fileName);
  writeFileAtomic(path, bytes);
  return { fileName, path };
}
