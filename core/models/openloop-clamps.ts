import type { OpenLoopResult } from './family.ts';

/** One value the open-loop request asked for and the value the rollout could use. */
export interface Clamp {
  asked: number;
  used: number;
}

/** What an open-loop dream shortened, so no reply or CLI line hides it (empty when nothing was). */
export interface OpenLoopClamps {
  /** Fewer dream steps than asked: the episode ends before start + horizon. */
  horizon?: Clamp;
  /** Fewer context frames than asked: the episode starts after start − context, or the family observes fewer. */
  context?: Clamp;
}

/**
 * Compares a request with its result. Dream steps count only while the episode has a real frame to compare
 * with; the context counts only when the caller asked for one (the family's default is not a clamp).
 */
export function openloopClamps(asked: { horizon: number; context?: number }, r: OpenLoopResult): OpenLoopClamps {
  const F = r.size * r.size * 3;
  const dreamed = Math.min(r.dreamIndices.length, F > 0 ? r.truth.length / F : 0);
  const out: OpenLoopClamps = {};
  if (dreamed < asked.horizon) out.horizon = { asked: asked.horizon, used: dreamed };
  if (asked.context !== undefined && r.contextIndices.length !== asked.context)
    out.context = { asked: asked.context, used: r.contextIndices.length };
  return out;
}

/** One line for people ("horizon 30 → 12 (episode ends), context 5 → 1"), or null when nothing was clamped. */
export function clampsText(c: OpenLoopClamps): string | null {
  const parts: string[] = [];
  if (c.horizon) parts.push(`horizon ${c.horizon.asked} → ${c.horizon.used} (the episode ends)`);
  if (c.context) parts.push(`context ${c.context.asked} → ${c.context.used}`);
  return parts.length ? `clamped: ${parts.join(', ')}` : null;
}
