import * as fs from 'node:fs';
import * as os from 'node:os';
import { delay } from '../delay';
import { MistudioError, cancelled, describeError } from '../errors';
import { nativeLockApi, type NativeLockApi, type NativeTryResult } from './nativeLock';

/**
 * A lock held on a file, visible to every process on the machine (and to Python's filelock): the OS lock where the
 * filesystem has one, else a soft lock (the file's existence), as huggingface_hub falls back to on NFS or Lustre.
 */
export interface HeldLock {
  readonly file: string;
  /** True for a soft lock: held by the lock file's existence, released by deleting it. */
  readonly soft: boolean;
  release(): void;
}

export interface AcquireOptions {
  readonly signal?: AbortSignal;
  /** Give up with a MistudioError('Io') after this long; default: wait as long as it takes. */
  readonly timeoutMs?: number;
  /** Called once, when the lock was not free at the first try (to tell the user what we wait for). */
  readonly onWait?: () => void;
  /** Lock file mode; huggingface_hub uses 0o664 so users sharing a cache can wait on each other's locks. */
  readonly mode?: number;
  /** Polling interval bounds; filelock polls every 50 ms. */
  readonly minPollMs?: number;
  readonly maxPollMs?: number;
}

export const SHARED_LOCK_MODE = 0o664;

/** The process-wide choice of lock implementation; tests replace it to exercise the soft-lock path. */
export interface LockBackend {
  readonly native: NativeLockApi | Error;
}

const backend: { current: LockBackend | undefined } = { current: undefined };

function currentBackend(): LockBackend {
  backend.current ??= { native: nativeLockApi() };
  return backend.current;
}

/** For tests: force the soft lock (as on a filesystem without flock), or restore the default. */
export function setLockBackendForTests(next: LockBackend | undefined): void {
  backend.current = next;
  warnedNoNative = false;
}

let warnedNoNative = false;
let onFallbackWarning: ((message: string) => void) | undefined;

/** Where a one-time warning goes when OS locks are unavailable and soft locks are used instead. */
export function setLockWarningSink(sink: ((message: string) => void) | undefined): void {
  onFallbackWarning = sink;
}

/** One attempt: the lock, or undefined when someone else holds it. */
export function tryAcquireFileLock(file: string, mode: number = SHARED_LOCK_MODE): HeldLock | undefined {
  const native = nativeOrWarn();
  if (native === undefined) return trySoftLock(file, mode);
  let outcome: NativeTryResult;
  try {
    outcome = native.tryLock(file, mode);
  } catch (err) {
    throw lockError(file, err);
  }
  return heldOrNot(file, mode, outcome);
}

/** The same attempt with the lock file's creation off the event loop (a download takes one lock per file). */
export async function tryAcquireFileLockAsync(file: string, mode: number = SHARED_LOCK_MODE): Promise<HeldLock | undefined> {
  const native = nativeOrWarn();
  if (native === undefined) return trySoftLock(file, mode);
  let outcome: NativeTryResult;
  try {
    outcome = await native.tryLockAsync(file, mode);
  } catch (err) {
    throw lockError(file, err);
  }
  return heldOrNot(file, mode, outcome);
}

function nativeOrWarn(): NativeLockApi | undefined {
  const { native } = currentBackend();
  if (!(native instanceof Error)) return native;
  if (!warnedNoNative) {
    warnedNoNative = true;
    onFallbackWarning?.(`OS file locks are unavailable (${native.message}); using lock files instead, which Python's filelock does not see`);
  }
  return undefined;
}

function heldOrNot(file: string, mode: number, outcome: NativeTryResult): HeldLock | undefined {
  if (outcome === 'busy') return undefined;
  if (outcome === 'unsupported') return trySoftLock(file, mode);
  return { file, soft: false, release: () => outcome.release() };
}

function lockError(file: string, err: unknown): MistudioError {
  return new MistudioError('Io', `Cannot lock ${file}: ${describeError(err)}`, { path: file }, { cause: err });
}

/**
 * Waits for the lock, polling as filelock does (there is no portable way to wait on flock without blocking a
 * thread), with a growing interval so a long wait (another process downloading 10 GB) costs almost nothing.
 */
export async function acquireFileLock(file: string, options: AcquireOptions = {}): Promise<HeldLock> {
  const mode = options.mode ?? SHARED_LOCK_MODE;
  const started = Date.now();
  let pollMs = options.minPollMs ?? 5;
  const maxPollMs = options.maxPollMs ?? 250;
  let told = false;
  for (;;) {
    if (options.signal?.aborted) throw cancelled();
    const held = await tryAcquireFileLockAsync(file, mode);
    if (held) return held;
    if (!told) {
      told = true;
      options.onWait?.();
    }
    if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) {
      throw new MistudioError('Io', `Timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for the lock ${file}: another process holds it`, { path: file });
    }
    await delay(pollMs, options.signal);
    pollMs = Math.min(maxPollMs, pollMs * 2);
  }
}

/**
 * filelock's SoftFileLock: the lock is the file's existence (O_CREAT | O_EXCL), released by deleting it. We also
 * write who holds it, so a lock left by one of our processes that died on this host can be recognised and broken;
 * filelock writes nothing, and an empty soft lock is never broken.
 */
function trySoftLock(file: string, mode: number): HeldLock | undefined {
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_TRUNC | (fs.constants.O_NOFOLLOW ?? 0);
  let fd: number;
  try {
    fd = fs.openSync(file, flags, mode);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST') throw new MistudioError('Io', `Cannot lock ${file}: ${describeError(err)}`, { path: file }, { cause: err });
    if (!breakIfAbandoned(file)) return undefined;
    return trySoftLock(file, mode);
  }
  try {
    fs.writeSync(fd, `${process.pid}@${os.hostname()}\n`);
  } catch {
    // Only a hint for breaking abandoned locks; the lock holds without it.
  }
  let released = false;
  return {
    file,
    soft: true,
    release() {
      if (released) return;
      released = true;
      fs.closeSync(fd);
      try {
        fs.unlinkSync(file);
      } catch {
        // Already gone: that is what releasing means.
      }
    },
  };
}

function breakIfAbandoned(file: string): boolean {
  let owner: string;
  try {
    owner = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return false;
  }
  const match = /^(\d+)@(.+)$/.exec(owner);
  if (!match || match[2] !== os.hostname() || Number(match[1]) === process.pid || processAlive(Number(match[1]))) return false;
  try {
    fs.unlinkSync(file);
  } catch {
    // Someone else broke it first.
  }
  return true;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}
