import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { promisify } from 'node:util';

/**
 * The operating system's own file lock, taken exactly where Python's `filelock.FileLock` takes it, so that a lock held
 * by huggingface_hub (or `hf download`, or another of our processes) is seen by us and ours by them:
 * - Linux, macOS, BSD: flock(2) on the lock file (filelock's UnixFileLock);
 * - Windows: a lock on the file's first byte (filelock's WindowsFileLock uses msvcrt.locking(fd, LK_NBLCK, 1), which is
 *   LockFile on byte 0; LockFileEx on the same byte conflicts with it).
 * Node has no flock, so the calls go through koffi (a maintained FFI whose npm packages carry prebuilt binaries for
 * every platform and Node-API version, so it loads in any Node and in VS Code's Electron without a compiler).
 */
export interface NativeLockApi {
  /** Opens (creating with `mode`) and locks without waiting: the held lock, 'busy', or 'unsupported' (no flock here). */
  tryLock(file: string, mode: number): NativeTryResult;
  /**
   * The same, with the open (which creates and truncates: milliseconds on a busy disk) and the other file calls off
   * the event loop; only the non-blocking lock call itself runs on it.
   */
  tryLockAsync(file: string, mode: number): Promise<NativeTryResult>;
}

export type NativeTryResult = NativeHeldLock | 'busy' | 'unsupported';

export interface NativeHeldLock {
  release(): void;
}

let loaded: NativeLockApi | Error | undefined;

/** The platform's lock calls, or the reason they cannot be had (an unsupported platform, a package left out). */
export function nativeLockApi(): NativeLockApi | Error {
  loaded ??= load();
  return loaded;
}

interface Koffi {
  load(name: string): { func(signature: string): (...args: unknown[]) => unknown; func(convention: string, signature: string): (...args: unknown[]) => unknown };
  errno(): number;
  os: { errno: Record<string, number> };
  struct(name: string, fields: Record<string, string>): unknown;
}

