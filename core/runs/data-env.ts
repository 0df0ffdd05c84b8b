import { loadBackgroundFrames } from '../media/background-frames.ts';
import type { TrainData } from '../models/family.ts';
import { isUserError, UserError } from '../util/errors.ts';
import type { AgentEnvOptions } from './agent-session.ts';

/**
 * The env an agent trained on a dataset is scored in: frames at the model's size, at the action repeat its episodes
 * were collected at (null = the env's own, and the env's episode length at it), over the background they were drawn
 * on (TrainData.background) — a model that learnt its frames over noise, a procedural video or a user's clip sees
 * another world on the plain floor, and its score there would not measure what it learnt. A user clip is read again
 * from where `oneiro collect` read it; when it cannot be, this refuses in one line (UserError) rather than score
 * the agent over another background.
 */
export async function dataEnvOptions(
  size: number,
  data: Pick<TrainData, 'actionRepeat' | 'background'>,
): Promise<AgentEnvOptions> {
  const repeat = data.actionRepeat ?? null;
  const bg = data.background ?? { background: 'plain', source: null };
  const opts: AgentEnvOptions = { size, ...(repeat !== null ? { actionRepeat: repeat } : {}) };
  if (bg.background === 'plain') return opts;
  if (bg.source === null) return { ...opts, background: bg.background };
  try {
    return { ...opts, background: 'video', backgroundFrames: await loadBackgroundFrames(bg.source, size) };
  } catch (e) {
    if (!isUserError(e)) throw e;
    throw new UserError(
      `the dataset was collected over the background clip '${bg.source}', which cannot be read now (${(e as Error).message}); ` +
        'put the clip back there to score the agent in its env',
    );
  }
}
