import type { ProgressSnapshot } from '../../core/progress';
import type { StudioApi } from '../../core/studioTypes';
import type { UpdateBatch } from '../../shared/protocol';
import { toEntryRow, toProgressRow } from './rows';

export interface UpdatePumpOptions {
  /** Minimum time between two batches; 100 ms keeps the panel at ≤ 10 messages a second. */
  readonly intervalMs?: number;
}

/**
 * Turns the engine's events into batches for the webview: changes and progress collected while a batch is pending
 * are merged (latest value per entry wins), and batches leave at most once per interval. A batch is sent only while
 * the webview is live (`resume()` after its ready handshake); while it is not, nothing is kept, because the next
 * `ready` answers with a full snapshot anyway.
 */
export class UpdatePump {
  private readonly intervalMs: number;
  private readonly subscriptions: { dispose(): void }[];
  private live = false;
  private readonly changed = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly progress = new Map<string, ProgressSnapshot>();
  private dirty = false;
  private cleanupRunningNow = 0;
  private lastSentMs = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sentBatches = 0;

  constructor(
    readonly studio: StudioApi,
    private readonly send: (batch: UpdateBatch) => void,
    options: UpdatePumpOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.subscriptions = [
      studio.onDidChangeEntry((change) => {
        if (change.kind === 'entry-removed') {
          this.changed.delete(change.entryId);
          this.progress.delete(change.entryId);
          this.removed.add(change.entryId);
        } else {
          this.removed.delete(change.entryId);
          this.changed.add(change.entryId);
        }
        this.schedule();
      }),
      studio.onDidProgress((p) => {
        this.progress.set(p.entryId, p.progress);
        this.schedule();
      }),
      studio.onDidChangeCleanup((c) => {
        this.cleanupRunningNow = c.running;
        this.schedule();
      }),
    ];
  }

  get cleanupRunning(): number {
    return this.cleanupRunningNow;
  }

  get batchesSent(): number {
    return this.sentBatches;
  }

  /** The webview has just received a snapshot: send what changes from now on. */
  resume(): void {
    this.clearPending();
    this.live = true;
  }

  /** The webview is hidden or reloading: drop changes until the next `resume()`. */
  pause(): void {
    this.live = false;
    this.clearPending();
  }

  dispose(): void {
    this.pause();
    for (const s of this.subscriptions) s.dispose();
  }

  private schedule(): void {
    if (!this.live) {
      this.clearPending();
      return;
    }
    this.dirty = true;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastSentMs + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.live || !this.dirty) return;
    const changed = [];
    const removed = [...this.removed];
    for (const id of this.changed) {
      const entry = this.studio.catalog.getEntry(id);
      if (entry) changed.push(toEntryRow(entry));
      else removed.push(id);
    }
    const progress = [...this.progress].map(([id, p]) => toProgressRow(id, p));
    this.clearPending();
    this.lastSentMs = Date.now();
    this.sentBatches++;
    this.send({ changed, removed, progress, counts: this.studio.catalog.counts(), cleanupRunning: this.cleanupRunningNow });
  }

  private clearPending(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.changed.clear();
    this.removed.clear();
    this.progress.clear();
    this.dirty = false;
  }
}
