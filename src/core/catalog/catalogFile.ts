import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode, replaceFileAtomically } from '../cache/fsUtil';
import { MistudioError, describeError } from '../errors';

/** An open file we read, write and make durable; node's FileHandle fits. */
export interface DurableFile {
  writeFile(data: Uint8Array): Promise<void>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<{ size: number; ino: number }>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

/** The file operations the catalog uses, injectable so tests can count writes or simulate a full disk. */
export interface CatalogFileSystem {
  readFile(file: string): Promise<Uint8Array>;
  open(file: string, flags: string): Promise<DurableFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
}

export const nodeFileSystem: CatalogFileSystem = {
  readFile: (file) => fsp.readFile(file),
  open: (file, flags) => fsp.open(file, flags),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
  readdir: (dir) => fsp.readdir(dir),
  mkdir: (dir, options) => fsp.mkdir(dir, options),
};

export function ioError(action: string, file: string, err: unknown): MistudioError {
  const code = errnoCode(err) === 'ENOSPC' || errnoCode(err) === 'EDQUOT' ? 'NoSpace' : 'Io';
  return new MistudioError(code, `${action} ${file}: ${describeError(err)}`, { path: file }, { cause: err });
}

/** The file's bytes, or null when there is no catalog yet (missing or zero length). */
export async function readCatalogBytes(fs: CatalogFileSystem, file: string): Promise<Uint8Array | null> {
  try {
    const bytes = await fs.readFile(file);
    return bytes.byteLength === 0 ? null : bytes;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw ioError('Cannot read the catalog', file, err);
  }
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/**
 * Cheap structural checks of a SQLite image, catching garbage and torn (truncated) files before SQLite sees them.
 * Returns why the image is unusable, or null when it looks whole.
 */
export function sqliteImageProblem(bytes: Uint8Array): string | null {
  if (bytes.byteLength < 100 || [...SQLITE_MAGIC].some((c, i) => bytes[i] !== c.charCodeAt(0))) {
    return 'not a SQLite database';
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return 'invalid SQLite page size';
  if (bytes.byteLength % pageSize !== 0) return 'truncated SQLite file';
  const changeCounter = view.getUint32(24);
  const headerPageCount = view.getUint32(28);
  const validFor = view.getUint32(92);
  // The header's page count is only authoritative when written by the same change as the counter.
  if (headerPageCount !== 0 && changeCounter === validFor && headerPageCount * pageSize > bytes.byteLength) {
    return 'truncated SQLite file';
  }
  return null;
}

/** "<name>.corrupt-<timestamp>", made unique; timestamps avoid ':' so the name is valid on Windows too. */
export async function moveAside(fs: CatalogFileSystem, file: string, now: Date): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const existing = new Set(await listDir(fs, path.dirname(file)));
  const base = `${path.basename(file)}.corrupt-${stamp}`;
  let name = base;
  for (let n = 1; existing.has(name); n++) name = `${base}-${n}`;
  const target = path.join(path.dirname(file), name);
  try {
    await fs.rename(file, target);
  } catch (err) {
    throw ioError('Cannot move the unreadable catalog aside:', file, err);
  }
  return target;
}

async function listDir(fs: CatalogFileSystem, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

let tempCounter = 0;

export function tempFileFor(file: string): string {
  tempCounter += 1;
  return `${file}.tmp-${process.pid}-${tempCounter}`;
}

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * Removes "<file>.tmp-<pid>-<n>" left by a process that died mid-save. Temp files of live processes are left
 * alone: another process (the CLI next to the extension) may be saving this very moment.
 */
export async function removeStaleTempFiles(fs: CatalogFileSystem, file: string): Promise<string[]> {
  const prefix = `${path.basename(file)}.tmp-`;
  const removed: string[] = [];
  for (const name of await listDir(fs, path.dirname(file))) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)-\d+$/.exec(name.slice(prefix.length));
    if (!match || isProcessAlive(Number(match[1]))) continue;
    const stale = path.join(path.dirname(file), name);
    try {
      await fs.unlink(stale);
      removed.push(stale);
    } catch {
      // Someone else removed it first, or we may not; either way it is not ours to worry about.
    }
  }
  return removed;
}

/** Replaces a catalog file (image or log header) atomically, its temp file named for removeStaleTempFiles. */
export async function writeAtomically(fs: CatalogFileSystem, file: string, data: Uint8Array): Promise<void> {
  await replaceFileAtomically(file, data, { tempPath: tempFileFor(file), io: fs, failure: `Cannot save the catalog to ${file}` });
}
