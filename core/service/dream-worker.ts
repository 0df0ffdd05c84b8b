import type { ParsedRequestOf, ReplyOf } from '../contract/channels.ts';
import type { WorkerHandle, WorkerLauncher } from '../trainer/launcher.ts';
import type { DreamMethod } from '../trainer/protocol.ts';
import type { ErrorCode } from '../contract/names.ts';
import type { OpenLoopRaw, OpenLoopRawRequest } from '../runs/dreams.ts';
import { ServiceError } from './errors.ts';

/**
 * Dreams as the service sees them, wherever they run: in the host (DreamService) or in a dream
 * server process (DreamWorkerClient, the default) so model loading, decoding and export encoding
 * never stall the host's event loop and a crashing model cannot take the host down.
 */
export interface Dreams {
  openloop(req: ParsedRequestOf<'dreams:openloop'>): Promise<ReplyOf<'dreams:openloop'>>;
  openloopRaw(req: OpenLoopRawRequest): Promise<OpenLoopRaw>;
  /** The run's probe decoder: described, or trained on its latest checkpoint (model work, in the dream server). */
  probe(req: ParsedRequestOf<'runs:probe'>): Promise<ReplyOf<'runs:probe'>>;
  /** A run's held-out measures (model work: in the dream server, off the host's event loop). */
  evaluate(req: ParsedRequestOf<'runs:eval'>): Promise<ReplyOf<'runs:eval'>>;
  reset(req: ParsedRequestOf<'dreams:reset'>): Promise<ReplyOf<'dreams:reset'>>;
  step(req: ParsedRequestOf<'dreams:step'>): Promise<ReplyOf<'dreams:step'>> | ReplyOf<'dreams:step'>;
  frame(req: ParsedRequestOf<'dreams:frame'>): Promise<ReplyOf<'dreams:frame'>> | ReplyOf<'dreams:frame'>;
  /** The actor's imagined rollout (actor-critic runs). */
  imagine(req: ParsedRequestOf<'dreams:imagine'>): Promise<ReplyOf<'dreams:imagine'>>;
  /** An object-graph run's slot view and k-step retrieval. */
  objectsView(req: ParsedRequestOf<'objects:view'>): Promise<ReplyOf<'objects:view'>>;
  /** A LEXA run's achiever pursuing a goal frame in imagination. */
  goal(req: ParsedRequestOf<'dreams:goal'>): Promise<ReplyOf<'dreams:goal'>>;
  /** Exports run where dreams run (core/runs/exports.ts says why not on the host's thread). */
  exportStrip(req: ParsedRequestOf<'exports:strip'>): Promise<ReplyOf<'exports:strip'>>;
  /** A run's features as .npz (`oneiro features`): model work, in the dream server. */
  exportFeatures(req: ParsedRequestOf<'exports:features'>): Promise<ReplyOf<'exports:features'>>;
  closeSession(id: string): Promise<boolean> | boolean;
  close(): Promise<void> | void;
}

export class DreamWorkerClient implements Dreams {
  private worker: WorkerHandle | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly workspace: string,
    private readonly launcher: WorkerLauncher,
    private readonly backend?: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      const tail: string[] = [];
      const w = this.launcher.spawn('dreams', {
        onMessage: (m) => {
          if (m.type === 'ready')
            w.send({
              type: 'start',
              job: { kind: 'dream', workspace: this.workspace, ...(this.backend ? { backend: this.backend } : {}) },
            });
          else if (m.type === 'started') resolve();
          else if (m.type === 'reply') {
            const p = this.pending.get(m.id);
            this.pending.delete(m.id);
            if (!p) return;
            if (m.ok) p.resolve(m.value);
            else
              p.reject(
                new ServiceError(
                  (m.error?.code ?? 'internal') as ErrorCode,
                  m.error?.message ?? 'dream call failed',
                  m.error?.field,
                ),
              );
          } else if (m.type === 'log') this.log(m.line);
        },
        onProtocolError: (why) => this.log(`dream server: ${why}`),
        onLine: (_s, line) => {
          tail.push(line);
          if (tail.length > 5) tail.shift();
        },
        onExit: (code, signal) => {
          // Sessions lived in that process: they are gone; the next call starts a fresh server.
          const why = `the dream server exited (${signal ?? `code ${code}`})${tail.length ? `: ${tail.at(-1)}` : ''}`;
          this.worker = null;
          this.ready = null;
          for (const p of this.pending.values()) p.reject(new ServiceError('internal', why));
          this.pending.clear();
          reject(new ServiceError('internal', why));
          if (code !== 0) this.log(why);
        },
      });
      this.worker = w;
    });
    this.ready.catch(() => {});
    return this.ready;
  }

  private async call<T>(method: DreamMethod, req: unknown): Promise<T> {
    await this.start();
    const w = this.worker;
    if (!w) throw new ServiceError('internal', 'the dream server is not running');
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.send({ type: 'call', id, method, req });
    });
  }

  openloop(req: ParsedRequestOf<'dreams:openloop'>) {
    return this.call<ReplyOf<'dreams:openloop'>>('openloop', req);
  }
  openloopRaw(req: OpenLoopRawRequest) {
    return this.call<OpenLoopRaw>('openloopRaw', req);
  }
  probe(req: ParsedRequestOf<'runs:probe'>) {
    return this.call<ReplyOf<'runs:probe'>>('probe', req);
  }
  evaluate(req: ParsedRequestOf<'runs:eval'>) {
    return this.call<ReplyOf<'runs:eval'>>('evaluate', req);
  }
  reset(req: ParsedRequestOf<'dreams:reset'>) {
    return this.call<ReplyOf<'dreams:reset'>>('reset', req);
  }
  step(req: ParsedRequestOf<'dreams:step'>) {
    return this.call<ReplyOf<'dreams:step'>>('step', req);
  }
  frame(req: ParsedRequestOf<'dreams:frame'>) {
    return this.call<ReplyOf<'dreams:frame'>>('frame', req);
  }
  imagine(req: ParsedRequestOf<'dreams:imagine'>) {
    return this.call<ReplyOf<'dreams:imagine'>>('imagine', req);
  }
  objectsView(req: ParsedRequestOf<'objects:view'>) {
    return this.call<ReplyOf<'objects:view'>>('objectsView', req);
  }
  goal(req: ParsedRequestOf<'dreams:goal'>) {
    return this.call<ReplyOf<'dreams:goal'>>('goal', req);
  }
  exportStrip(req: ParsedRequestOf<'exports:strip'>) {
    return this.call<ReplyOf<'exports:strip'>>('exportStrip', req);
  }
  exportFeatures(req: ParsedRequestOf<'exports:features'>) {
    return this.call<ReplyOf<'exports:features'>>('exportFeatures', req);
  }
  closeSession(id: string) {
    return this.worker ? this.call<boolean>('closeSession', id) : Promise.resolve(false);
  }

  /** Test hook: the server's pid. */
  pid(): number | undefined {
    return this.worker?.pid;
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const exited = this.ready?.then(
      () =>
        new Promise<void>((r) => {
          const timer = setTimeout(() => {
            w.kill();
            r();
          }, 5000);
          const check = setInterval(() => {
            if (!this.worker) {
              clearTimeout(timer);
              clearInterval(check);
              r();
            }
          }, 20);
        }),
      () => {},
    );
    w.send({ type: 'stop' });
    await exited;
  }
}
