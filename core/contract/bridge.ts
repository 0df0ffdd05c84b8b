import { CHANNEL_METHODS, CHANNEL_NAMES, EVENT_NAMES } from './names.ts';
import type { ChannelName, Envelope, EventName } from './names.ts';
import type { OneiroBridge, Unsubscribe } from './client.ts';

/**
 * Builds the `window.oneiro` object of the Electron preload from two functions the preload supplies
 * (ipcRenderer.invoke on a contract channel; ipcRenderer.on for an event, returning its remover).
 * It has exactly one function per contract method and one onX per event — nothing that forwards an
 * arbitrary channel, and the Electron event object never reaches the page. Depends on names.ts only,
 * so the sandboxed preload bundle stays small.
 */
export function buildBridge(
  invoke: (channel: ChannelName, payload: unknown) => Promise<Envelope<unknown>>,
  listen: (event: EventName, listener: (payload: unknown) => void) => Unsubscribe,
): OneiroBridge {
  const bridge: Record<string, unknown> = {};
  for (const channel of CHANNEL_NAMES) {
    bridge[CHANNEL_METHODS[channel]] = (payload?: unknown) => invoke(channel, payload ?? {});
  }
  for (const event of EVENT_NAMES) {
    bridge[event] = (listener: unknown) => {
      if (typeof listener !== 'function') throw new TypeError(`${event} expects a listener function`);
      return listen(event, (payload) => (listener as (p: unknown) => void)(payload));
    };
  }
  return Object.freeze(bridge) as unknown as OneiroBridge;
}
