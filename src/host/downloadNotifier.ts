import type { CatalogEntry } from '../core/catalog';
import { describeError } from '../core/errors';
import type { Disposable } from '../core/events';
import { formatBytes } from '../core/progress';
import type { StudioApi } from '../core/studioTypes';
import { NotificationProgress, type ProgressStep } from './notificationProgress';
import type { StudioHost } from './studioHost';

/** The VS Code calls the notifier makes; a thin wrapper in vscodeUi.ts, a fake in unit tests. */
export interface NotifierUi {
  /**
   * Shows a cancellable progress notification until `task` settles. `report` adds to the bar; `onCancel` registers
   * what the notification's Cancel button does.
   */
  progress(title: string, task: (report: (step: ProgressStep) => void, onCancel: (listener: () => void) => void) => Promise<void>): void;
  /** A short, self-clearing line in the status bar. */
  status(text: string): void;
  /** An actionable error notification for a failed download (Retry resumes the entry). */
  downloadFailed(entry: CatalogEntry): void;
  log(message: string): void;
}

type HostEvents = Pick<StudioHost, 'onDidChangeEntry' | 'onDidProgress' | 'onDidOpen' | 'current'>;

interface Tracked {
  readonly bar: NotificationProgress;
  report?: (step: ProgressStep) => void;
  /** Steps that arrived before VS Code started the task. */
  pending: ProgressStep[];
  finish: () => void;
}

const ACTIVE = new Set(['queued', 'downloading']);

/**
 * One cancellable progress notification per running download, whoever started it (a command, the panel, a resume
 * at startup). The bar's increments add up to exactly 100 when the download is ready; Cancel reaches the engine's
 * AbortSignal through studio.cancel(); a cancel or pause closes the notification quietly, a failure shows an
 * actionable error.
 */
export class DownloadNotifier implements Disposable {
  private readonly tracked = new Map<string, Tracked>();
  private readonly subscriptions: Disposable[];

  constructor(
    private readonly host: HostEvents,
    private readonly ui: NotifierUi,
  ) {
    this.subscriptions = [
      host.onDidChangeEntry((change) => this.onEntryChanged(change.entryId)),
      host.onDidProgress(({ entryId, progress }) => this.push(entryId, this.tracked.get(entryId)?.bar.update(progress))),
      host.onDidOpen((studio) => this.adopt(studio)),
    ];
    if (host.current) this.adopt(host.current);
  }

  /** Entries with a notification showing (for tests and the status bar). */
  get activeEntryIds(): string[] {
    return [...this.tracked.keys()];
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    for (const t of this.tracked.values()) t.finish();
    this.tracked.clear();
  }

  private adopt(studio: StudioApi): void {
    for (const entry of studio.catalog.listEntries({ statuses: ['queued', 'downloading'] })) this.track(studio, entry);
  }

  private onEntryChanged(entryId: string): void {
    const studio = this.host.current;
    const entry = studio?.catalog.getEntry(entryId);
    if (!studio || !entry) {
      this.settle(entryId, undefined);
      return;
    }
    if (ACTIVE.has(entry.status)) this.track(studio, entry);
    else this.settle(entryId, entry);
  }

  private track(studio: StudioApi, entry: CatalogEntry): void {
    if (this.tracked.has(entry.id)) return;
    let finish = (): void => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const tracked: Tracked = { bar: new NotificationProgress(), pending: [], finish };
    this.tracked.set(entry.id, tracked);
    if (entry.status === 'queued') tracked.pending.push({ increment: 0, message: 'Queued: waiting for a free download slot…' });
    const revision = entry.revision === 'main' ? '' : `@${entry.revision}`;
    this.ui.progress(`Downloading ${entry.repoId}${revision}`, (report, onCancel) => {
      tracked.report = report;
      for (const step of tracked.pending.splice(0)) report(step);
      onCancel(() => {
        this.ui.log(`Cancel requested for ${entry.repoId}${revision}`);
        // The engine may have been reopened (new cache folder) since this notification appeared.
        const current = this.host.current ?? studio;
        current.cancel(entry.id).catch((err: unknown) => {
          this.ui.log(`Cancelling ${entry.repoId}${revision}: ${describeError(err)}`);
          this.settle(entry.id, current.catalog.getEntry(entry.id));
        });
      });
      return done;
    });
    const progress = studio.progressOf(entry.id);
    if (progress) this.push(entry.id, tracked.bar.update(progress));
  }

  private push(entryId: string, step: ProgressStep | undefined): void {
    const tracked = this.tracked.get(entryId);
    if (!tracked || !step) return;
    if (tracked.report) tracked.report(step);
    else tracked.pending.push(step);
  }

  private settle(entryId: string, entry: CatalogEntry | undefined): void {
    const tracked = this.tracked.get(entryId);
    if (!tracked) return;
    this.tracked.delete(entryId);
    const name = entry ? `${entry.repoId}${entry.revision === 'main' ? '' : `@${entry.revision}`}` : '';
    if (entry?.status === 'ready') {
      const step = tracked.bar.finish(`Downloaded ${formatBytes(entry.bytesTotal)}`);
      if (tracked.report) tracked.report(step);
      this.ui.status(`$(pass) Downloaded ${name} (${formatBytes(entry.bytesTotal)})`);
    } else if (entry?.status === 'error') {
      this.ui.downloadFailed(entry);
    } else if (entry?.status === 'cancelled') {
      this.ui.status(`$(circle-slash) Cancelled ${name}`);
    } else if (entry?.status === 'paused') {
      this.ui.status(`$(debug-pause) Paused ${name}`);
    }
    tracked.finish();
  }
}
