/** One row of `npm run bench`: a median over >= 10 measured steps after warm-up. */
export interface BenchRow {
  name: string;
  backend: string;
  median: number;
  unit: string;
  /** Optional context printed in the table (e.g. "2 threads", "PyTorch 180 ms, ratio 3.2×"). */
  note?: string;
}

export interface BenchContext {
  /** Backends to measure on (those that load here), e.g. ['wasm'] or ['wasm', 'cpu']. */
  backends: string[];
  /** Measured steps per row (>= 10). */
  steps: number;
  /** Quick mode for smoke tests: fewer steps, smaller shapes allowed (rows must say so in `note`). */
  quick: boolean;
  /** Switches the process's tfjs backend; suites call it before measuring on a backend. */
  useBackend(name: string): Promise<void>;
  log(msg: string): void;
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
