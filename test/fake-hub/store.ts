import { createHash, type Hash } from 'node:crypto';
import type { FakeFile, FakeRepo } from './types';
import { parseFrontMatter } from './yaml';

/** One file as git and LFS see it at a commit. */
export interface StoredFile {
  readonly path: string;
  readonly content: Buffer;
  readonly lfs: boolean;
  /** Git blob sha1 of what git stores: the content, or the LFS pointer for LFS files. */
  readonly oid: string;
  readonly sha256: string;
  /** The LFS pointer text (only for LFS files). */
  readonly pointer?: Buffer;
}

export interface StoredCommit {
  readonly sha: string;
  readonly index: number;
  readonly title: string;
  readonly date: string;
  readonly files: ReadonlyMap<string, StoredFile>;
}

export interface StoredRepo {
  readonly kind: 'model' | 'dataset';
  readonly id: string;
  readonly objectId: string;
  readonly gated: false | 'auto' | 'manual';
  readonly private: boolean;
  readonly source: FakeRepo;
  readonly commits: readonly StoredCommit[];
  readonly refs: ReadonlyMap<string, string>;
}

export interface TreeEntry {
  readonly type: 'file' | 'directory';
  readonly path: string;
  readonly oid: string;
  readonly size: number;
  readonly file?: StoredFile;
}

const LFS_EXTENSIONS = /\.(safetensors|bin|parquet|pt)$/i;
const LFS_SIZE_THRESHOLD = 10 * 1024;
const DEFAULT_LAST_MODIFIED = '2024-05-01T12:00:00.000Z';

/** Hash.update refuses more than 2^31 - 1 bytes at once; files of 2 GiB and more are hashed in slices. */
const HASH_SLICE = 1024 * 1024 * 1024;

function updateInSlices(hash: Hash, content: Buffer): Hash {
  for (let at = 0; at < content.length; at += HASH_SLICE) hash.update(content.subarray(at, at + HASH_SLICE));
  return hash;
}

export function gitBlobSha1(content: Buffer): string {
  return updateInSlices(createHash('sha1').update(`blob ${content.length}\0`), content).digest('hex');
}

export function sha256Hex(content: Buffer): string {
  return updateInSlices(createHash('sha256'), content).digest('hex');
}

function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
}

function storeFile(file: FakeFile): StoredFile {
  const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
  const lfs = file.lfs ?? (LFS_EXTENSIONS.test(file.path) || content.length > LFS_SIZE_THRESHOLD);
  const sha256 = sha256Hex(content);
  if (!lfs) return { path: file.path, content, lfs, oid: gitBlobSha1(content), sha256 };
  const pointer = lfsPointer(sha256, content.length);
  return { path: file.path, content, lfs, oid: gitBlobSha1(pointer), sha256, pointer };
}

/** Commit dates step back one day per commit from the repo's lastModified, so the newest one equals it. */
function commitDate(lastModified: string, index: number, count: number): string {
  const newest = Date.parse(lastModified);
  return new Date(newest - (count - 1 - index) * 86_400_000).toISOString();
}

export function buildRepo(source: FakeRepo): StoredRepo {
  if (source.commits.length === 0) throw new Error(`fake hub: repo ${source.id} needs at least one commit`);
  const lastModified = source.info?.lastModified ?? DEFAULT_LAST_MODIFIED;
  const commits: StoredCommit[] = source.commits.map((commit, index) => {
    const files = new Map<string, StoredFile>();
    for (const file of commit.files) files.set(file.path, storeFile(file));
    const hash = createHash('sha1').update(`${source.kind}/${source.id}#${index}\n`);
    for (const f of [...files.values()].sort((a, b) => a.path.localeCompare(b.path))) hash.update(`${f.path}\0${f.oid}\n`);
    const sha = commit.sha ?? hash.digest('hex');
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`fake hub: commit sha must be 40 hex, got ${sha}`);
    return { sha, index, title: index === 0 ? 'initial commit' : `Update files (${index})`, date: commitDate(lastModified, index, source.commits.length), files };
  });
  const refs = new Map<string, string>();
  source.commits.forEach((commit, index) => {
    for (const ref of commit.refs ?? []) refs.set(ref, commits[index]!.sha);
  });
  if (!refs.has('main')) refs.set('main', commits[commits.length - 1]!.sha);
  return {
    kind: source.kind,
    id: source.id,
    objectId: createHash('sha1').update(`${source.kind}:${source.id}`).digest('hex').slice(0, 24),
    gated: source.gated ?? false,
    private: source.private ?? false,
    source,
    commits,
    refs,
  };
}

/** Branch, tag, "HEAD" or full commit sha → commit; undefined when unknown. */
export function resolveRevision(repo: StoredRepo, revision: string): StoredCommit | undefined {
  const wanted = revision === 'HEAD' ? 'main' : revision;
  const sha = repo.refs.get(wanted) ?? (/^[0-9a-f]{40}$/.test(wanted) ? wanted : undefined);
  return sha === undefined ? undefined : repo.commits.find((c) => c.sha === sha);
}

/** The most recent commit up to `commit` that changed `path` (what the Hub reports as lastCommit). */
export function lastCommitTouching(repo: StoredRepo, commit: StoredCommit, path: string): StoredCommit {
  let last = commit;
  for (let i = commit.index; i > 0; i--) {
    const here = repo.commits[i]!.files.get(path);
    const before = repo.commits[i - 1]!.files.get(path);
    if (here?.oid !== before?.oid) return repo.commits[i]!;
    last = repo.commits[i - 1]!;
  }
  return last;
}

const treeEntriesCache = new WeakMap<StoredCommit, readonly TreeEntry[]>();

/** All files and directories of a commit, sorted by path (directories derived from file paths); built once per commit. */
export function treeEntries(commit: StoredCommit): readonly TreeEntry[] {
  const cached = treeEntriesCache.get(commit);
  if (cached) return cached;
  const built = buildTreeEntries(commit);
  treeEntriesCache.set(commit, built);
  return built;
}

function buildTreeEntries(commit: StoredCommit): TreeEntry[] {
  const entries = new Map<string, TreeEntry>();
  for (const file of commit.files.values()) {
    entries.set(file.path, { type: 'file', path: file.path, oid: file.oid, size: file.content.length, file });
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!entries.has(dir)) {
        entries.set(dir, { type: 'directory', path: dir, oid: createHash('sha1').update(`tree:${commit.sha}:${dir}`).digest('hex'), size: 0 });
      }
    }
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function lastModifiedOf(repo: StoredRepo): string {
  return repo.source.info?.lastModified ?? DEFAULT_LAST_MODIFIED;
}

/** The README's YAML front matter, with the repo's configured license taking precedence (as the Hub's cardData). */
export function cardDataOf(repo: StoredRepo, commit: StoredCommit): Record<string, unknown> {
  const readme = commit.files.get('README.md');
  let card: Record<string, unknown> = {};
  if (readme) {
    try {
      card = parseFrontMatter(readme.content.toString('utf8')) ?? {};
    } catch {
      card = {};
    }
  }
  const license = repo.source.info?.license;
  return license === undefined ? card : { ...card, license };
}

export function licenseOf(repo: StoredRepo, commit: StoredCommit): string | undefined {
  const license = cardDataOf(repo, commit)['license'];
  return typeof license === 'string' ? license : undefined;
}
