/**
 * The typed Workbench API shared by the service, both hosts and the renderer. Browser-safe.
 * The renderer calls `connectWorkbench()` and never learns which host answers.
 */
import { clientFromBridge } from './client.ts';
import type { OneiroBridge, WorkbenchClient } from './client.ts';
import { connectWebSocket, webSocketUrlFromLocation } from './ws-client.ts';
import type { ConnectOptions } from './ws-client.ts';

export * from './names.ts';
export * from './channels.ts';
export * from './client.ts';
export * from './run-lifecycle.ts';
export * as schemas from './schemas.ts';
export { buildBridge } from './bridge.ts';
export { connectWebSocket, webSocketUrlFromLocation } from './ws-client.ts';
export type { ConnectOptions, SocketCtor, SocketLike } from './ws-client.ts';
export { encodeMessage, decodeMessage, WireFormatError, PROTOCOL_VERSION } from './wire.ts';

/**
 * Electron (the preload put `window.oneiro` there) → the bridge; otherwise web mode → a WebSocket
 * to the page's own host, with the token from the page URL.
 */
export async function connectWorkbench(opts: ConnectOptions = {}): Promise<WorkbenchClient> {
  const g = globalThis as unknown as {
    oneiro?: OneiroBridge;
    location?: { protocol: string; host: string; search: string };
  };
  if (g.oneiro) return clientFromBridge(g.oneiro);
  if (!g.location)
    throw new Error(
      'connectWorkbench: neither window.oneiro nor a page location: use connectWebSocket(url) or createDirectClient',
    );
  return connectWebSocket(webSocketUrlFromLocation(g.location), opts);
}
