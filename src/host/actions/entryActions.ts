import { resolveCacheRoot } from '../../core/cache/paths';
import type { CatalogEntry } from '../../core/catalog';
import { MistudioError } from '../../core/errors';
import { formatBytes } from '../../core/progress';
import { repoUrl } from '../../core/repo';
import type { DeleteEstimate, StudioApi } from '../../core/studioTypes';
import { entryCapabilities, type Capability } from '../capabilities';
import { deleteConfirmation } from '../deleteConfirmation';
import { pythonSnippet } from '../pythonSnippet';
import { ENTRY_ACTIONS, type EntryAction } from '../../shared/protocol';
import type { ActionUi } from './actionUi';

export type EntryActionId = EntryAction;

/** The capability (capabilities.ts) that allows each action: the menus' `when` clauses and this check agree. */
export const ACTION_CAPABILITY: Readonly<Record<EntryActionId, Capability>> = {
  cancel: 'canCancel',
  pause: 'canPause',
  resume: 'canResume',
  retry: 'canRetry',
  redownload: 'canRedownload',
  delete: 'canDelete',
  reveal: 'canReveal',
  openFolder: 'canOpenFolder',
  copyPath: 'canCopyPath',
  copyId: 'canCopyId',
  copySnippet: 'canCopySnippet',
  openOnHub: 'canOpenOnHub',
  requestAccess: 'canRequestAccess',
};

/** The verb as the user reads it in pickers and notes ("Cancel Download", "cannot be cancelled"). */
export const ACTION_TITLES: Readonly<Record<EntryActionId, { readonly title: string; readonly past: string }>> = {
  cancel: { title: 'Cancel Download', past: 'cancelled' },
  pause: { title: 'Pause Download', past: 'paused' },
  resume: { title: 'Resume Download', past: 'resumed' },
  retry: { title: 'Retry', past: 'retried' },
  redownload: { title: 'Re-download', past: 're-downloaded' },
  delete: { title: 'Delete', past: 'deleted' },
  reveal: { title: 'Reveal in File Explorer', past: 'revealed' },
  openFolder: { title: 'Open Folder in New Window', past: 'opened' },
  copyPath: { title: 'Copy Local Path', past: 'copied' },
  copyId: { title: 'Copy Repo ID', past: 'copied' },
  copySnippet: { title: 'Copy Python Snippet', past: 'copied' },
  openOnHub: { title: 'Open on Hugging Face', past: 'opened' },
  requestAccess: { title: 'Request Access', past: 'opened' },
};

/** Actions that act on one entry only (the first of several selected). */
const SINGLE: ReadonlySet<EntryActionId> = new Set(['reveal', 'openFolder', 'copyPath', 'copyId', 'copySnippet', 'openOnHub', 'requestAccess']);

export interface EntryActionsDeps {
  readonly studio: () => Promise<StudioApi>;
  readonly endpoint: () => string;
  readonly ui: ActionUi;
  readonly log: { info(message: string): void };
}

export interface RunOptions {
  /** Ask before a delete (default). Scripts pass false. */
  readonly confirm?: boolean;
  /**
   * A failure of one entry among several; the others go on. Without it the first failure rejects the run (the panel
   * answers its request with it).
   */
  readonly onError?: (entry: CatalogEntry, err: unknown, retry?: () => Promise<unknown>) => void;
}

/**
 * The one implementation of every entry action. The trees' commands and the Studio panel both call `run`, so a fix
 * (a Hub link for a non-main revision, the Python snippet, the delete wording, what Reveal falls back to, which states
 * allow what) lands everywhere at once.
 */
export class EntryActions {
  constructor(private readonly deps: EntryActionsDeps) {}

  allows(action: EntryActionId, entry: Pick<CatalogEntry, 'status' | 'snapshotPath' | 'errorCode'>): boolean {
    return allowedActions(entry).includes(action);
  }

