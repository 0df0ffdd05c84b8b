import type { z } from 'zod';
import { CONTRACT, EVENTS } from './channels.ts';
import { CHANNEL_METHODS, ERROR_CODES, isChannelName, isEventName } from './names.ts';
import type { ChannelName, Envelope, ErrorCode, EventName, WireError } from './names.ts';
import type { ParsedRequestOf } from './channels.ts';
import type { WorkbenchApi } from './client.ts';
import { findHostileKey } from '../util/safe-keys.ts';
import { boundedWireError, checkRequestBudget } from './limits.ts';

/**
 * Validation at the boundary and the one dispatcher every host uses (WebSocket host, Electron main,
 * direct transport): unknown channel → `unknown_channel`; bad payload → `invalid_request` naming the
 * field; a throwing service → its code (or `internal`); a reply that does not match its schema →
 * `internal` (the service drifted from the contract). The dispatcher never throws. Sizes are checked
 * first (limits.ts) and every error reply is one bounded line, whatever the request held.
 */

/** "payload.horizon: Too big: expected number to be <=500" — the first issue, with its path. */
export function describeIssues(error: z.ZodError, root = 'payload'): { message: string; field: string } {
  const issue = error.issues[0];
  const field = [root, ...issue.path.map(String)].join('.');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return { field, message: `${field}: ${issue.message}${more}` };
}

export function validateRequest<C extends ChannelName>(
  channel: C,
  payload: unknown,
): { ok: true; value: ParsedRequestOf<C> } | { ok: false; error: WireError } {
  // Before the schema: a key like `__proto__` (as a nested key or a dotted override) never reaches a service.
  const hostile = findHostileKey(payload) ?? findHostileDotted(payload);
  if (hostile) {
    const field = ['payload', ...(hostile.path ? [hostile.path] : [])].join('.');
    return {
      ok: false,
      error: {
        code: 'invalid_request',
        field,
        message: `${channel}: ${field.slice(0, 200)}: ${hostile.reason} is not allowed`,
      },
    };
  }
  const r = CONTRACT[channel].request.safeParse(payload ?? {});
  if (r.success) return { ok: true, value: r.data as ParsedRequestOf<C> };
  const { field, message } = describeIssues(r.error);
  return { ok: false, error: { code: 'invalid_request', field, message: `${channel}: ${message}` } };
}

/** Dotted keys (overrides) whose segments are reserved or empty, e.g. `{'__proto__.t': 1}`. */
function findHostileDotted(payload: unknown): { path: string; reason: string } | null {
  if (payload === null || typeof payload !== 'object') return null;
  for (const [k, v] of Object.entries(payload)) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    for (const key of Object.keys(v)) {
      if (key !== '' && !key.includes('.')) continue;
      const bad = key
        .split('.')
        .find((seg) => seg === '' || seg === '__proto__' || seg === 'constructor' || seg === 'prototype');
      if (bad !== undefined)
        return { path: `${k}.${key}`, reason: bad === '' ? 'an empty path segment' : `the reserved key '${bad}'` };
    }
  }
  return null;
}

export function validateReply(channel: ChannelName, value: unknown): WireError | null {
  const r = CONTRACT[channel].reply.safeParse(value);
  if (r.success) return null;
  const { field, message } = describeIssues(r.error, 'reply');
  return {
    code: 'internal',
    field,
    message: `${channel}: the service's reply does not match the contract: ${message}`,
  };
}

export function validateEvent(event: EventName, payload: unknown): WireError | null {
  const r = EVENTS[event].safeParse(payload);
  if (r.success) return null;
  const { field, message } = describeIssues(r.error, event);
  return { code: 'internal', field, message: `${event}: event does not match the contract: ${message}` };
}

/** Maps anything a service throws to a wire error. Errors may carry `code` (one of ERROR_CODES). */
export function toWireError(e: unknown): WireError {
  if (e && typeof e === 'object') {
    const err = e as { code?: unknown; message?: unknown; name?: unknown; field?: unknown };
    const message = typeof err.message === 'string' ? err.message : String(e);
    if (typeof err.code === 'string' && (ERROR_CODES as readonly string[]).includes(err.code)) {
      return { code: err.code as ErrorCode, message, ...(typeof err.field === 'string' ? { field: err.field } : {}) };
    }
    // core/util/errors.ts UserError: the user's input was wrong (matched by name so this file stays browser-safe).
    if (err.name === 'UserError') return { code: 'invalid_request', message };
    return { code: 'internal', message };
  }
  return { code: 'internal', message: String(e) };
}

export interface DispatchOptions {
  /** Validate replies too (default true: a drifting service is caught at the boundary). */
  validateReplies?: boolean;
  /** Called with unexpected (internal) errors, for the host's log. */
  onInternalError?: (channel: string, error: unknown) => void;
}

export type Dispatch = (channel: unknown, payload: unknown) => Promise<Envelope<unknown>>;

export function createDispatcher(api: WorkbenchApi, opts: DispatchOptions = {}): Dispatch {
  const checkReplies = opts.validateReplies ?? true;
  return async (channel, payload) => {
    const env = await dispatchOne(api, checkReplies, opts, channel, payload);
    return env.ok ? env : { ok: false, error: boundedWireError(env.error) };
  };
}

async function dispatchOne(
  api: WorkbenchApi,
  checkReplies: boolean,
  opts: DispatchOptions,
  channel: unknown,
  payload: unknown,
): Promise<Envelope<unknown>> {
  {
    if (!isChannelName(channel)) {
      const shown = typeof channel === 'string' ? `'${channel.slice(0, 80)}'` : typeof channel;
      return {
        ok: false,
        error: {
          code: 'unknown_channel',
          message: `unknown channel ${shown}: expected one of ${Object.keys(CHANNEL_METHODS).join(', ')}`,
        },
      };
    }
    const tooBig = checkRequestBudget(channel, payload);
    if (tooBig) return { ok: false, error: tooBig };
    const req = validateRequest(channel, payload);
    if (!req.ok) return { ok: false, error: req.error };
    let result: unknown;
    try {
      const method = api[CHANNEL_METHODS[channel]] as (r: unknown) => Promise<unknown>;
      result = await method.call(api, req.value);
    } catch (e) {
      const error = toWireError(e);
      if (error.code === 'internal') opts.onInternalError?.(channel, e);
      return { ok: false, error };
    }
    if (checkReplies) {
      const bad = validateReply(channel, result);
      if (bad) {
        opts.onInternalError?.(channel, new Error(bad.message));
        return { ok: false, error: bad };
      }
    }
    return { ok: true, result };
  }
}

export { isChannelName, isEventName };
