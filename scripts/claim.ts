import { parseArgs, type ParseArgsConfig } from 'node:util';
import { bootstrapInterval } from '../core/util/bootstrap.ts';
/**
 * The verdict line an eval script ends with: it states its claim, prints a table of what was compared,
 * and sets a non-zero exit code when the claim fails, so `npm run eval:*` can gate on it.
 */
export interface ClaimRow {
  name: string;
  mean: number;
  std: number;
  returns: number[];
}

export function summarize(name: string, xs: number[]): ClaimRow {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { name, mean, std, returns: xs };
}

/**
 * Two policies scored on the same env seeds, episode i against episode i: the mean of the per-episode differences
 * with a 95 % percentile-bootstrap interval over episodes (Efron & Tibshirani 1993, ch. 13; 2000 resamples, fixed
 * seed, so a re-run prints the same interval), and on how many episodes the first did better, worse or the same.
 * Why: on car-racing a track's own difficulty spreads returns by ±10, so a 4-point mean win on 10 tracks is noise
 * (session 14's seed 0: 6 better, 2 worse) — pairing by track takes the track's difficulty out.
 */
export interface PairedDifference {
  episodes: number;
  mean: number;
  ci95: [number, number];
  better: number;
  worse: number;
  equal: number;
}

export function pairedDifference(a: readonly number[], b: readonly number[], resamples = 2000): PairedDifference {
  if (a.length !== b.length || a.length === 0)
    throw new Error(`pairedDifference: ${a.length} and ${b.length} returns are not one pair per episode`);
  const d = a.map((x, i) => x - b[i]!);
  // Two policies that drive the same frames on a track (car-racing: neither reaches a tile) sum the same rewards
  // in another order: returns 1e-12 apart are the same return.
  const same = d.map((x, i) => Math.abs(x) <= 1e-9 * Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!)));
  // The mean of the listed episodes' differences, read through the indices rather than copied out per resample;
  // summed from 0 in the listed order, as reducing a copy did, so the interval keeps its bits.
  const meanOver = (idx: ArrayLike<number>) => {
    let s = 0;
    for (let k = 0; k < idx.length; k++) s += d[idx[k]!]!;
    return s / idx.length;
  };
  // The shared bootstrap over episodes (core/util/bootstrap.ts), from one pair up (its interval is then the point).
  const [ci95] = bootstrapInterval(d.length, 1, (idx) => [meanOver(idx)], 20261202, resamples, 1);
  return {
    episodes: d.length,
    mean: meanOver(d.map((_, i) => i)),
    ci95: ci95!,
    better: d.filter((x, i) => !same[i] && x > 0).length,
    worse: d.filter((x, i) => !same[i] && x < 0).length,
    equal: same.filter(Boolean).length,
  };
}

/** One line: "paired over N episodes: a − b = +7.1 [+2.4, +11.8] (95 %); better on 39, worse on 21, equal on 0". */
export function formatPaired(p: PairedDifference, a: string, b: string): string {
  const f = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
  const sure = p.ci95[0] > 0 ? 'above 0' : p.ci95[1] < 0 ? 'below 0' : 'includes 0: not significant';
  return `paired over ${p.episodes} episodes (same env seeds): ${a} − ${b} = ${f(p.mean)} [${f(p.ci95[0])}, ${f(p.ci95[1])}] (95 %, ${sure}); better on ${p.better}, worse on ${p.worse}, equal on ${p.equal}`;
}

/**
 * Prints the table and the verdict of "`winner` has a higher mean return than `loser`"; returns whether it held.
 * With `paired` (`pairedDifference(winner.returns, loser.returns)`, when both were scored on the same env seeds,
 * episode by episode; the caller computes it once for this line and its --json) it also prints the paired
 * difference, and the claim needs its 95 % interval above 0 too: a mean win whose interval reaches 0 (session 21's
 * population-64 controller, +2.4 [−0.3, +5.4] over 50 tracks) may be the draw of tracks, not the policy.
 */