  /**
   * Runs the action on the entries that allow it, saying which were skipped and why. Resolves false when nothing was
   * done (none allowed it, or the user declined the confirmation).
   */
  async run(action: EntryActionId, entries: readonly CatalogEntry[], options: RunOptions = {}): Promise<boolean> {
    const { ui } = this.deps;
    const allowed = entries.filter((e) => {
      if (this.allows(action, e)) return true;
      ui.info(`${e.repoId} cannot be ${ACTION_TITLES[action].past} while it is ${e.status}.`);
      return false;
    });
    if (allowed.length === 0) return false;
    const studio = await this.deps.studio();
    const first = allowed[0] as CatalogEntry;
    switch (action) {
      case 'cancel':
        return this.each(allowed, options, (e) => studio.cancel(e.id));
      case 'pause':
        return this.each(allowed, options, (e) => studio.pause(e.id));
      case 'resume':
      case 'retry':
      case 'redownload':
        return this.each(allowed, options, (e) => studio.resume(e.id), true);
      case 'delete':
        return this.delete(studio, allowed, options);
      case 'reveal':
        await ui.reveal(requireSnapshot(first));
        return true;
      case 'openFolder':
        await ui.openFolderInNewWindow(requireSnapshot(first));
        return true;
      case 'copyPath':
        await ui.copy(requireSnapshot(first), 'path');
        return true;
      case 'copyId':
        await ui.copy(first.repoId, 'repo id');
        return true;
      case 'copySnippet':
        await ui.copy(pythonSnippet(first, this.pythonCacheDir(studio)), 'Python snippet');
        return true;
      case 'openOnHub':
        await ui.openExternal(this.hubUrl(first));
        return true;
      case 'requestAccess':
        // Access is granted on the repo's main page, whatever revision the entry asked for.
        await ui.openExternal(repoUrl(this.deps.endpoint(), first));
        return true;
    }
  }

  /** The repo on the Hub, at the entry's revision when it is not main. */
  hubUrl(entry: Pick<CatalogEntry, 'kind' | 'repoId' | 'revision'>): string {
    const base = repoUrl(this.deps.endpoint(), entry);
    return entry.revision === 'main' ? base : `${base}/tree/${encodeURIComponent(entry.revision)}`;
  }

  static isSingle(action: EntryActionId): boolean {
    return SINGLE.has(action);
  }

  /** Python is told where the cache is only when it is not where huggingface_hub looks by default. */
  private pythonCacheDir(studio: StudioApi): { cacheDir?: string } {
    return studio.cacheRoot !== resolveCacheRoot() ? { cacheDir: studio.cacheRoot } : {};
  }

  private async delete(studio: StudioApi, entries: readonly CatalogEntry[], options: RunOptions): Promise<boolean> {
    const { ui, log } = this.deps;
    if (options.confirm !== false) {
      const estimates = await Promise.all(entries.map((e) => studio.estimateDelete(e.id).catch((): DeleteEstimate => ({ freedBytes: 0, heldBy: [] }))));
      const { message, detail } = deleteConfirmation(subjectOf(entries), estimates, studio.cacheRoot);
      if (!(await ui.confirm(message, detail, 'Delete'))) return false;
    }
    let freed = 0;
    const done = await this.each(entries, options, async (e) => {
      const result = await studio.delete(e.id);
      freed += result.freedBytesEstimate;
      log.info(`Deleted ${labelOf(e)} from the catalog; cleanup job ${result.cleanupJobId} frees about ${formatBytes(result.freedBytesEstimate)}`);
    });
    ui.status(`$(trash) Deleted ${subjectOf(entries)}; freeing about ${formatBytes(freed)}`);
    return done;
  }

  /** Runs on every entry at once; one entry's failure goes to onError (with a retry where it makes sense). */
  private async each(entries: readonly CatalogEntry[], options: RunOptions, run: (entry: CatalogEntry) => Promise<unknown>, retryable = false): Promise<boolean> {
    const { onError } = options;
    if (!onError) {
      await Promise.all(entries.map(run));
      return true;
    }
    await Promise.all(entries.map((e) => run(e).catch((err: unknown) => onError(e, err, retryable ? () => run(e) : undefined))));
    return true;
  }
}

/** The actions an entry allows now, in ENTRY_ACTIONS order (the panel's rows carry this list). */
export function allowedActions(entry: Pick<CatalogEntry, 'status' | 'snapshotPath' | 'errorCode'>): EntryAction[] {
  const caps = entryCapabilities(entry);
  return ENTRY_ACTIONS.filter((action) => caps.has(ACTION_CAPABILITY[action]));
}

function requireSnapshot(entry: CatalogEntry): string {
  if (!entry.snapshotPath) throw new MistudioError('InvalidInput', `${entry.repoId} has no local folder yet`);
  return entry.snapshotPath;
}

/** "org/name", "org/name@v1.0", or "3 entries". */
export function subjectOf(entries: readonly CatalogEntry[]): string {
  return entries.length === 1 ? labelOf(entries[0] as CatalogEntry) : `${entries.length} entries`;
}

export function labelOf(entry: Pick<CatalogEntry, 'repoId' | 'revision'>): string {
  return `${entry.repoId}${entry.revision === 'main' ? '' : `@${entry.revision}`}`;
}
