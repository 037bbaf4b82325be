import { formatBytes } from '../core/progress';
import { isCommitSha } from '../core/repo';
import type { DeleteEstimate, RevisionHolder } from '../core/studioTypes';

export interface DeleteConfirmation {
  readonly message: string;
  readonly detail: string;
}

/**
 * The text of the modal before a delete: what really goes (the engine's estimate, from the plan its cleanup runs) and
 * who keeps files of it in place, so "Frees 0 B" never reads as a failure. `count` entries are being deleted, named
 * `subject`; `where` says where the bytes are (the cache root, or "the Hugging Face cache").
 */
export function deleteConfirmation(subject: string, estimates: readonly DeleteEstimate[], where: string, count = estimates.length): DeleteConfirmation {
  const freed = estimates.reduce((sum, e) => sum + e.freedBytes, 0);
  const holders = estimates.flatMap((e) => e.heldBy);
  const sentences = [`Frees ${formatBytes(freed)} in ${where}.`];
  const stay = staysFor(holders, count === 1 ? 'Its' : 'Their');
  if (stay !== undefined) sentences.push(stay);
  else sentences.push(`Python code that loads ${count === 1 ? 'it' : 'them'} will download again.`);
  return { message: `Delete ${subject}?`, detail: sentences.join(' ') };
}

/** "Its files stay for 1 other catalog: /a/catalog.sqlite (main), and for 1 other entry of this catalog (v1.0)." */
function staysFor(holders: readonly RevisionHolder[], pronoun: string): string | undefined {
  const byCatalog = new Map<string, Set<string>>();
  const here = new Set<string>();
  for (const h of holders) {
    if (h.catalog === null) here.add(shortRevision(h.revision));
    else byCatalog.set(h.catalog, (byCatalog.get(h.catalog) ?? new Set()).add(shortRevision(h.revision)));
  }
  const parts: string[] = [];
  if (byCatalog.size > 0) {
    const listed = [...byCatalog].map(([catalog, revisions]) => `${catalog} (${[...revisions].join(', ')})`).join('; ');
    parts.push(`for ${byCatalog.size} other catalog${byCatalog.size === 1 ? '' : 's'}: ${listed}`);
  }
  if (here.size > 0) parts.push(`for ${here.size} other entr${here.size === 1 ? 'y' : 'ies'} of this catalog (${[...here].join(', ')})`);
  return parts.length === 0 ? undefined : `${pronoun} files stay ${parts.join(', and ')}.`;
}

function shortRevision(revision: string): string {
  return isCommitSha(revision) ? revision.slice(0, 12) : revision;
}
