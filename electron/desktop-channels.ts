/**
 * IPC channels of the desktop app beyond the contract (no imports: the sandboxed preload bundles this).
 * `chooseFolder` opens the native folder dialog in the main process and answers with a one-time grant
 * (electron/folder-grants.ts) and the folder's name, or null when the user cancelled.
 */
export const CHOOSE_FOLDER_CHANNEL = 'dialog:choose-folder';
export interface ChosenFolder {
  grant: string;
  name: string;
}
