import * as path from 'node:path';

/**
 * Where the catalog of a workspace lives: `<workspaceStorage>/<workspace id>/mistudio.mistudio/catalog.sqlite`.
 *
 * VS Code hands an extension host `<workspace id>-1` (then `-2`, …) as its workspace storage when another host still
 * holds the lock on `<workspace id>` — which happens on a window reload over code-server / remote connections when the
 * old extension host has not let go yet. The catalog is the user's list of models and datasets; it must not seem to
 * vanish after a reload, so it is anchored at the folder without that suffix. (Two live windows on one workspace then
 * share one catalog file; saves are atomic, so it stays readable.)
 */
export function catalogFileFor(storageDir: string): string {
  const extensionFolder = path.basename(storageDir);
  const workspaceFolder = path.dirname(storageDir);
  const workspaceStorage = path.dirname(workspaceFolder);
  const stable = path.basename(workspaceFolder).replace(/-\d+$/, '');
  if (path.basename(workspaceStorage) !== 'workspaceStorage' || stable.length === 0) {
    // Global storage (no folder open) or a layout we do not recognise: use it as given.
    return path.join(storageDir, 'catalog.sqlite');
  }
  return path.join(workspaceStorage, stable, extensionFolder, 'catalog.sqlite');
}
