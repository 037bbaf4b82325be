import type { CatalogEntry } from '../../core/catalog';
import { isCancellation } from '../../core/errors';
import { formatBytes } from '../../core/progress';
import { isCommitSha } from '../../core/repo';
import type { CacheActionResult, CacheDeleteEstimate, CacheRevisionEstimate, CacheTarget, StudioApi, VerifyReport } from '../../core/studioTypes';
import type { ActionUi } from './actionUi';

export interface CacheActionsDeps {
  readonly studio: () => Promise<StudioApi>;
  readonly ui: ActionUi;
  readonly log: { info(message: string): void; warn(message: string): void };
  /** Called after anything that changed the cache, so its views read it again. */
  readonly onDidChangeCache: () => void;
}

/** A revision of the cache as the user picked it: a commit, the refs naming it, and the revision to adopt it at. */
export interface CacheRevisionTarget {
  readonly kind: CacheTarget['kind'];
  readonly repoId: string;
  readonly commit: string;
  readonly refs: readonly string[];
}

/**
 * The cache view's actions — Add to Catalog, Delete from Disk, Prune, Verify and Repair — for the tree, the palette,
 * the Studio panel alike. Each long one runs in a notification with Cancel, and each tells what it really did: a
 * refused or failed delete is shown as such, never as freed bytes.
 */
export class CacheActions {
  constructor(private readonly deps: CacheActionsDeps) {}

  /** Adds another tool's download to the catalog: no request, ready at once (or an error naming a damaged file). */
  async addToCatalog(target: CacheRevisionTarget): Promise<CatalogEntry | undefined> {
    const { ui } = this.deps;
    if (target.kind === 'space') {
      ui.info(`${target.repoId} is a Space: the catalog holds models and datasets.`);
      return undefined;
    }
    const studio = await this.deps.studio();
    // A branch or tag the cache knows keeps the entry following it; a detached commit is the revision itself.
    const revision = target.refs.find((r) => !r.startsWith('refs/')) ?? target.refs[0] ?? target.commit;
    const entry = await studio.adopt({ kind: target.kind, repoId: target.repoId, revision });
    this.deps.onDidChangeCache();
    if (entry.status === 'ready') {
      ui.status(`$(check) Added ${target.repoId}${revision === 'main' ? '' : `@${short(revision)}`} to the catalog`);
      return entry;
    }
    void ui.ask('error', `${target.repoId} could not be added: ${entry.errorMessage ?? entry.status}`);
    return entry;
  }

  /** Deletes revisions (or whole repos) from disk after a confirmation that says what goes and who keeps what. */
  async deleteFromDisk(targets: readonly CacheTarget[], subject: string, options: { readonly confirm?: boolean } = {}): Promise<CacheActionResult | undefined> {
    const { ui } = this.deps;
    const studio = await this.deps.studio();
    if (options.confirm !== false) {
      const estimate = await studio.estimateCacheDelete(targets);
      const { message, detail } = cacheDeleteConfirmation(subject, estimate);
      if (!(await ui.confirm(message, detail, 'Delete from Disk'))) return undefined;
    }
    return this.runAndReport(`Deleting ${subject} from disk`, (options) => studio.deleteFromCache(targets, options));
  }

