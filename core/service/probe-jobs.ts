import type { WorkerHandle, WorkerLauncher } from '../trainer/launcher.ts';
import { ServiceError } from './errors.ts';

/**
 * `runs:probe` with `train`: the probe decoder trains in a worker process of its own (a 'probe' job,
 * core/trainer/entry.ts), not in the dream server. Probe training is seconds to minutes of synchronous tensor
 * work; in the dream server it would hold every dream call (Play dream's steps, the Dream Lab's open loops) until
 * it ended. The dream server picks the new probe up from the run folder (core/runs/pixel-view.ts reloads it when
 * the stored one changes). One probe job per run at a time: a second request waits for the running one.
 */
export class ProbeJobs {
  private readonly running = new Map<string, { done: Promise<void>; handle: WorkerHandle }>();

  constructor(
    private readonly workspace: string,
    private readonly launcher: WorkerLauncher,
    private readonly backend?: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Whether a probe of `runId` is training now (tests, status). */
  busy(runId: string): boolean {
    return this.running.has(runId);
  }

  train(runId: string, steps?: number): Promise<void> {
    const hit = this.running.get(runId);
    if (hit) return hit.done;
    let handle!: WorkerHandle;
    const done = new Promise<void>((resolve, reject) => {
      let outcome: { ok: boolean; message: string | null } | null = null;
      const tail: string[] = [];
      const keep = (line: string) => {
        tail.push(line);
        if (tail.length > 5) tail.shift();
      };
      handle = this.launcher.spawn(`probe-${runId}`, {
        onMessage: (m) => {
          if (m.type === 'ready')
            handle.send({
              type: 'start',
              job: {
                kind: 'probe',
                workspace: this.workspace,
                runId,
                ...(steps ? { steps } : {}),
                ...(this.backend ? { backend: this.backend } : {}),
              },
            });
          else if (m.type === 'log') {
            keep(m.line);
            this.log(`${runId}: ${m.line}`);
          } else if (m.type === 'done') outcome = { ok: m.outcome === 'finished', message: m.message };
        },
        onProtocolError: keep,
        onLine: (_s, line) => keep(line),
        onExit: (code, signal) => {
          this.running.delete(runId);
          if (outcome?.ok) resolve();
          // A job that said why it failed failed on the run (no checkpoint, no data): the request's problem.
          else if (outcome)
            reject(new ServiceError('conflict', `probe decoder of run ${runId} not trained: ${outcome.message}`));
          else
            reject(
              new ServiceError(
                'internal',
                `the probe job of run ${runId} exited (${signal ?? `code ${code}`})${tail.length ? `: ${tail.at(-1)}` : ''}`,
              ),
            );
        },
      });
    });
    this.running.set(runId, { done, handle });
    return done;
  }

  close(): void {
    for (const { handle } of this.running.values()) handle.kill();
  }
}
