import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { RedisOptions } from 'bullmq';
import { UserError } from '../util/errors.ts';

/**
 * The job queue's address: `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS), from
 * `--queue` or ONEIRO_QUEUE. The password may instead come from ONEIRO_QUEUE_PASSWORD, and a private
 * CA for TLS from ONEIRO_QUEUE_CA (a PEM file). Credentials are kept out of everything we print or
 * store: `display` is the URL without them, and `redact` scrubs them from any text.
 */
export const QUEUE_ENV = 'ONEIRO_QUEUE';
export const QUEUE_PASSWORD_ENV = 'ONEIRO_QUEUE_PASSWORD';
export const QUEUE_CA_ENV = 'ONEIRO_QUEUE_CA';

export interface QueueAddress {
  /** For ioredis (and BullMQ's `connection`). BullMQ workers need maxRetriesPerRequest null. */
  connection: RedisOptions;
  /** `redis[s]://host:port/db`, never with credentials. */
  display: string;
  tls: boolean;
  /** The secrets to scrub from text (user name is not secret, the password is). */
  secrets: string[];
}

export function queueUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env[QUEUE_ENV];
  if (!url) throw new UserError(`no job queue: give --queue redis://host:port (or set ${QUEUE_ENV})`);
  return url;
}

export function parseQueueUrl(raw: string, env: NodeJS.ProcessEnv = process.env): QueueAddress {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(
      `queue URL is not a URL: expected redis://[user:password@]host:port or rediss://… (got something starting '${raw.slice(0, 8)}')`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`queue URL scheme '${u.protocol}' is not supported: expected redis:// or rediss:// (TLS)`);
  if (!u.hostname) throw new UserError('queue URL has no host: expected redis://host:port');
  const port = u.port ? Number(u.port) : 6379;
  const dbPart = u.pathname.replace(/^\//, '');
  const db = dbPart ? Number(dbPart) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new UserError(`queue URL database '${dbPart}' is not a number: expected redis://host:port/0`);
  const username = decodeURIComponent(u.username) || undefined;
  const password = decodeURIComponent(u.password) || env[QUEUE_PASSWORD_ENV] || undefined;
  const tls = u.protocol === 'rediss:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const connection: RedisOptions = {
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    maxRetriesPerRequest: null,
  };
  if (tls) {
    const caFile = env[QUEUE_CA_ENV];
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch (e) {
        throw new UserError(
          `${QUEUE_CA_ENV}=${caFile} cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
    // SNI carries host names only (RFC 6066); an IP address is checked against the certificate's IP SANs.
    connection.tls = { ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}) };
  }
  return {
    connection,
    display: `${u.protocol}//${u.host}/${db}`,
    tls,
    secrets: password ? [password, encodeURIComponent(password)] : [],
  };
}

/** Replaces every secret (and any user:password@ in a URL) in `text`. */
export function redact(text: string, secrets: string[]): string {
  let out = text.replace(/(rediss?:\/\/)[^@/\s]*@/g, '$1***@');
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}
