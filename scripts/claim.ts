import { parseArgs, type ParseArgsConfig } from 'node:util';
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

/** Prints the table and the verdict of "`winner` has a higher mean return than `loser`"; returns whether it held. */
export function checkBeats(claim: string, winner: ClaimRow, loser: ClaimRow, print = true): boolean {
  const holds = winner.mean > loser.mean;
  if (print) {
    const w = Math.max(winner.name.length, loser.name.length);
    console.log(`claim: ${claim}`);
    console.log(`  ${'policy'.padEnd(w)}  ${'mean'.padStart(9)}  ${'std'.padStart(8)}  returns`);
    for (const r of [winner, loser])
      console.log(
        `  ${r.name.padEnd(w)}  ${r.mean.toFixed(2).padStart(9)}  ${r.std.toFixed(2).padStart(8)}  [${r.returns.map((x) => x.toFixed(1)).join(', ')}]`,
      );
    console.log(
      `verdict: ${holds ? 'PASS' : 'FAIL'} (${winner.name} ${holds ? '>' : '<='} ${loser.name} in mean return)`,
    );
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
