import cliProgress from 'cli-progress';

/**
 * A one-line progress bar for long CLI work (cli-progress). Writes to stderr so --json output on
 * stdout stays clean, and stays silent when stderr is not a terminal (CI logs, pipes) except for a
 * final line.
 */
export class Progress {
  private readonly start = Date.now();
  private done = 0;
  private readonly bar: cliProgress.SingleBar | null;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {
    const tty = Boolean(process.stderr.isTTY) && !process.env.ONEIRO_TEST;
    this.bar =
      tty && !quiet
        ? new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: `${label} {bar} {value}/{total} {rate}/s {info}`,
              barsize: 24,
              hideCursor: false,
              clearOnComplete: true,
              fps: 10,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
    this.bar?.start(total, 0, { rate: '0.0', info: '' });
  }

  tick(n = 1, info = ''): void {
    this.done += n;
    const rate = this.done / Math.max(1e-3, (Date.now() - this.start) / 1000);
    this.bar?.update(Math.min(this.done, this.total), { rate: rate.toFixed(1), info });
  }

  /** Removes the bar without a summary line (on an error). */
  stop(): void {
    this.bar?.stop();
  }

  finish(info = ''): void {
    this.bar?.stop();
    if (this.quiet) return;
    const secs = (Date.now() - this.start) / 1000;
    process.stderr.write(`${this.label}: ${this.done}/${this.total} in ${secs.toFixed(1)} s ${info}\n`);
  }
}
