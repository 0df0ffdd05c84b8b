import type { ChannelName, WireError } from './names.ts';

/**
 * Size budgets of a request, checked before anything walks it in full (the hostile-key scan, zod):
 * a 36 MB payload of 2 M unknown keys used to stall the host for 7 s while zod listed every key,
 * and came back as a 27 MB error reply. The dispatcher applies these on every transport (Electron
 * IPC hands it an already-cloned object); web mode also refuses oversized frames before JSON.parse.
 * Browser-safe: no Node imports.
 */

/** Requests without binary data are tiny (the largest is a run's overrides): 1 MiB is generous. */
export const MAX_REQUEST_JSON_BYTES = 1024 * 1024;
/** The only large request: `exports:strip` of frames the client recorded (2000 64×64 frames are 24.6 MB). */
export const MAX_FRAMES_REQUEST_BYTES = 64 * 1024 * 1024;
/** Hard cap of one WebSocket frame from a client: the largest channel budget plus its JSON header. */
export const MAX_REQUEST_BYTES = MAX_FRAMES_REQUEST_BYTES + MAX_REQUEST_JSON_BYTES;
/** Object keys plus array elements in one request: no request of the contract comes near this. */
export const MAX_REQUEST_ENTRIES = 10_000;
/** Nesting depth of one request (the deepest request, exports:strip of frames, has 4 levels). */
export const MAX_REQUEST_DEPTH = 32;
/** Error replies stay one short line whatever the input was. */
export const MAX_ERROR_MESSAGE_CHARS = 600;
export const MAX_ERROR_FIELD_CHARS = 200;

/** Bytes a channel's payload may hold, counting binary data, strings and numbers. */
export function requestByteLimit(channel: ChannelName): number {
  return channel === 'exports:strip' ? MAX_FRAMES_REQUEST_BYTES : MAX_REQUEST_JSON_BYTES;
}

const MiB = (n: number) => `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;

/**
 * The first budget a payload exceeds, as a wire error, or null. Stops as soon as a budget is spent,
 * so its cost is bounded by the budget, not by the payload.
 */
export function checkRequestBudget(channel: ChannelName, payload: unknown): WireError | null {
  const maxBytes = requestByteLimit(channel);
  let entries = 0;
  let bytes = 0;
  const refuse = (what: string, expected: string): WireError => ({
    code: 'invalid_request',
    field: 'payload',
    message: `${channel}: the payload ${what}: ${expected}`,
  });
  // Iterative walk: a deeply nested payload cannot overflow the stack here.
  const stack: [unknown, number][] = [[payload, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') bytes += v.length;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') bytes += 8;
    else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_REQUEST_DEPTH)
        return refuse(`nests deeper than ${MAX_REQUEST_DEPTH} levels`, 'requests are flat objects');
      if (ArrayBuffer.isView(v)) bytes += v.byteLength;
      else if (Array.isArray(v)) {
        entries += v.length;
        if (entries > MAX_REQUEST_ENTRIES) break;
        for (const x of v) stack.push([x, depth + 1]);
      } else {
        // for…in stops early; Object.keys would first list all 2 M keys.
        for (const k in v) {
          if (!Object.hasOwn(v, k)) continue;
          if (++entries > MAX_REQUEST_ENTRIES) break;
          bytes += k.length;
          stack.push([(v as Record<string, unknown>)[k], depth + 1]);
        }
        if (entries > MAX_REQUEST_ENTRIES) break;
      }
    }
    if (bytes > maxBytes)
      return refuse(
        `is larger than ${MiB(maxBytes)}`,
        channel === 'exports:strip'
          ? 'export fewer or smaller frames'
          : `${channel} takes a small request object (binary data belongs only in exports:strip)`,
      );
  }
  if (entries > MAX_REQUEST_ENTRIES)
    return refuse(
      `has more than ${MAX_REQUEST_ENTRIES} keys and array elements`,
      'binary data travels as typed arrays, and a request object has only the fields its schema names',
    );
  return null;
}

/** A wire error cut to one short line (a message may quote input a client made up). */
export function boundedWireError(e: WireError): WireError {
  const cut = (s: string, n: number) => {
    const line = s.replace(/[\r\n]+/g, ' ');
    return line.length > n ? `${line.slice(0, n - 1)}…` : line;
  };
  return {
    code: e.code,
    message: cut(e.message, MAX_ERROR_MESSAGE_CHARS),
    ...(e.field !== undefined ? { field: cut(e.field, MAX_ERROR_FIELD_CHARS) } : {}),
  };
}

/** The request id of a frame too large to parse, read from its first bytes (encodeMessage puts it there). */
export function peekRequestId(head: string): number | null {
  const m = /"id":(\d{1,15})[,}]/.exec(head.slice(0, 200));
  return m ? Number(m[1]) : null;
}
