import type { EventName } from '../contract/names.ts';
import type { EventOf } from '../contract/channels.ts';
import type { Unsubscribe, WorkbenchEventSource } from '../contract/client.ts';
import { validateEvent } from '../contract/validate.ts';

/**
 * The service's event hub. Every payload is checked against the contract before it is delivered, so
 * a drifting emitter is caught here (logged and dropped) instead of in a renderer. A throwing
 * listener cannot break the emitter or the other listeners.
 */
export class EventHub implements WorkbenchEventSource {
  private readonly byEvent = new Map<EventName, Set<(p: unknown) => void>>();
  private readonly all = new Set<(e: EventName, p: unknown) => void>();

  constructor(private readonly onDrop: (why: string) => void = (why) => console.error(`oneiro: ${why}`)) {}

  subscribe<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): Unsubscribe {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    const l = listener as (p: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  subscribeAll(listener: (event: EventName, payload: unknown) => void): Unsubscribe {
    this.all.add(listener);
    return () => this.all.delete(listener);
  }

  emit<E extends EventName>(event: E, payload: EventOf<E>): void {
    const bad = validateEvent(event, payload);
    if (bad) {
      this.onDrop(`event dropped: ${bad.message}`);
      return;
    }
    for (const l of [...(this.byEvent.get(event) ?? []), ...[...this.all].map((f) => (p: unknown) => f(event, p))]) {
      try {
        l(payload);
      } catch (e) {
        this.onDrop(`an ${event} listener threw: ${(e as Error).message}`);
      }
    }
  }

  listenerCount(): number {
    let n = this.all.size;
    for (const s of this.byEvent.values()) n += s.size;
    return n;
  }
}
