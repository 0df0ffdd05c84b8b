import { buildClient } from './client.ts';
import type { WorkbenchApi, WorkbenchClient, WorkbenchEventSource } from './client.ts';
import { createDispatcher } from './validate.ts';
import type { DispatchOptions } from './validate.ts';

/**
 * In-process transport (tests, CLI tools): the same dispatcher as the hosts, so payload validation,
 * error codes and reply checks are exercised without a socket.
 */
export function createDirectClient(
  api: WorkbenchApi,
  events: WorkbenchEventSource,
  opts: DispatchOptions = {},
): WorkbenchClient {
  const dispatch = createDispatcher(api, opts);
  return buildClient(
    'direct',
    (channel, payload) => dispatch(channel, payload),
    (event, listener) => events.subscribe(event, listener as never),
  );
}
