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
