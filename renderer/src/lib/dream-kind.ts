import type { OpenLoopReply, RequestOf } from '../../../core/contract/channels.ts';
import { dreamFrom } from './lab-frame.ts';

/**
 * Which dream the Dream Lab asks for. 'mode': the point prediction (the latent mode; World Models' mixture mean),
 * which commits to one future. 'sample': one dream sampled at τ. 'mean': the pixel-wise mean of K dreams sampled
 * at τ — the predictive mean `oneiro eval --samples` scores, where each future the model holds shows as a ghost.
 */
export type DreamKind = 'mode' | 'sample' | 'mean';

/** The request fields for a kind: the point prediction is the absence of τ (the request's τ must be > 0). */
export function dreamKindRequest(
  kind: DreamKind,
  temperature: number,
  samples: number,
): { temperature?: number; samples?: number } {
  if (kind === 'mode') return {};
  if (kind === 'sample') return { temperature };
  return { temperature, samples };
}

/** What the shown dream is, from the reply (τ 0 is the point prediction). */
export function dreamKindLabel(r: Pick<OpenLoopReply, 'temperature' | 'samples'>): string {
  const tau = r.temperature ? `τ ${r.temperature}` : '';
  if (r.samples) return `mean of ${r.samples} at ${tau || 'τ 1'}`;
  return tau ? `sample at ${tau}` : 'point prediction';
}

type OpenLoopStrip = Extract<RequestOf<'exports:strip'>['source'], { kind: 'openloop' }>;

/**
 * The export source that draws the dream a reply shows, again: its start, context, seed, τ (left out for the
 * point prediction, which the request spells as no τ) and sample count, in the view it was drawn in — not
 * whatever the form holds now.
 */
export function exportSourceOf(r: OpenLoopReply): OpenLoopStrip {
  return {
    kind: 'openloop',
    ...dreamFrom(r.runId, { dataset: r.dataset, episode: r.episode, start: r.start, context: r.context }),
    horizon: r.horizon,
    seed: r.seed,
    ...(r.temperature ? { temperature: r.temperature } : {}),
    ...(r.samples ? { samples: r.samples } : {}),
    view: r.pixels,
  };
}
