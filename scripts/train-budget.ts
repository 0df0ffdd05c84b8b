import { trainRun, type TrainEvents } from '../core/runs/trainer.ts';

/**
 * Trains a created run until its steps are done or `minutes` of wall time have passed, whichever comes first: an eval
 * script's claim has to fit its issue's time box, and a run stopped by the clock is scored from its last checkpoint.
 * Returns the result and the minutes training took.
 */
export async function trainWithin(
  dir: string,
  minutes: number,
  events: Omit<TrainEvents, 'signal'>,
): Promise<{ result: Awaited<ReturnType<typeof trainRun>>; minutes: number }> {
  const t0 = Date.now();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), minutes * 60_000);
  try {
    const result = await trainRun(dir, { ...events, signal: stop.signal });
    return { result, minutes: (Date.now() - t0) / 60000 };
  } finally {
    clearTimeout(timer);
  }
}
