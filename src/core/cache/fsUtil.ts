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

/** Makes a rename durable. Windows cannot open folders for fsync, and some filesystems refuse it: best effort. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Durability of the folder entry is a bonus; the data itself was already synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A fresh temp path directly in the repo folder: huggingface_hub's scan and the loaders never look there. */
export function tempPathIn(dir: string): string {
  return path.join(dir, `${LAYOUT.tempPrefix}${randomBytes(8).toString('hex')}${LAYOUT.tempSuffix}`);
}

export function isOurTempName(name: string): boolean {
  return name.startsWith(LAYOUT.tempPrefix) && name.endsWith(LAYOUT.tempSuffix);
}

/** Writes `data` to a temp file in `tempDir`, fsyncs it and renames it over `dest`, so readers see old or new, never half. */
export async function writeFileAtomic(dest: string, data: string | Uint8Array, tempDir: string): Promise<void> {
  const temp = tempPathIn(tempDir);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, dest);
  } catch (err) {
    await fs.unlink(temp).catch(() => undefined);
    throw ioError(`Cannot write ${dest}`, err, dest);
  }
  await fsyncDir(path.dirname(dest));
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