  /** Detached revisions no catalog holds and partial downloads nobody can resume, after a confirmation. */
  async prune(options: { readonly confirm?: boolean } = {}): Promise<CacheActionResult | undefined> {
    const { ui } = this.deps;
    const studio = await this.deps.studio();
    const plan = await ui.withProgress('Looking for what to prune', (_report, signal) => studio.planPrune(signal)).catch((err: unknown) => {
      if (isCancellation(err)) return undefined;
      throw err;
    });
    if (!plan) return undefined;
    if (plan.revisions.length === 0 && plan.partials.length === 0) {
      ui.info('Nothing to prune: every revision is named by a branch or tag or held by a catalog, and no partial download is orphaned.');
      return undefined;
    }
    const parts = [
      ...(plan.revisions.length > 0 ? [`${plan.revisions.length} detached revision${plan.revisions.length === 1 ? '' : 's'} no catalog holds (${plan.revisions.map(nameOf).slice(0, 5).join(', ')}${plan.revisions.length > 5 ? ', …' : ''})`] : []),
      ...(plan.partials.length > 0 ? [`${plan.partials.length} partial download${plan.partials.length === 1 ? '' : 's'} nobody can resume`] : []),
    ];
    if (options.confirm !== false && !(await ui.confirm('Prune the Hugging Face cache?', `Removes ${parts.join(' and ')}, freeing ${formatBytes(plan.freedBytes)}.`, 'Prune'))) return undefined;
    return this.runAndReport('Pruning the cache', (options) => studio.prune(options));
  }

  /** Re-hashes a revision's files and says how it went (see offerRepair for damaged ones). */
  async verify(target: CacheRevisionTarget): Promise<VerifyReport | undefined> {
    const { ui } = this.deps;
    const studio = await this.deps.studio();
    const label = labelOf(target);
    try {
      const report = await ui.withProgress(`Verifying ${label}`, (progress, signal) =>
        studio.verifyRevision({ kind: target.kind, repoId: target.repoId, revision: target.commit }, {
          signal,
          onProgress: (p) => progress(`${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} hashed`, p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0),
        }),
      );
      if (report.bad.length === 0) ui.info(`${label}: all ${report.files} file${report.files === 1 ? '' : 's'} verified (${formatBytes(report.bytes)} hashed).`);
      return report;
    } catch (err) {
      if (isCancellation(err)) return undefined;
      throw err;
    }
  }

