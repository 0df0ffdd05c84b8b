import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic-write.ts';
import type { Redis } from 'ioredis';
import { WORKER_KEY_PREFIX } from './worker.ts';

/**
 * The workspace's queue setting (`settings/queue.json`, written atomically): the queue's address
 * without its password. A password is never written to a file the UI could read back: it stays in the
 * memory of the host it was given to, or comes from ONEIRO_QUEUE_PASSWORD each time the host starts.
 */
export const QueueSettingFile = z.strictObject({
  /** redis[s]://host:port/db — never with a password. */
  url: z
    .string()
    .regex(/^rediss?:\/\/[^@\s]+$/, 'expected redis[s]://host:port/db without credentials')
    .nullable(),
  /** The ACL user name (not secret), if any. */
  username: z.string().nullable(),
});
export type QueueSettingFile = z.infer<typeof QueueSettingFile>;

export const queueSettingPath = (workspace: string) => join(workspace, 'settings', 'queue.json');

/** The saved setting; null when there is none or it is unreadable (the reason goes to `onBad`). */
export function readQueueSetting(workspace: string, onBad?: (why: string) => void): QueueSettingFile | null {
  let text: string;
  try {
    text = readFileSync(queueSettingPath(workspace), 'utf8');
  } catch {
    return null;
  }
  try {
    const r = QueueSettingFile.safeParse(JSON.parse(text));
    if (r.success) return r.data;
    onBad?.(
      `${queueSettingPath(workspace)}: ${r.error.issues[0].path.join('.') || '(top level)'}: ${r.error.issues[0].message}`,
    );
  } catch {
    onBad?.(`${queueSettingPath(workspace)} is not JSON: expected {"url": "redis://host:port/0", "username": null}`);
  }
  return null;
}

export function writeQueueSetting(workspace: string, s: QueueSettingFile | null): void {
  writeJsonAtomic(queueSettingPath(workspace), s ?? { url: null, username: null });
}

/** A saved setting as a URL for parseQueueUrl (the password then comes from the environment, if set). */
export function settingUrl(s: QueueSettingFile & { url: string }): string {
  if (!s.username) return s.url;
  const u = new URL(s.url);
  u.username = encodeURIComponent(s.username);
  return u.toString();
}

export interface WorkerHeartbeat {
  id: string;
  host: string;
  backend: string;
  load: number | null;
  cpus: number | null;
  concurrency: number;
  runs: string[];
  updated: string | null;
}

const Heartbeat = z.object({
  id: z.string(),
  host: z.string(),
  backend: z.string(),
  load: z.number().nullable().catch(null),
  cpus: z.number().nullable().catch(null),
  concurrency: z.number().int().min(0).catch(0),
  runs: z.array(z.string()).catch([]),
  updated: z.string().nullable().catch(null),
});

/** The workers whose heartbeat (core/queue/worker.ts, a key that expires) is in Redis; malformed ones are skipped. */
export async function listWorkers(client: Redis): Promise<WorkerHeartbeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}*`, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0' && keys.length < 1000);
  if (!keys.length) return [];
  const values = await client.mget(...keys);
  const out: WorkerHeartbeat[] = [];
  for (const v of values) {
    if (!v) continue;
    try {
      const r = Heartbeat.safeParse(JSON.parse(v));
      if (r.success) out.push(r.data);
    } catch {
      /* not ours */
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}
