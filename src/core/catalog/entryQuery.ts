import type { SqlValue } from 'sql.js';
import type { RepoKind } from '../repo';
import type { EntryStatus } from './types';

export interface EntryConditions {
  kind?: RepoKind;
  repoId?: string;
  /** An empty list matches nothing. */
  statuses?: readonly EntryStatus[];
}

export interface SqlFragment {
  readonly sql: string;
  readonly params: SqlValue[];
}

/** WHERE clause for already-validated conditions. */
export function whereClause(conditions: EntryConditions): SqlFragment {
  const terms: string[] = [];
  const params: SqlValue[] = [];
  if (conditions.kind !== undefined) {
    terms.push('kind = ?');
    params.push(conditions.kind);
  }
  if (conditions.repoId !== undefined) {
    terms.push('repo_id = ?');
    params.push(conditions.repoId);
  }
  if (conditions.statuses !== undefined) {
    const unique = [...new Set(conditions.statuses)];
    terms.push(unique.length === 0 ? '0' : `status IN (${unique.map(() => '?').join(', ')})`);
    params.push(...unique);
  }
  return { sql: terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '', params };
}
