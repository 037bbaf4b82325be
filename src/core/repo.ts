import { echo } from './echo';
import { MistudioError } from './errors';

/** Models and datasets share every code path; this is the one parameter that tells them apart. */
export type RepoKind = 'model' | 'dataset';

export const REPO_KINDS: readonly RepoKind[] = ['model', 'dataset'];

/** What the Hugging Face cache holds: the catalog's kinds, and Spaces, which other tools put there. */
export type CacheRepoKind = RepoKind | 'space';

/** A repo folder of the cache; every RepoRef is one. */
export interface CacheRepoRef {
  readonly kind: CacheRepoKind;
  readonly repoId: string;
}

export interface RepoRef {
  readonly kind: RepoKind;
  /** "org/name" or a legacy un-namespaced "name", as the Hub spells it. */
  readonly repoId: string;
}

// The Hub's own rule (huggingface_hub validate_repo_id): letters, digits, '-', '_', '.', at most one '/',
// no '--' or '..', no leading/trailing '-' or '.', at most 96 characters per part.
const REPO_PART = /^(?![.-])(?!.*(?:--|\.\.))[A-Za-z0-9_.-]{1,96}(?<![.-])$/;

export function validateRepoId(repoId: string): string {
  const trimmed = repoId.trim();
  const parts = trimmed.split('/');
  if (trimmed.length === 0 || parts.length > 2 || !parts.every((p) => REPO_PART.test(p))) {
    throw new MistudioError('InvalidInput', `Invalid repo id "${echo(repoId)}": expected "org/name" with letters, digits, '-', '_' or '.'`);
  }
  return trimmed;
}

const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function isCommitSha(revision: string): boolean {
  return COMMIT_SHA.test(revision);
}

/**
 * A revision is a branch, tag or commit. It becomes a file name under refs/, so refuse anything that could
 * leave that folder or is not a git ref name (git check-ref-format, roughly).
 */
export function validateRevision(revision: string): string {
  const r = revision.trim();
  const bad =
    r.length === 0 || r.length > 255 || r.startsWith('/') || r.endsWith('/') || r.endsWith('.') || r.endsWith('.lock') ||
    r.includes('..') || r.includes('//') || r.includes('@{') || r.split('/').some((p) => p.startsWith('.')) ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(r);
  if (bad) throw new MistudioError('InvalidInput', `Invalid revision "${echo(revision)}": expected a branch, tag or commit`);
  return r;
}

export function repoUrl(endpoint: string, ref: CacheRepoRef): string {
  const base = endpoint.replace(/\/+$/, '');
  return ref.kind === 'model' ? `${base}/${ref.repoId}` : `${base}/${ref.kind}s/${ref.repoId}`;
}
