import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Episode } from './episode.ts';
import {
  addEpisode,
  commitStagedDataset,
  createDatasetAt,
  datasetDir,
  datasetsDir,
  updateDatasetMeta,
  actionDimOf,
  readExportMeta,
  EXPORT_META_FILE,
  type Dataset,
  type DatasetActionSpace,
  type DatasetExportMeta,
} from './dataset.ts';
import { importDreamerFolder, importedEpisodeName, type ImportFormat, type ImportReport } from './import-dreamer.ts';
import { UserError } from '../util/errors.ts';
import { printable } from '../util/printable.ts';

/**
 * `oneiro dataset import`: reads a Dreamer folder into a staging folder and moves it into place at the end,
 * so a dataset appears whole or not at all. The first good episode fixes the frame size and action width;
 * later episodes that disagree are reported as bad. The action space is inferred from the data.
 */

export interface DatasetImportOptions {
  format?: ImportFormat;
  numActions?: number;
  env?: string | null;
  onFile?: (file: string) => void;
}

/** Tracks whether every action row is one-hot (or the zero row 0) and the per-dimension range. */
class ActionSpaceGuess {
  oneHot = true;
  low: number[] = [];
  high: number[] = [];

  see(ep: Episode): void {
    const A = ep.actionDim;
    if (this.low.length === 0) {
      this.low = new Array(A).fill(Infinity);
      this.high = new Array(A).fill(-Infinity);
    }
    for (let t = 0; t < ep.imageShape[0]; t++) {
      let ones = 0;
      let others = 0;
      for (let k = 0; k < A; k++) {
        const v = ep.action[t * A + k];
        if (v < this.low[k]) this.low[k] = v;
        if (v > this.high[k]) this.high[k] = v;
        if (v === 1) ones++;
        else if (v !== 0) others++;
      }
      if (others > 0 || ones > 1 || (ones === 0 && !ep.isFirst[t])) this.oneHot = false;
    }
  }

  space(): DatasetActionSpace {
    const A = this.low.length;
    if (this.oneHot && A > 1) return { kind: 'discrete', n: A };
    return {
      kind: 'box',
      shape: [A],
      low: this.low.map((v) => (Number.isFinite(v) ? v : 0)),
      high: this.high.map((v) => (Number.isFinite(v) ? v : 0)),
    };
  }
}

export function importIntoDataset(
  workspace: string,
  name: string,
  dir: string,
  opts: DatasetImportOptions = {},
): { report: ImportReport; dataset: Dataset | null } {
  const final = datasetDir(workspace, name);
  if (existsSync(final))
    throw new UserError(
      `dataset '${name}' already exists in ${datasetsDir(workspace)}; choose another name or 'oneiro dataset rm ${name}'`,
    );
  // An Oneiro export carries the env name and action space; a bad metadata file is reported, never fatal.
  let exported: DatasetExportMeta | null = null;
  let metaProblem: string | null = null;
  try {
    exported = readExportMeta(dir);
  } catch (e) {
    metaProblem = (e as Error).message.replace(`${EXPORT_META_FILE}: `, '');
  }
  const staging = join(datasetsDir(workspace), `.staging-${name}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  let ds: Dataset | null = null;
  const guess = new ActionSpaceGuess();
  try {
    const report = importDreamerFolder(dir, {
      format: opts.format,
      numActions: opts.numActions,
      onFile: opts.onFile,
      onEpisode: (ep, sources) => {
        if (!ds) {
          ds = createDatasetAt(staging, name, {
            env: opts.env ?? exported?.env ?? null,
            observationShape: [ep.imageShape[1], ep.imageShape[2], 3],
            // Placeholder width until the end of the import, when the space is inferred from all episodes.
            actionSpace: { kind: 'box', shape: [ep.actionDim], low: [], high: [] },
            actionSpaceInferred: true,
            source: {},
          });
        }
        const file = importedEpisodeName(ep, sources);
        addEpisode(ds, ep, file && !ds.meta.episodes.some((e) => e.file === file) ? { file } : {});
        guess.see(ep);
      },
    });
    if (metaProblem)
      report.bad.push({ file: EXPORT_META_FILE, reason: printable(`${metaProblem} (env name not taken from it)`) });
    if (!ds) return { report, dataset: null };
    const d: Dataset = ds;
    const fromExport = exported && actionDimOf(exported.actionSpace) === actionDimOf(d.meta.actionSpace);
    const space = fromExport
      ? exported!.actionSpace
      : report.numActions
        ? { kind: 'discrete' as const, n: report.numActions }
        : guess.space();
    updateDatasetMeta(d, {
      actionSpace: space,
      actionSpaceInferred: !fromExport,
      source: {
        kind: 'import',
        format: report.format,
        dir: report.dir,
        files: report.files,
        converted: report.converted,
        skipped: report.bad,
        partialEpisodesDropped: report.partial,
        ...(exported ? { exportedFrom: exported.name } : {}),
      },
    });
    return { report, dataset: commitStagedDataset(workspace, name, staging) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
