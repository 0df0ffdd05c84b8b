import { Redis } from 'ioredis';
import type { ReplyOf } from '../contract/channels.ts';
import { parseQueueUrl, QUEUE_PASSWORD_ENV, redact, type QueueAddress } from '../queue/connection.ts';
import { checkQueue, openQueue, type TrainQueue } from '../queue/jobs.ts';
import { queueLauncher, type QueueLauncher } from '../queue/launcher.ts';
import { listWorkers, readQueueSetting, settingUrl, writeQueueSetting } from '../queue/settings.ts';
import { ServiceError } from './errors.ts';
import type { RunService } from './runs.ts';

/**
 * The workspace's job queue, as the Settings view changes it (queue:get/set/workers). Connecting swaps
 * RunService's launcher for the queue launcher, so "start run" enqueues; disconnecting swaps it back.
 * What is persisted (settings/queue.json) is the credential-free URL: a password given here lives only
 * in this host's memory, and after a restart comes from ONEIRO_QUEUE_PASSWORD (the `env` snapshot) or
 * must be entered again. Every reply and error carries the redacted address only.
 */
const CONNECT_TIMEOUT_MS = 5000;

export class QueueService {
  private addr: QueueAddress | null = null;
  private launcher: QueueLauncher | null = null;
  private queue: TrainQueue | null = null;
  /** A plain client for the workers' heartbeats (BullMQ keeps its own connections). */
  private redis: Redis | null = null;
  private passwordFrom: 'none' | 'memory' | 'env' = 'none';
  private error: string | null = null;
  /** The configured (credential-free) URL, even when it could not be reached. */
  private url: string | null = null;
  private tls = false;

  constructor(
    private readonly workspace: string,
    private readonly runs: RunService,
    /** The environment the host started with (the CLI removes the secrets from process.env for its children). */
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** At host start: `--queue` if given (not persisted: the command line owns it), else the workspace's setting. */
  async init(flagUrl?: string): Promise<void> {
    if (flagUrl) {
      await this.connect(flagUrl, false).catch((e: Error) => this.log(e.message));
      return;
    }
    const saved = readQueueSetting(this.workspace, (why) => this.log(`ignoring the queue setting: ${why}`));
    if (saved?.url)
      await this.connect(settingUrl({ ...saved, url: saved.url }), false).catch((e: Error) => this.log(e.message));
  }

  settings(): ReplyOf<'queue:get'> {
    return {
      url: this.url,
      connected: this.launcher !== null,
      error: this.error,
      password: this.passwordFrom,
      tls: this.tls,
    };
  }

  async set(url: string | null): Promise<ReplyOf<'queue:set'>> {
    if (url === null) {
      await this.disconnect();
      this.url = null;
      this.error = null;
      this.passwordFrom = 'none';
      writeQueueSetting(this.workspace, null);
      return this.settings();
    }
    await this.connect(url, true);
    return this.settings();
  }

  async workers(): Promise<ReplyOf<'queue:workers'>> {
    if (!this.redis || !this.addr) return [];
    try {
      return await listWorkers(this.redis);
    } catch (e) {
      throw new ServiceError(
        'conflict',
        `cannot list the workers of ${this.addr.display}: ${redact((e as Error).message.split('\n')[0], this.addr.secrets)}`,
      );
    }
  }

  /** The connected queue, for job states (sweeps:get). */
  current(): TrainQueue | null {
    return this.launcher ? this.queue : null;
  }

  private async connect(url: string, persist: boolean): Promise<void> {
    let addr: QueueAddress;
    try {
      addr = parseQueueUrl(url, this.env);
    } catch (e) {
      throw new ServiceError('invalid_request', redact((e as Error).message, []), 'payload.url');
    }
    const fromUrl = (() => {
      try {
        return new URL(url).password !== '';
      } catch {
        return false;
      }
    })();
    const queue = openQueue(addr, { failFast: true });
    try {
      await checkQueue(queue, addr, CONNECT_TIMEOUT_MS);
    } catch (e) {
      await queue.close().catch(() => {});
      if (!persist) {
        // A saved or --queue address that is down at start: show it, unconnected, with the reason.
        this.url = addr.display;
        this.tls = addr.tls;
        this.error = (e as Error).message;
      }
      throw new ServiceError('conflict', (e as Error).message);
    }
    await queue.close().catch(() => {});
    await this.disconnect();
    this.addr = addr;
    // Long-lived connections (status reads, the launcher) wait for Redis to come back instead of failing fast.
    this.queue = openQueue(addr, { onError: (m) => (this.error = m) });
    this.redis = new Redis({ ...addr.connection, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => {}); // reconnects on its own; queue:workers reports a failing call
    this.launcher = queueLauncher(addr, this.workspace);
    this.runs.useQueue(this.launcher, this.queue);
    this.url = addr.display;
    this.tls = addr.tls;
    this.error = null;
    this.passwordFrom = fromUrl ? 'memory' : addr.secrets.length && this.env[QUEUE_PASSWORD_ENV] ? 'env' : 'none';
    if (persist) {
      const u = new URL(url);
      writeQueueSetting(this.workspace, { url: addr.display, username: decodeURIComponent(u.username) || null });
    }
    this.log(`runs go to the queue ${addr.display}`);
  }

  private async disconnect(): Promise<void> {
    this.runs.useQueue(null, null);
    const l = this.launcher;
    const q = this.queue;
    const r = this.redis;
    this.redis = null;
    this.launcher = null;
    this.queue = null;
    this.addr = null;
    await l?.close().catch(() => {});
    await q?.close().catch(() => {});
    r?.disconnect();
  }

  async close(): Promise<void> {
    await this.disconnect();
  }
}
