import type { RepoRef } from '../repo';
import type { DownloadPlan } from '../studioTypes';
import { toRepoFile, type RevisionListing } from './plan';

/** How long a plan's listing stands in for the Hub's: the user confirmed that plan, but `main` moves on. */
const FRESH_MS = 10 * 60_000;
/** Plans kept at once (each holds a whole listing; most are taken within seconds by the download they confirm). */
const MAX_KEPT = 4;

/**
 * The listings of plans made lately (Studio.plan), each handed once to the download of the same revision, so a
 * download asks the Hub for repo info and the tree listing once — not once to plan and again to run.
 */
export class PlanMemo {
  private readonly kept = new Map<string, { readonly plan: DownloadPlan; readonly at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  remember(plan: DownloadPlan): void {
    const key = keyOf(plan.ref, plan.revision);
    this.kept.delete(key);
    this.kept.set(key, { plan, at: this.now() });
    for (const [k, v] of this.kept) if (this.kept.size > MAX_KEPT || this.now() - v.at > FRESH_MS) this.kept.delete(k);
  }

  /** The listing planned for this revision if still fresh; given out once. */
  take(ref: RepoRef, revision: string): RevisionListing | undefined {
    const key = keyOf(ref, revision);
    const found = this.kept.get(key);
    this.kept.delete(key);
    if (found === undefined || this.now() - found.at > FRESH_MS) return undefined;
    return { info: found.plan.info, listing: found.plan.allFiles.map(toRepoFile) };
  }
}

function keyOf(ref: RepoRef, revision: string): string {
  return `${ref.kind}\0${ref.repoId}\0${revision}`;
}
