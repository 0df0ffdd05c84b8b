import { CHANNEL_METHODS, CHANNEL_NAMES, EVENT_NAMES } from './names.ts';
import type { ChannelName, EventName, Envelope, ErrorCode, WireError } from './names.ts';
import type { RequestOf, ParsedRequestOf, ReplyOf, EventOf } from './channels.ts';

/** Channels whose request has no required field can be called with no argument. */
type Args<C extends ChannelName> =
  Record<string, never> extends RequestOf<C> ? [req?: RequestOf<C>] : [req: RequestOf<C>];

export type Unsubscribe = () => void;

/**
 * The one interface the renderer (and tests) use. Each `area:verb` channel is a method (names.ts maps
 * them); each event is an `onX(listener)` subscription returning its unsubscribe function. A failed call
 * rejects with a WorkbenchError carrying the host's code and, for invalid requests, the field.
 */
export type WorkbenchClient = {
  [C in ChannelName as (typeof CHANNEL_METHODS)[C]]: (...args: Args<C>) => Promise<ReplyOf<C>>;
} & {
  [E in EventName]: (listener: (payload: EventOf<E>) => void) => Unsubscribe;
} & {
  /** Which host answers: 'electron' (preload bridge), 'web' (WebSocket) or 'direct' (in-process, tests). */
  readonly transport: 'electron' | 'web' | 'direct';
  close(): void;
};

/**
 * What the service implements: the same methods, receiving validated requests (defaults filled in),
 * returning replies the host validates again before they leave.
 */
export type WorkbenchApi = {
  [C in ChannelName as (typeof CHANNEL_METHODS)[C]]: (req: ParsedRequestOf<C>) => Promise<ReplyOf<C>>;
};

/** The service's outgoing events. */
export interface WorkbenchEventSource {
  subscribe<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): Unsubscribe;
  /** Every event, for hosts that forward them all (WebSocket, Electron main). */
  subscribeAll(listener: (event: EventName, payload: unknown) => void): Unsubscribe;
}

/**
 * The object the Electron preload exposes as `window.oneiro`: one function per contract method that
 * resolves with an Envelope (errors cross contextBridge as data, since Error subclasses and their
 * fields do not survive it), and the onX subscriptions. `clientFromBridge` turns it into a client.
 */
export type OneiroBridge = {
  [C in ChannelName as (typeof CHANNEL_METHODS)[C]]: (req?: RequestOf<C>) => Promise<Envelope<ReplyOf<C>>>;
} & {
  [E in EventName]: (listener: (payload: EventOf<E>) => void) => Unsubscribe;
};

export class WorkbenchError extends Error {
  override readonly name = 'WorkbenchError';
  readonly code: ErrorCode;
  readonly field?: string;
  constructor(error: WireError) {
    super(error.message);
    this.code = error.code;
    if (error.field !== undefined) this.field = error.field;
  }
}

export type Invoke = (channel: ChannelName, payload: unknown) => Promise<Envelope<unknown>>;
export type Subscribe = (event: EventName, listener: (payload: unknown) => void) => Unsubscribe;

/**
 * Builds a WorkbenchClient over any transport given as `invoke` + `subscribe`. Every transport
 * (direct, WebSocket, Electron bridge) goes through here, so they cannot differ in method names.
 */
export function buildClient(
  transport: WorkbenchClient['transport'],
  invoke: Invoke,
  subscribe: Subscribe,
  close: () => void = () => {},
): WorkbenchClient {
  const client: Record<string, unknown> = { transport, close };
  for (const channel of CHANNEL_NAMES) {
    client[CHANNEL_METHODS[channel]] = async (req?: unknown) => {
      const env = await invoke(channel, req ?? {});
      if (!env.ok) throw new WorkbenchError(env.error);
      return env.result;
    };
  }
  for (const event of EVENT_NAMES) {
    client[event] = (listener: (p: unknown) => void) => subscribe(event, listener);
  }
  return client as unknown as WorkbenchClient;
}

/** The renderer's client in Electron: wraps `window.oneiro`. */
export function clientFromBridge(bridge: OneiroBridge): WorkbenchClient {
  const b = bridge as unknown as Record<string, (arg: unknown) => unknown>;
  return buildClient(
    'electron',
    (channel, payload) => b[CHANNEL_METHODS[channel]](payload) as Promise<Envelope<unknown>>,
    (event, listener) => b[event](listener) as Unsubscribe,
  );
}
