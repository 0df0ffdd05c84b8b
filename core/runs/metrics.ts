import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { metricsPath } from './run-dir.ts';

/**
 * metrics.jsonl: one JSON object per logged step, Dreamer-style keys ('vae/recon_loss', 'rnn/nll',
 * 'fps') plus `step` (steps completed over the run), `phase` and `time` (ISO).
 */
export interface MetricsRecord {
  step: number;
  phase: string;
  time: string;
  [key: string]: number | string;
}

export function appendMetrics(runDir: string, rec: MetricsRecord): void {
  appendFileSync(metricsPath(runDir), JSON.stringify(rec) + '\n');
}

export function readMetrics(runDir: string): MetricsRecord[] {
  const p = metricsPath(runDir);
  if (!existsSync(p)) return [];
  const out: MetricsRecord[] = [];
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // A line torn by a kill mid-append is dropped; the rest of the file is intact.
    }
  }
  return out;
}

/**
 * On resume: drop records past the checkpoint being resumed from, so the file reads as one
 * uninterrupted run (the steps after the checkpoint are re-run and re-logged).
 */
export function truncateMetrics(runDir: string, maxStep: number): void {
  const p = metricsPath(runDir);
  if (!existsSync(p)) return;
  const kept = readMetrics(runDir).filter((r) => r.step <= maxStep);
  writeFileAtomic(p, kept.map((r) => JSON.stringify(r) + '\n').join(''));
}
