import type { CacheInventory, InventoryRepo } from '../../core/cacheInventory';
import type { ScanProgress } from '../../core/cache';
import type { CacheReposBatch } from '../../shared/protocol';
import { repoKey } from '../cacheView';
import { toCacheRepoRow } from './cacheRows';

export interface CacheScanStreamOptions {
  /** Minimum time between two batches; 100 ms keeps the page at ≤ 10 messages a second, like the update pump. */
  readonly intervalMs?: number;
}

/**
 * Sends the repos of one scan to the page as the host reads them: repos read while a batch is pending join it, and
 * batches leave at most once per interval, so a cache of thousands of repos costs a few dozen messages, not thousands.
 */
export class CacheScanStream {
  private readonly intervalMs: number;
  private readonly pending = new Map<string, InventoryRepo>();
  private readonly sent = new Set<string>();
  private progress: ScanProgress = { reposDone: 0, reposTotal: 0, filesScanned: 0 };
  private lastSentMs = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    readonly scanId: number,
    private readonly send: (batch: CacheReposBatch) => void,
    options: CacheScanStreamOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
  }

  add(repo: InventoryRepo, progress: ScanProgress): void {
    if (this.stopped) return;
    this.pending.set(repoKey(repo), repo);
    this.progress = progress;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastSentMs + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** The scan ended: sends at once what is pending and any repo of the result not streamed yet, then stops. */
  finish(inventory: CacheInventory): void {
    if (this.stopped) return;
    for (const repo of inventory.repos) if (!this.sent.has(repoKey(repo))) this.pending.set(repoKey(repo), repo);
    const count = inventory.repos.length;
    this.progress = { reposDone: count, reposTotal: count, filesScanned: inventory.filesScanned };
    this.flush();
    this.stop();
  }

  /** Drops what is pending; nothing more is sent. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.stopped || this.pending.size === 0) return;
    const repos = [...this.pending.values()];
    this.pending.clear();
    for (const repo of repos) this.sent.add(repoKey(repo));
    this.lastSentMs = Date.now();
    this.send({ scanId: this.scanId, repos: repos.map(toCacheRepoRow), progress: this.progress });
  }
}
