import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { loadTensors, saveTensors } from '../data/safetensors-tf.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import { checkpointsDir } from './run-dir.ts';

/**
 * Checkpoints: `checkpoints/ckpt-<step>.safetensors` (params, optimiser moments) beside
 * `ckpt-<step>.json` (position in the run and the family's JSON state: Adam step counts, CMA-ES
 * state, ...). Both are written atomically, then `latest` (the pointer) — so a kill at any moment
 * leaves `latest` naming a complete pair. Only the newest `keep` pairs stay on disk.
 */
export interface CheckpointPosition {
  /** Index into the family's phases of the next step to run, and that step (0-based in the phase). */
  phaseIndex: number;
  phase: string;
  step: number;
  /** Steps completed over the whole run. */
  globalStep: number;
}

/**
 * The index of the phase whose training wrote a checkpoint's weights: a checkpoint taken as a phase ends names the
 * next one at its step 0 (past the last: 'done'); -1 before any step.
 */
export const lastTrainedPhase = (pos: CheckpointPosition): number =>
  pos.step > 0 ? pos.phaseIndex : pos.phaseIndex - 1;

export interface CheckpointMeta extends CheckpointPosition {
  version: 1;
  family: string;
  runId: string;
  backend: string;
  saved: string;
  state: Record<string, unknown>;
}

const FILE_RE = /^ckpt-(\d+)\.json$/;
const name = (globalStep: number) => `ckpt-${String(globalStep).padStart(8, '0')}`;

export async function saveCheckpoint(
  runDir: string,
  meta: Omit<CheckpointMeta, 'version' | 'saved'>,
  tensors: Record<string, tf.Tensor>,
  keep: number,
): Promise<string> {
  const dir = checkpointsDir(runDir);
  const base = name(meta.globalStep);
  const full: CheckpointMeta = { version: 1, saved: new Date().toISOString(), ...meta };
  await saveTensors(join(dir, `${base}.safetensors`), tensors, {
    format: 'oneiro-checkpoint',
    family: meta.family,
    phase: meta.phase,
    step: String(meta.globalStep),
    backend: meta.backend,
  });
  writeJsonAtomic(join(dir, `${base}.json`), full);
  writeFileAtomic(join(dir, 'latest'), base + '\n');
  prune(dir, keep, base);
  return join(dir, `${base}.safetensors`);
}

function prune(dir: string, keep: number, current: string): void {
  const all = readdirSync(dir)
    .filter((f) => FILE_RE.test(f))
    .sort();
  for (const f of all.slice(0, Math.max(0, all.length - keep))) {
    const base = f.replace(/\.json$/, '');
    if (base === current) continue;
    for (const ext of ['.json', '.safetensors']) {
      try {
        unlinkSync(join(dir, base + ext));
      } catch {
        /* already gone */
      }
    }
  }
}

/** The base name `latest` points to, or null when the run has no checkpoint yet. */
export function latestCheckpointName(runDir: string): string | null {
  const p = join(checkpointsDir(runDir), 'latest');
  if (!existsSync(p)) return null;
  const base = readFileSync(p, 'utf8').trim();
  if (!/^ckpt-\d+$/.test(base))
    throw new UserError(`${p} should name a checkpoint like 'ckpt-00000200', found '${base.slice(0, 40)}'`);
  return base;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /** Caller disposes. */
  tensors: Record<string, tf.Tensor>;
}

export function loadCheckpoint(runDir: string, base = latestCheckpointName(runDir)): LoadedCheckpoint | null {
  if (!base) return null;
  const meta = readCheckpointMeta(runDir, base);
  const { tensors } = loadTensors(join(checkpointsDir(runDir), `${base}.safetensors`));
  return { meta, tensors };
}

/** A checkpoint's JSON half alone (its position in the run), without loading its tensors. */
export function readCheckpointMeta(runDir: string, base: string): CheckpointMeta {
  const metaPath = join(checkpointsDir(runDir), `${base}.json`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new UserError(`checkpoint ${metaPath} cannot be read: ${(e as Error).message}`);
  }
  if (meta.version !== 1) throw new UserError(`checkpoint ${metaPath} has version ${String(meta.version)}, expected 1`);
  return meta;
}

/**
 * The checkpoint `latest` names or, when that one cannot be read (a corrupt or truncated file), the
 * newest older one that can, with a warning naming both. Null when the run has no checkpoint; an
 * error listing each failure when none is intact.
 */
export function loadNewestIntactCheckpoint(runDir: string, warn: (message: string) => void): LoadedCheckpoint | null {
  let latest: string | null = null;
  const failures: string[] = [];
  try {
    latest = latestCheckpointName(runDir);
  } catch (e) {
    failures.push((e as Error).message);
  }
  const older = listCheckpoints(runDir)
    .map((c) => c.name)
    .filter((n) => n !== latest)
    .reverse();
  const candidates = [...(latest ? [latest] : []), ...older];
  if (!candidates.length) {
    if (failures.length) throw new UserError(failures[0]);
    return null;
  }
  for (const name of candidates) {
    try {
      const ck = loadCheckpoint(runDir, name);
      if (ck && failures.length)
        warn(
          `checkpoint ${failures.join('; ')}; using the newest intact checkpoint ${name} (step ${ck.meta.globalStep})`,
        );
      if (ck) return ck;
    } catch (e) {
      failures.push(`${name} cannot be used (${(e as Error).message.split('\n')[0].slice(0, 300)})`);
    }
  }
  throw new UserError(`no intact checkpoint in ${checkpointsDir(runDir)}: ${failures.join('; ')}`);
}

export function listCheckpoints(runDir: string): { name: string; globalStep: number }[] {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => FILE_RE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: `ckpt-${m[1]}`, globalStep: Number(m[1]) }))
    .sort((a, b) => a.globalStep - b.globalStep);
}

/**
 * The base name of the kept checkpoint at global step `step` (as listCheckpoints reports it), or a one-line
 * UserError naming the steps the run keeps.
 */
export function checkpointNameAtStep(runDir: string, runId: string, step: number): string {
  const kept = listCheckpoints(runDir);
  const at = kept.find((c) => c.globalStep === step);
  if (at) return at.name;
  throw new UserError(
    `run ${runId} has no checkpoint at step ${step}; ${kept.length ? `it keeps steps ${kept.map((c) => c.globalStep).join(', ')}` : 'it has no checkpoint yet'}`,
  );
}

/**
 * The checkpoint at global step `step`. Unlike loadNewestIntactCheckpoint, a corrupt one is an error naming
 * it, never another step: the caller asked for this one.
 */
export function loadCheckpointAtStep(runDir: string, runId: string, step: number): LoadedCheckpoint {
  const base = checkpointNameAtStep(runDir, runId, step);
  try {
    return loadCheckpoint(runDir, base)!;
  } catch (e) {
    throw new UserError(
      `run ${runId}: checkpoint ${base} (step ${step}) cannot be used (${(e as Error).message.split('\n')[0].slice(0, 300)})`,
    );
  }
}
