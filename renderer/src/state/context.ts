import { getContext } from 'svelte';
import type { Workbench } from './workbench.svelte.ts';

/** The app's Workbench state, provided by App.svelte. */
export function useWorkbench(): Workbench {
  const wb = getContext<Workbench | undefined>('wb');
  if (!wb) throw new Error('useWorkbench() outside <App>: the Workbench context is missing');
  return wb;
}
