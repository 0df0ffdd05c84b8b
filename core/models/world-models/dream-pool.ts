import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dreamReturn, type ActionSpec, type DreamStart, type MdnWeights } from './dream-kernel.ts';

/**
 * Scores CMA-ES candidates (mean dream return over a list of dream seeds) in parallel worker threads.
 * Each worker gets the dream once; jobs carry only the candidate and its seeds. Results depend only on
 * (candidate, seeds), never on which worker ran them, so training stays deterministic.
 */
export interface DreamSpec {
  weights: MdnWeights;
  spec: ActionSpec;
  start: DreamStart;
  length: number;
  temperature: number;
}

export class DreamPool {
  private readonly workers: Worker[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: number) => void; reject: (e: Error) => void }>();

  /** `threads` 0 = one per core; 1 runs in this thread (no workers). */
  constructor(
    private readonly dream: DreamSpec,
    threads: number,
  ) {
    const n = threads > 0 ? threads : Math.max(1, availableParallelism());
    if (n <= 1) return;
    const file = fileURLToPath(new URL('./dream-worker.mjs', import.meta.url));
    for (let i = 0; i < n; i++) {
      // No execArgv: dream-worker.mjs registers tsx itself, and the process's `--import tsx` (trainers, tests)
      // inherited loaded it a second time in each worker.
      const w = new Worker(file, { workerData: dream, execArgv: [] });
      w.on('message', (m: { id: number; value: number }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.value);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      w.on('exit', (code) => {
        if (code !== 0)
          for (const p of this.pending.values()) p.reject(new Error(`dream worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  get threads(): number {
    return Math.max(1, this.workers.length);
  }

  /** Mean dream return of each candidate over `seeds`. */
  async evaluate(candidates: Float64Array[], seeds: number[]): Promise<number[]> {
    if (this.workers.length === 0) {
      const d = this.dream;
      return candidates.map(
        (theta) =>
          seeds.reduce(
            (s, seed) =>
              s +
              dreamReturn(d.weights, theta, d.spec, d.start, { length: d.length, temperature: d.temperature, seed }),
            0,
          ) / seeds.length,
      );
    }
    return Promise.all(
      candidates.map(
        (theta, i) =>
          new Promise<number>((resolve, reject) => {
            const id = this.nextId++;
            this.pending.set(id, { resolve, reject });
            this.workers[i % this.workers.length].postMessage({ id, theta, seeds });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
