import * as os from 'node:os';
import * as path from 'node:path';
import { MistudioError } from '../errors';
import { validateRepoId, type CacheRepoKind, type CacheRepoRef } from '../repo';

/** huggingface_hub's separator between the parts of a repo folder name; '--' is not allowed inside repo ids. */
export const REPO_ID_SEPARATOR = '--';

/** OS helper files that huggingface_hub's scan ignores wherever they appear. */
export const IGNORED_NAMES: ReadonlySet<string> = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

export interface CacheRootOptions {
  /** An explicit root (the `mistudio.cacheDir` setting); wins over the environment when non-empty. */
  readonly override?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly homedir?: string;
}

/**
 * The same precedence as huggingface_hub's constants: HF_HUB_CACHE, then the legacy HUGGINGFACE_HUB_CACHE,
 * then $HF_HOME/hub, then $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub. Like Python we
 * expand a leading ~ and $VAR / ${VAR}; unlike Python an empty variable counts as unset, because an empty
 * HF_HOME meaning "the current directory" is never what anyone wants.
 */
export function resolveCacheRoot(opts: CacheRootOptions = {}): string {
  const env = opts.env ?? process.env;
  const home = opts.homedir ?? os.homedir();
  const pick = (name: string): string | undefined => {
    const value = env[name];
    return value !== undefined && value.trim() !== '' ? value : undefined;
  };
  const expand = (p: string): string => expandUser(expandVars(p, env), home);

  const override = opts.override?.trim();
  if (override) return path.resolve(expand(override));
  const hubCache = pick('HF_HUB_CACHE') ?? pick('HUGGINGFACE_HUB_CACHE');
  if (hubCache !== undefined) return path.resolve(expand(hubCache));
  const hfHome = pick('HF_HOME');
  if (hfHome !== undefined) return path.resolve(expand(hfHome), 'hub');
  const xdg = pick('XDG_CACHE_HOME');
  if (xdg !== undefined) return path.resolve(expand(xdg), 'huggingface', 'hub');
  return path.resolve(home, '.cache', 'huggingface', 'hub');
}

/**
 * huggingface_hub's Xet chunk cache (hf_xet keeps deduplicated chunks there, apart from the hub cache): HF_XET_CACHE,
 * else $HF_HOME/xet with HF_HOME resolved as huggingface_hub resolves it.
 */
export function resolveXetCacheRoot(opts: Omit<CacheRootOptions, 'override'> = {}): string {
  const env = opts.env ?? process.env;
  const home = opts.homedir ?? os.homedir();
  const pick = (name: string): string | undefined => {
    const value = env[name];
    return value !== undefined && value.trim() !== '' ? expandUser(expandVars(value, env), home) : undefined;
  };
  const xet = pick('HF_XET_CACHE');
  if (xet !== undefined) return path.resolve(xet);
  const hfHome = pick('HF_HOME') ?? path.join(pick('XDG_CACHE_HOME') ?? path.join(home, '.cache'), 'huggingface');
  return path.resolve(hfHome, 'xet');
}

function expandUser(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

/** Python's os.path.expandvars: known $VAR and ${VAR} are replaced, unknown ones stay as written. */
function expandVars(p: string, env: NodeJS.ProcessEnv): string {
  return p.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced?: string, bare?: string) => {
    const value = env[braced ?? bare ?? ''];
    return value === undefined ? whole : value;
  });
}

/** models--org--name / datasets--org--name, exactly huggingface_hub's repo_folder_name. */
export function repoFolderName(ref: CacheRepoRef): string {
  const repoId = validateRepoId(ref.repoId);
  return [`${ref.kind}s`, ...repoId.split('/')].join(REPO_ID_SEPARATOR);
}

/** The inverse of repoFolderName (models, datasets and Spaces); undefined for anything else. */
export function parseRepoFolderName(name: string): CacheRepoRef | undefined {
  const at = name.indexOf(REPO_ID_SEPARATOR);
  if (at <= 0) return undefined;
  const type = name.slice(0, at);
  const kind: CacheRepoKind | undefined = type === 'models' ? 'model' : type === 'datasets' ? 'dataset' : type === 'spaces' ? 'space' : undefined;
  if (kind === undefined) return undefined;
  const repoId = name.slice(at + REPO_ID_SEPARATOR.length).split(REPO_ID_SEPARATOR).join('/');
  return repoId.length > 0 ? { kind, repoId } : undefined;
}

const BLOB_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const COMMIT = /^[0-9a-f]{40}$/;

export function isBlobId(value: string): boolean {
  return BLOB_ID.test(value);
}

/** A blob is named by the LFS sha256 (64 hex) or the git blob sha1 (40 hex); anything else never becomes a path. */
export function validateBlobId(blobId: string): string {
  if (!BLOB_ID.test(blobId)) throw unsafe(`Invalid blob id "${shorten(blobId)}": expected 40 or 64 lowercase hex characters`);
  return blobId;
}

export function validateCommit(commit: string): string {
  if (!COMMIT.test(commit)) throw unsafe(`Invalid commit "${shorten(commit)}": expected 40 lowercase hex characters`);
  return commit;
}

// Longest name most filesystems accept (NAME_MAX, in bytes) and a generous bound on a whole repo path.
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_CHARS = 4096;
// C0 and C1 controls and DEL: they corrupt terminals and logs and some filesystems refuse them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\.|$)/i;

/**
 * Validates a repo-relative file path that came from the Hub before it is joined onto a snapshot folder.
 * The Hub's paths are '/'-separated and relative; anything that could climb out, be anchored, or mean
 * something else on another OS is refused rather than "cleaned", so a hostile repo cannot choose where we write.
 */