export function checkBeats(
  claim: string,
  winner: ClaimRow,
  loser: ClaimRow,
  print = true,
  paired?: PairedDifference,
): boolean {
  const higher = winner.mean > loser.mean;
  const sure = paired === undefined || paired.ci95[0] > 0;
  const holds = higher && sure;
  if (print) {
    const w = Math.max(winner.name.length, loser.name.length);
    console.log(`claim: ${claim}`);
    console.log(`  ${'policy'.padEnd(w)}  ${'mean'.padStart(9)}  ${'std'.padStart(8)}  returns`);
    for (const r of [winner, loser])
      console.log(
        `  ${r.name.padEnd(w)}  ${r.mean.toFixed(2).padStart(9)}  ${r.std.toFixed(2).padStart(8)}  [${r.returns.map((x) => x.toFixed(1)).join(', ')}]`,
      );
    console.log(
      `verdict: ${holds ? 'PASS' : 'FAIL'} (${winner.name} ${higher ? '>' : '<='} ${loser.name} in mean return${higher && !sure ? ', but the paired interval reaches 0' : ''})`,
    );
    if (paired) console.log(`  ${formatPaired(paired, winner.name, loser.name)}`);
  }
  if (!holds) process.exitCode = 1;
  return holds;
}

/** A bad flag of an eval script: one line naming the script and what was expected, exit code 2. */
export function flagError(script: string, msg: string): never {
  process.stderr.write(`${script}: ${msg}\n`);
  process.exit(2);
}

/** A numeric flag in [min, max], or a one-line error (flagError). */
export function numFlag(script: string, name: string, v: string | undefined, min: number, max = Infinity): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    flagError(
      script,
      `--${name} must be a number ${max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`}, got '${v}'`,
    );
  return n;
}

/** `--override JSON`: config overrides as a JSON object ({} when absent), or a one-line error (flagError). */
export function overrideFlag(script: string, v: string | undefined): Record<string, unknown> {
  if (v === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    flagError(script, `--override must be a JSON object of config overrides, got '${v}'`);
  return parsed as Record<string, unknown>;
}

/**
 * The flags of the online eval scripts (eval:dreamer, eval:lexa) for parseFlags, with each script's own defaults:
 * --env; --steps and --minutes, training stops at whichever comes first; --episodes scored; --seed; --workspace;
 * --json. Their numbers: `budgetFlags`.
 */
export function budgetOptions(defaults: { env: string; steps: string; minutes: string }) {
  return {
    env: { type: 'string', default: defaults.env },
    steps: { type: 'string', default: defaults.steps },
    minutes: { type: 'string', default: defaults.minutes },
    episodes: { type: 'string', default: '5' },
    seed: { type: 'string', default: '0' },
    workspace: { type: 'string' },
    json: { type: 'boolean', default: false },
  } as const;
}

/** The numbers of `budgetOptions`, checked in this order (numFlag): steps >= 1, minutes >= 0.1, episodes >= 1, seed >= 0. */
export function budgetFlags(
  script: string,
  values: { steps?: string; minutes?: string; episodes?: string; seed?: string },
): { steps: number; minutes: number; episodes: number; seed: number } {
  return {
    steps: numFlag(script, 'steps', values.steps, 1),
    minutes: numFlag(script, 'minutes', values.minutes, 0.1),
    episodes: numFlag(script, 'episodes', values.episodes, 1),
    seed: numFlag(script, 'seed', values.seed, 0),
  };
}

/** parseArgs whose errors (an unknown flag, a missing value) are one line naming the script, exit code 2. */
export function parseFlags<T extends ParseArgsConfig>(script: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    return flagError(
      script,
      `${(e as Error).message.split('\n')[0]} (see the usage at the top of scripts/${script.replace(':', '-')}.ts)`,
    );
  }
}
