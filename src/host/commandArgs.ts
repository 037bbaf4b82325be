import { MistudioError } from '../core/errors';
import { validateRepoId, validateRevision, type RepoKind } from '../core/repo';

/**
 * Commands are called from menus (with tree nodes), from the palette (with nothing), from keybindings and from other
 * extensions (with whatever they pass). Everything that arrives is checked here before it reaches the engine.
 */

/** What the trees hand to commands: an entry row or one of its files. */
export type TreeNode = EntryNode | FileNode;

export interface EntryNode {
  readonly type: 'entry';
  readonly entryId: string;
}

export interface FileNode {
  readonly type: 'file';
  readonly entryId: string;
  readonly path: string;
}

const ENTRY_ID = /^[A-Za-z0-9_-]{1,128}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An entry id from a tree node, `{ entryId }` or a plain id string; undefined for anything else. */
export function entryIdOf(value: unknown): string | undefined {
  const id = typeof value === 'string' ? value : isRecord(value) && typeof value.entryId === 'string' ? value.entryId : undefined;
  return id !== undefined && ENTRY_ID.test(id) ? id : undefined;
}

/**
 * The entries a command acts on. VS Code calls tree commands with (clicked, selection); like the built-in views, act
 * on the whole selection when the clicked item is part of it, else only on the clicked one. Empty: ask the user.
 */
export function entryIdsFromArgs(args: readonly unknown[]): string[] {
  const [first, second] = args;
  const clicked = entryIdOf(first);
  const selection = Array.isArray(second) ? second.map(entryIdOf).filter((id): id is string => id !== undefined) : [];
  if (clicked !== undefined && selection.includes(clicked)) return [...new Set(selection)];
  if (clicked !== undefined) return [clicked];
  if (Array.isArray(first)) return [...new Set(first.map(entryIdOf).filter((id): id is string => id !== undefined))];
  return [];
}

/** A file node's entry and path (file-level Reveal / Copy Path). */
export function fileArg(value: unknown): FileNode | undefined {
  if (!isRecord(value) || value.type !== 'file' || typeof value.path !== 'string' || value.path === '') return undefined;
  const entryId = entryIdOf(value);
  return entryId ? { type: 'file', entryId, path: value.path } : undefined;
}

export interface DownloadArgs {
  readonly kind: RepoKind;
  readonly repoId: string;
  readonly revision?: string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** false: start without showing the plan (scripts, tests); default true. */
  readonly confirm: boolean;
}

/**
 * `mistudio.downloadModel` accepts nothing (prompt), a repo id string, or
 * `{ repoId, revision?, include?, exclude?, confirm? }`. Throws MistudioError('InvalidInput') for anything malformed.
 */
export function parseDownloadArgs(kind: RepoKind, value: unknown): DownloadArgs | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return { kind, repoId: validateRepoId(value), confirm: true };
  if (!isRecord(value)) throw invalid('expected a repo id or { repoId, revision?, include?, exclude?, confirm? }');
  if (typeof value.repoId !== 'string') throw invalid('repoId must be a string such as "org/name"');
  const revision = value.revision === undefined ? undefined : typeof value.revision === 'string' ? validateRevision(value.revision) : bad('revision must be a string');
  const confirm = value.confirm === undefined ? true : typeof value.confirm === 'boolean' ? value.confirm : bad('confirm must be true or false');
  const include = patterns(value.include, 'include');
  const exclude = patterns(value.exclude, 'exclude');
  return {
    kind,
    repoId: validateRepoId(value.repoId),
    ...(revision !== undefined ? { revision } : {}),
    ...(include ? { include } : {}),
    ...(exclude ? { exclude } : {}),
    confirm,
  };
}

/** `mistudio.delete` takes tree nodes / ids, or `{ entryId, confirm: false }` from scripts and tests. */
export function parseDeleteOptions(args: readonly unknown[]): { readonly confirm: boolean } {
  const [first] = args;
  return { confirm: !(isRecord(first) && first.confirm === false) };
}

/** Comma- or space-separated include patterns as typed in an input box; empty means everything. */
export function parsePatternList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

function patterns(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((p): p is string => typeof p === 'string' && p.trim() !== '' && p.length <= 1000)) {
    throw invalid(`${name} must be a list of glob patterns`);
  }
  return value.map((p) => p.trim());
}

function invalid(message: string): MistudioError {
  return new MistudioError('InvalidInput', `Invalid download arguments: ${message}`);
}

function bad(message: string): never {
  throw invalid(message);
}
