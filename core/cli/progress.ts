/**
 * A one-line progress bar for long CLI work. Writes to stderr so --json output on stdout stays clean,
 * and stays silent when stderr is not a terminal (CI logs, pipes) except for a final line.
 */
export class Progress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private done = 0;
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.ONEIRO_TEST;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {}

  tick(n = 1, info = ''): void {
    this.done += n;
    const now = Date.now();
    if (!this.tty || this.quiet || (now - this.lastDraw < 100 && this.done < this.total)) return;
    this.lastDraw = now;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const rate = this.done / Math.max(1e-3, (now - this.start) / 1000);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    process.stderr.write(
      `\r${this.label} ${bar} ${this.done}/${this.total} ${rate.toFixed(1)}/s ${info}`.padEnd(100).slice(0, 140),
    );
  }

  finish(info = ''): void {
    if (this.quiet) return;
    const secs = (Date.now() - this.start) / 1000;
    if (this.tty) process.stderr.write('\r'.padEnd(140) + '\r');
    process.stderr.write(`${this.label}: ${this.done}/${this.total} in ${secs.toFixed(1)} s ${info}\n`);
  }
}