function load(): NativeLockApi | Error {
  let koffi: Koffi;
  try {
    // Resolved at run time, never bundled: the packaged extension and CLI carry it in dist/native (see esbuild.mjs);
    // from a checkout it is the one in node_modules.
    const requireHere = createRequire(__filename);
    const bundled = path.join(__dirname, 'native', 'koffi');
    koffi = (fs.existsSync(bundled) ? requireHere(bundled) : requireHere('koffi')) as Koffi;
  } catch (err) {
    return new Error(`koffi is not available: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return process.platform === 'win32' ? windowsLocks(koffi) : posixLocks(koffi);
  } catch (err) {
    return new Error(`Cannot bind the file-lock calls: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/** The C library names to try, most specific first. */
function libcNames(): string[] {
  switch (process.platform) {
    case 'darwin':
      return ['libSystem.B.dylib', '/usr/lib/libSystem.B.dylib'];
    case 'freebsd':
      return ['libc.so.7'];
    case 'openbsd':
      return ['libc.so'];
    default:
      // glibc, then musl (Alpine: the dynamic loader is the C library).
      return ['libc.so.6', `ld-musl-${process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch}.so.1`, 'libc.so'];
  }
}

function posixLocks(koffi: Koffi): NativeLockApi {
  let libc: ReturnType<Koffi['load']> | undefined;
  let lastError: unknown;
  for (const name of libcNames()) {
    try {
      libc = koffi.load(name);
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (!libc) throw lastError instanceof Error ? lastError : new Error('no C library found');
  const flock = libc.func('int flock(int fd, int operation)') as (fd: number, op: number) => number;
  const codes = koffi.os.errno;
  const wouldBlock = new Set([codes.EWOULDBLOCK, codes.EAGAIN].filter((c): c is number => c !== undefined));
  // No flock on this filesystem (some NFS, Lustre, FUSE): filelock then raises "use SoftFileLock instead".
  const unsupported = new Set([codes.ENOSYS, codes.ENOLCK, codes.EOPNOTSUPP, codes.ENOTSUP].filter((c): c is number => c !== undefined));
  const noFollow = fs.constants.O_NOFOLLOW ?? 0;
  const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | noFollow;
  /** flock on an open descriptor: the held lock (which closes `fd` on release), or why not (`fd` then closed). */
  const lockOpened = (file: string, fd: number): NativeTryResult => {
    if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      const errno = koffi.errno();
      fs.closeSync(fd);
      if (wouldBlock.has(errno)) return 'busy';
      if (unsupported.has(errno)) return 'unsupported';
      throw Object.assign(new Error(`flock(${file}) failed with errno ${errno}`), { code: errnoName(codes, errno) });
    }
    return releasableOnce(
      () => flock(fd, LOCK_UN),
      () => fs.closeSync(fd),
    );
  };
  /**
   * After the flock: a file unlinked between our open and our flock (a holder that deletes its lock file on release)
   * guards nothing, so the lock is let go ('busy': try again on a fresh file). `chmod` says whether filelock's fchmod
   * is still due — the umask took group write off a file we created.
   */
  const settle = (held: NativeHeldLock, st: fs.Stats, mode: number): { result: NativeTryResult; chmod: boolean } => {
    if (st.nlink === 0) {
      held.release();
      return { result: 'busy', chmod: false };
    }
    return { result: held, chmod: (st.mode & 0o777) !== mode };
  };
  // filelock: os.open(path, O_RDWR | O_CREAT | O_TRUNC [| O_NOFOLLOW], mode), flock, then fchmod to the same mode.
  // A failed fchmod is someone else's lock file in a shared cache: we may lock it, not chmod it.
  return {
    tryLock(file, mode) {
      const fd = fs.openSync(file, flags, mode);
      const held = lockOpened(file, fd);
      if (typeof held === 'string') return held;
      let st: fs.Stats;
      try {
        st = fs.fstatSync(fd);
      } catch (err) {
        held.release();
        throw err;
      }
      const { result, chmod } = settle(held, st, mode);
      if (chmod) {
        try {
          fs.fchmodSync(fd, mode);
        } catch {
          // See above: not ours to chmod.
        }
      }
      return result;
    },
    async tryLockAsync(file, mode) {
      const fd = await openAsync(file, flags, mode);
      const held = lockOpened(file, fd);
      if (typeof held === 'string') return held;
      let st: fs.Stats;
      try {
        st = await fstatAsync(fd);
      } catch (err) {
        held.release();
        throw err;
      }
      const { result, chmod } = settle(held, st, mode);
      if (chmod) await fchmodAsync(fd, mode).catch(() => undefined);
      return result;
    },
  };
}

// Raw descriptors (not FileHandles): the lock outlives this call and is released synchronously.
const openAsync = promisify(fs.open);
const fchmodAsync = promisify(fs.fchmod);
const fstatAsync = promisify(fs.fstat);

const GENERIC_READ = 0x80000000;
const GENERIC_WRITE = 0x40000000;
const FILE_SHARE_ALL = 0x1 | 0x2 | 0x4;
const OPEN_ALWAYS = 4;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const LOCKFILE_FAIL_IMMEDIATELY = 0x1;
const LOCKFILE_EXCLUSIVE_LOCK = 0x2;
const ERROR_LOCK_VIOLATION = 33;
const ERROR_IO_PENDING = 997;

function windowsLocks(koffi: Koffi): NativeLockApi {
  const kernel32 = koffi.load('kernel32.dll');
  koffi.struct('MISTUDIO_OVERLAPPED', { Internal: 'uintptr_t', InternalHigh: 'uintptr_t', Offset: 'uint32_t', OffsetHigh: 'uint32_t', hEvent: 'void *' });
  const createFile = kernel32.func('__stdcall', 'void * CreateFileW(str16 name, uint32_t access, uint32_t share, void *security, uint32_t disposition, uint32_t flags, void *template)') as (
    ...args: unknown[]
  ) => unknown;
  const lockFileEx = kernel32.func('__stdcall', 'int LockFileEx(void *file, uint32_t flags, uint32_t reserved, uint32_t low, uint32_t high, _Inout_ MISTUDIO_OVERLAPPED *overlapped)') as (
    ...args: unknown[]
  ) => number;
  const unlockFileEx = kernel32.func('__stdcall', 'int UnlockFileEx(void *file, uint32_t reserved, uint32_t low, uint32_t high, _Inout_ MISTUDIO_OVERLAPPED *overlapped)') as (
    ...args: unknown[]
  ) => number;
  const closeHandle = kernel32.func('__stdcall', 'int CloseHandle(void *handle)') as (handle: unknown) => number;
  const getLastError = kernel32.func('__stdcall', 'uint32_t GetLastError()') as () => number;
  const INVALID_HANDLE = -1n;
  const overlapped = (): Record<string, unknown> => ({ Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null });
  const api: NativeLockApi = {
    tryLockAsync: (file, mode) => Promise.resolve().then(() => api.tryLock(file, mode)),
    tryLock(file) {
      const handle = createFile(file, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_ALL, null, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, null);
      if (handle === null || handle === INVALID_HANDLE || handle === 0n) {
        const code = getLastError();
        throw Object.assign(new Error(`Cannot open the lock file ${file} (Windows error ${code})`), { code: code === 5 ? 'EACCES' : 'EIO' });
      }
      if (lockFileEx(handle, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, overlapped()) === 0) {
        const code = getLastError();
        closeHandle(handle);
        if (code === ERROR_LOCK_VIOLATION || code === ERROR_IO_PENDING) return 'busy';
        throw Object.assign(new Error(`LockFileEx(${file}) failed (Windows error ${code})`), { code: 'EIO' });
      }
      return releasableOnce(
        () => unlockFileEx(handle, 0, 1, 0, overlapped()),
        () => closeHandle(handle),
      );
    },
  };
  return api;
}

function errnoName(codes: Record<string, number>, errno: number): string {
  return Object.entries(codes).find(([, value]) => value === errno)?.[0] ?? `E${errno}`;
}

/** A held lock whose release unlocks and then always closes, once however often it is called. */
function releasableOnce(unlock: () => unknown, close: () => unknown): NativeHeldLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        unlock();
      } finally {
        close();
      }
    },
  };
}
