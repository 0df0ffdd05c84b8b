import type { WorkerCallbacks, WorkerHandle, WorkerLauncher } from '../../../core/trainer/launcher.ts';
import type { FromWorker, ToWorker } from '../../../core/trainer/protocol.ts';

/** A launcher whose workers the test drives by hand: it sees what the host sends and answers. */
export class FakeWorker implements WorkerHandle {
  readonly received: ToWorker[] = [];
  exited = false;
  constructor(
    readonly name: string,
    readonly pid: number,
    private readonly cb: WorkerCallbacks,
  ) {}
  send(msg: ToWorker): void {
    this.received.push(msg);
  }
  kill(): void {
    this.exit(null, 'SIGKILL');
  }
  say(msg: FromWorker): void {
    this.cb.onMessage(msg);
  }
  line(line: string): void {
    this.cb.onLine('stderr', line);
  }
  exit(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    this.cb.onExit(code, signal);
  }
}

export class FakeLauncher implements WorkerLauncher {
  readonly kind = 'fork' as const;
  readonly workers: FakeWorker[] = [];
  spawn(name: string, cb: WorkerCallbacks): WorkerHandle {
    const w = new FakeWorker(name, 40000 + this.workers.length, cb);
    this.workers.push(w);
    return w;
  }
  last(): FakeWorker {
    return this.workers[this.workers.length - 1];
  }
}
