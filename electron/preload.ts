/**
 * The preload of the sandboxed renderer: exposes `window.oneiro` with exactly the contract's methods
 * and onX subscriptions (core/contract/bridge.ts) plus `chooseFolder` (the native folder dialog) —
 * never ipcRenderer itself, never the IPC event.
 * Bundled to electron/dist/preload.cjs (a sandboxed preload must be one CommonJS file).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { buildBridge } from '../core/contract/bridge.ts';
import type { Envelope } from '../core/contract/names.ts';
import { CHOOSE_FOLDER_CHANNEL, type ChosenFolder } from './desktop-channels.ts';

const bridge = buildBridge(
  (channel, payload) => ipcRenderer.invoke(channel, payload) as Promise<Envelope<unknown>>,
  (event, listener) => {
    const handler = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, handler);
    return () => {
      ipcRenderer.removeListener(event, handler);
    };
  },
);
// Desktop only: the native folder dialog, answered with a one-time grant (electron/folder-grants.ts).
contextBridge.exposeInMainWorld(
  'oneiro',
  Object.freeze({
    ...bridge,
    chooseFolder: () => ipcRenderer.invoke(CHOOSE_FOLDER_CHANNEL) as Promise<ChosenFolder | null>,
  }),
);