  /**
   * Names the damaged files of a verify and, if the user asks, fetches them again. Resolves once answered (a
   * notification can wait for days; callers need not wait for it).
   */
  async offerRepair(target: CacheRevisionTarget, report: VerifyReport): Promise<CatalogEntry | undefined> {
    const names = report.bad.map((b) => `${b.path} (${b.problem === 'missing' ? 'missing' : b.problem === 'size' ? 'wrong size' : 'wrong content'})`);
    const repairable = report.kind !== 'space';
    const message = `${labelOf(target)}: ${report.bad.length} of ${report.files} files are damaged: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;
    const choice = await this.deps.ui.ask('warning', message, ...(repairable ? ['Repair'] : []));
    return choice === 'Repair' ? this.repair(report) : undefined;
  }

  /**
   * Verify as the tree and the panel run it: the report at once; damaged files named in a notification that offers
   * Repair, which nobody waits for (it may stay open for days). A failed repair goes to `onRepairError`.
   */
  async verifyAndOfferRepair(target: CacheRevisionTarget, onRepairError: (err: unknown) => void): Promise<VerifyReport | undefined> {
    const report = await this.verify(target);
    if (report && report.bad.length > 0) this.offerRepair(target, report).catch(onRepairError);
    return report;
  }

  /** Removes the damaged blobs and fetches them again; the download notification shows the progress. */
  async repair(report: VerifyReport): Promise<CatalogEntry> {
    const studio = await this.deps.studio();
    const entry = await studio.repairRevision(report);
    this.deps.log.info(`Repairing ${report.repoId}@${short(report.commit)}: fetching ${report.bad.map((b) => b.path).join(', ')} again`);
    this.deps.onDidChangeCache();
    return entry;
  }

  private async runAndReport(title: string, run: (options: { signal: AbortSignal; onProgress: (p: { done: number; total: number; current?: string }) => void }) => Promise<CacheActionResult>): Promise<CacheActionResult> {
    const { ui, log } = this.deps;
    let result: CacheActionResult;
    try {
      result = await ui.withProgress(title, (report, signal) =>
        run({ signal, onProgress: (p) => report(`${p.done} of ${p.total}${p.current ? ` · ${p.current}` : ''}`, p.total > 0 ? p.done / p.total : 0) }),
      );
    } finally {
      this.deps.onDidChangeCache();
    }
    const failed = result.revisions.filter((r) => r.error !== undefined);
    const kept = result.revisions.reduce((sum, r) => sum + r.pathsKept, 0);
    const busy = result.partials.filter((p) => !p.removed);
    for (const r of result.revisions) {
      log.info(`${r.repoId}@${short(r.commit)}: ${r.error ? `failed: ${r.error}` : `freed ${formatBytes(r.freedBytes)}`}${r.pathsKept > 0 ? `, kept ${r.pathsKept} held files` : ''}`);
      for (const s of r.skipped) log.warn(`${r.repoId}@${short(r.commit)}: left alone: ${s}`);
    }
    const sentences = [`${result.cancelled ? 'Stopped. ' : ''}Freed ${formatBytes(result.freedBytes)}.`];
    if (kept > 0) sentences.push(`Kept ${kept} file${kept === 1 ? '' : 's'} other catalogs hold.`);
    if (busy.length > 0) sentences.push(`Kept ${busy.length} partial download${busy.length === 1 ? '' : 's'} being written now.`);
    if (failed.length > 0) {
      sentences.push(`${failed.length} could not be deleted: ${failed.map((f) => `${f.repoId}@${short(f.commit)}: ${f.error}`).join('; ')}. It is tried again at the next start.`);
      void ui.ask('error', sentences.join(' '));
    } else {
      ui.info(sentences.join(' '));
    }
    return result;
  }
}

/** How a delete names what it deletes: "org/name@main", "org/name@1a2b3c4d", or "3 revisions". */
export function revisionsSubject(targets: readonly CacheRevisionTarget[]): string {
  return targets.length === 1 ? labelOf(targets[0] as CacheRevisionTarget) : `${targets.length} revisions`;
}

/** "org/name (2 revisions)", or "3 repos". */
export function reposSubject(repos: readonly { readonly repoId: string; readonly revisions: readonly unknown[] }[]): string {
  if (repos.length !== 1) return `${repos.length} repos`;
  const [repo] = repos as [{ readonly repoId: string; readonly revisions: readonly unknown[] }];
  return `${repo.repoId} (${repo.revisions.length} revision${repo.revisions.length === 1 ? '' : 's'})`;
}

/** The modal's text: what goes, how much it frees, the catalog entries that go with it, and who keeps what. */
export function cacheDeleteConfirmation(subject: string, estimate: CacheDeleteEstimate): { message: string; detail: string } {
  const sentences = [`Frees ${formatBytes(estimate.freedBytes)} from disk.`];
  const entries = estimate.revisions.flatMap((r) => r.entries);
  if (entries.length > 0) sentences.push(`${entries.length === 1 ? 'Its entry leaves' : `${entries.length} entries leave`} this workspace's catalog (${entries.map((e) => shortRevision(e.revision)).join(', ')}).`);
  const holders = new Map<string, Set<string>>();
  for (const h of estimate.revisions.flatMap((r) => r.heldBy)) if (h.catalog !== null) holders.set(h.catalog, (holders.get(h.catalog) ?? new Set()).add(shortRevision(h.revision)));
  if (holders.size > 0) {
    sentences.push(`Files other catalogs hold stay: ${[...holders].map(([catalog, revisions]) => `${catalog} (${[...revisions].join(', ')})`).join('; ')}.`);
  } else {
    sentences.push('Python code that loads it will download it again.');
  }
  return { message: `Delete ${subject} from disk?`, detail: sentences.join(' ') };
}

export function labelOf(target: CacheRevisionTarget): string {
  return `${target.repoId}@${target.refs[0] ?? short(target.commit)}`;
}

function nameOf(r: CacheRevisionEstimate): string {
  return `${r.repoId}@${short(r.commit)}`;
}

function short(revision: string): string {
  return isCommitSha(revision) ? revision.slice(0, 8) : revision;
}

function shortRevision(revision: string): string {
  return isCommitSha(revision) ? revision.slice(0, 12) : revision;
}