export function safeRepoPath(relPath: string, platform: NodeJS.Platform = process.platform): string {
  if (typeof relPath !== 'string' || relPath.length === 0) throw unsafe('Unsafe file path: empty');
  if (relPath.length > MAX_PATH_CHARS) throw unsafe(`Unsafe file path "${shorten(relPath)}": longer than ${MAX_PATH_CHARS} characters`);
  if (CONTROL.test(relPath)) throw unsafe(`Unsafe file path "${shorten(printable(relPath))}": contains a control character`);
  if (relPath.includes('\\')) throw unsafe(`Unsafe file path "${shorten(relPath)}": contains a backslash`);
  if (relPath.startsWith('/')) throw unsafe(`Unsafe file path "${shorten(relPath)}": absolute`);
  const segments = relPath.split('/');
  for (const segment of segments) {
    if (segment.length === 0) throw unsafe(`Unsafe file path "${shorten(relPath)}": empty segment`);
    // '.', '..' and dot-and-space runs such as '. .' or '...' (Windows trims trailing dots and spaces).
    if (/^[. ]+$/.test(segment)) throw unsafe(`Unsafe file path "${shorten(relPath)}": "${shorten(segment, 20)}" segment`);
    if (/^[A-Za-z]:/.test(segment)) throw unsafe(`Unsafe file path "${shorten(relPath)}": drive-anchored segment`);
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw unsafe(`Unsafe file path "${shorten(relPath)}": a name longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
    if (platform === 'win32' && (WINDOWS_FORBIDDEN.test(segment) || WINDOWS_DEVICE.test(segment) || /[. ]$/.test(segment))) {
      throw unsafe(`Unsafe file path "${shorten(relPath)}": not a valid Windows file name`);
    }
  }
  return segments.join('/');
}

/** True when `child` is `parent` itself or lies inside it (both absolute, compared lexically). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export function isStrictlyInside(parent: string, child: string): boolean {
  return child !== parent && isInside(parent, child);
}

function unsafe(message: string): MistudioError {
  return new MistudioError('UnsafePath', message);
}

function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function shorten(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Folder names inside a repo folder, as huggingface_hub lays them out, plus the two of our own. */
export const LAYOUT = {
  blobs: 'blobs',
  snapshots: 'snapshots',
  refs: 'refs',
  /** huggingface_hub's negative cache: .no_exist/<commit>/<path> marks files the Hub does not have. */
  noExist: '.no_exist',
  /** Cache-root folder of huggingface_hub's per-blob file locks. */
  locks: '.locks',
  /** Snapshots being deleted are moved here first; same depth as snapshots/, so their relative links still resolve. */
  trash: '.mistudio-deleting',
  /**
   * Suffix of a trash folder that holds only some links of a snapshot (a delete that keeps other holders' files): its
   * interrupted run finishes by removing what was moved aside, never the snapshot the links came from.
   */
  partialTrashSuffix: '.paths',
  /** huggingface_hub's (1.26+) tree listing of a commit: trees/<commit>.json, which its offline completeness check reads. */
  trees: 'trees',
  /** Who still holds a revision: .mistudio-holders/<commit>/<catalog key>.<entry key>.json, one per catalog entry. */
  holders: '.mistudio-holders',
  /** Prefix of our temp files, kept directly in the repo folder where no scanner or loader looks. */
  tempPrefix: '.mistudio-',
  tempSuffix: '.tmp',
  /** Every partial download ends so, ours and other tools' (huggingface_hub scans `blobs/*.incomplete`). */
  incompleteSuffix: '.incomplete',
  /**
   * Our partial: `blobs/<id>.mistudio.incomplete`, a name no other tool writes. huggingface_hub before 1.18 resumed into
   * `blobs/<id>.incomplete` trusting its length, which over our sparse, range-written partial made a blob with zeroed
   * pages; 1.18+ writes `<id>.<8 hex>.incomplete`, unique per process.
   */
  partialSuffix: '.mistudio.incomplete',
  /** The transfer's journal of landed ranges beside our partial; no scanner looks at it, and it goes with the partial. */
  rangeJournalSuffix: '.mistudio.incomplete.ranges',
  /** What versions before the rename called our partial and its journal; adopted (by the journal) when resuming. */
  legacyPartialSuffix: '.incomplete',
  legacyRangeJournalSuffix: '.incomplete.ranges',
} as const;

/** Whose a `blobs/` partial is: ours, ours from an older version (by its journal), or another tool's. */
export type PartialOwner = 'ours' | 'legacy' | 'foreign';

/**
 * The blob a partial-download file belongs to, from its name in `blobs/`: `<id>.mistudio.incomplete` (ours),
 * `<id>.incomplete` (ours from before, or huggingface_hub < 1.18), `<id>.<tag>.incomplete` (huggingface_hub 1.18+).
 * Undefined for anything else, including our range journals.
 */
export function parsePartialName(name: string): { blobId: string; owner: PartialOwner } | undefined {
  if (!name.endsWith(LAYOUT.incompleteSuffix)) return undefined;
  const stem = name.slice(0, -LAYOUT.incompleteSuffix.length);
  const dot = stem.indexOf('.');
  const blobId = dot < 0 ? stem : stem.slice(0, dot);
  if (!isBlobId(blobId)) return undefined;
  if (dot < 0) return { blobId, owner: 'legacy' };
  return { blobId, owner: name === `${blobId}${LAYOUT.partialSuffix}` ? 'ours' : 'foreign' };
}
