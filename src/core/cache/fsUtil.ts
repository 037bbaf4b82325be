import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MistudioError } from '../errors';
import { LAYOUT } from './paths';

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The errno code of an error or of the one ioError wrapped. */
export function wrappedErrnoCode(err: unknown): string | undefined {
  // A MistudioError's own `code` is ours ('Io'), not an errno.
  return errnoCode(err instanceof MistudioError ? err.cause : err);
}

export async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw ioError(`Cannot read ${p}`, err, p);
  }
}

export async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(p);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw ioError(`Cannot read ${p}`, err, p);
  }
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw ioError(`Cannot list ${dir}`, err, dir);
  }
}

/** Removes one file or symlink (never what a symlink points to); a missing entry is fine. */
export async function unlinkIfPresent(p: string): Promise<boolean> {
  try {
    await fs.unlink(p);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw ioError(`Cannot remove ${p}`, err, p);
  }
}

/** rmdir that tolerates "already gone" and "not empty" (someone put something there: keep it). */
export async function rmdirIfEmpty(dir: string): Promise<boolean> {
  try {
    await fs.rmdir(dir);
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw ioError(`Cannot remove folder ${dir}`, err, dir);
  }
}

export async function fsyncFile(p: string): Promise<void> {
  const handle = await fs.open(p, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename durable, as far as the folder can be synced at all; best effort. */
export async function fsyncDir(dir: string): Promise<void> {
  await syncFolder(nodeIo, dir).catch(() => undefined);
}

/** A fresh temp path directly in the repo folder: huggingface_hub's scan and the loaders never look there. */
export function tempPathIn(dir: string): string {
  return path.join(dir, `${LAYOUT.tempPrefix}${randomBytes(8).toString('hex')}${LAYOUT.tempSuffix}`);
}

export function isOurTempName(name: string): boolean {
  return name.startsWith(LAYOUT.tempPrefix) && name.endsWith(LAYOUT.tempSuffix);
}

/** The file operations an atomic replace needs: Node's, or the catalog's (its tests count writes and fill the disk). */
export interface AtomicWriteIo {
  open(file: string, flags: string): Promise<{ writeFile(data: Uint8Array): Promise<void>; sync(): Promise<void>; close(): Promise<void> }>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

const nodeIo: AtomicWriteIo = {
  open: (file, flags) => fs.open(file, flags),
  rename: (from, to) => fs.rename(from, to),
  unlink: (file) => fs.unlink(file),
};

/** What an atomic write writes: text (UTF-8), bytes, or text in chunks (a large listing, never one string). */
export type AtomicWriteData = string | Uint8Array | Iterable<string>;

export interface AtomicWriteOptions {
  /** The temp file, on the same file system as `dest` (a rename cannot cross them). */
  readonly tempPath: string;
  readonly io?: AtomicWriteIo;
  /** How a failure begins: "Cannot write <dest>" unless the caller words it for its users. */
  readonly failure?: string;
}

/**
 * Replaces `dest` with `data` so that a crash at any instant leaves the old content or the new, never half: write a
 * temp file, fsync it, rename it over `dest`, fsync the folder so the rename itself is durable. The one atomic write
 * of core: cache records, refs, tree listings and the catalog's image all go through it.
 */
export async function replaceFileAtomically(dest: string, data: AtomicWriteData, options: AtomicWriteOptions): Promise<void> {
  const io = options.io ?? nodeIo;
  const failure = options.failure ?? `Cannot write ${dest}`;
  const temp = options.tempPath;
  try {
    const handle = await openExclusive(io, temp);
    try {
      if (typeof data === 'string') await handle.writeFile(Buffer.from(data, 'utf8'));
      else if (data instanceof Uint8Array) await handle.writeFile(data);
      // Chunks in order: each writeFile continues where the previous one ended.
      else for (const chunk of data) await handle.writeFile(Buffer.from(chunk, 'utf8'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await io.rename(temp, dest);
  } catch (err) {
    await io.unlink(temp).catch(() => undefined);
    throw ioError(failure, err, dest);
  }
  try {
    await syncFolder(io, path.dirname(dest));
  } catch (err) {
    throw ioError(failure, err, dest);
  }
}

/** Writes `data` over `dest` atomically through a fresh temp file in `tempDir` (see replaceFileAtomically). */
export async function writeFileAtomic(dest: string, data: AtomicWriteData, tempDir: string): Promise<void> {
  await replaceFileAtomically(dest, data, { tempPath: tempPathIn(tempDir) });
}

/**
 * Created exclusively, so a link planted at the temp path in a shared folder is never written through. A file left
 * there by a dead process (a reused pid names the same catalog temp file) is removed — unlinking a link removes only
 * the link — and the open tried once more.
 */
async function openExclusive(io: AtomicWriteIo, temp: string): ReturnType<AtomicWriteIo['open']> {
  try {
    return await io.open(temp, 'wx');
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    await io.unlink(temp);
    return await io.open(temp, 'wx');
  }
}

/** Folder fsync, where there is one: Windows cannot open folders and some file systems cannot sync them. */
async function syncFolder(io: AtomicWriteIo, dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: Awaited<ReturnType<AtomicWriteIo['open']>>;
  try {
    handle = await io.open(dir, 'r');
  } catch (err) {
    if (['EISDIR', 'EPERM', 'EACCES'].includes(errnoCode(err) ?? '')) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!['EINVAL', 'ENOTSUP', 'EBADF'].includes(errnoCode(err) ?? '')) throw err;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Wraps a Node fs error as a typed one-line MistudioError; a full disk gets its own code so the UI can say so. */
export function ioError(message: string, err: unknown, p?: string): MistudioError {
  if (err instanceof MistudioError) return err;
  const code = errnoCode(err);
  const details = p === undefined ? {} : { path: p };
  if (code === 'ENOSPC' || code === 'EDQUOT') return new MistudioError('NoSpace', `${message}: the disk is full`, details, { cause: err });
  const reason = code ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
  return new MistudioError('Io', `${message} (${reason})`, details, { cause: err });
}

/**
 * The bytes of a regular file of at most `maxBytes`, for files others may have written (tree listings, holder
 * records): undefined when absent, a symlink (never followed where the OS can refuse it), not a file, or too big.
 */
/** The file's JSON, or undefined when it is missing, not a regular file, larger than maxBytes or not JSON. */
export async function readBoundedJson(p: string, maxBytes: number): Promise<unknown> {
  const bytes = await readBoundedFile(p, maxBytes);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function readBoundedFile(p: string, maxBytes: number): Promise<Buffer | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(p, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR' || code === 'EMLINK') return undefined;
    throw ioError(`Cannot read ${p}`, err, p);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const data = Buffer.alloc(st.size);
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await handle.read(data, filled, data.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return data.subarray(0, filled);
  } catch (err) {
    throw ioError(`Cannot read ${p}`, err, p);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
