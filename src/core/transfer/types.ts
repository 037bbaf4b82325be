import type { Dispatcher } from 'undici';
import type { RetryPolicy, ServerWaitListener } from '../net/retry';
import type { RepoRef } from '../repo';
import type { OpenPartialFile } from './partialFile';

/** A half-open byte range [start, end): `end` is the first byte NOT included. */
export type ByteRange = [start: number, end: number];

export interface ExpectedHash {
  /** sha256 for LFS files; git-sha1 = sha1("blob <size>\0" + bytes) for regular git files. */
  readonly algorithm: 'sha256' | 'git-sha1';
  readonly hex: string;
}

/** Overrides of the one retry policy (core/net/retry.ts); any progress on a part resets its attempt count. */
export type RetryOptions = Partial<RetryPolicy>;

export interface DownloadFileOptions {
  /** The Hub's resolve URL. */
  readonly url: string;
  /** Sent as `Authorization: Bearer` only to the origin of `url`, never to another origin after a redirect. */
  readonly token?: string;
  /**
   * The repo file this is, for error messages (gated, not found, rate limited) that name the repo and its page.
   * Without it they name the file and read the repo's page from the resolve URL.
   */
  readonly source?: { readonly endpoint: string; readonly ref: RepoRef; readonly revision: string };
  /** Extra request headers, e.g. user-agent. An `authorization` header here follows the same origin rule. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Where bytes accumulate across runs (blobs/<id>.incomplete). */
  readonly partialPath: string;
  /** The verified file is fsync'd and renamed here; it never appears unless verified. */
  readonly finalPath: string;
  /** Expected size in bytes (from the tree listing). */
  readonly size: number;
  /** Verified while streaming; undefined skips verification (verifyChecksums off). */
  readonly expectedHash?: ExpectedHash;
  /** What the catalog says is already in partialPath. Trusted only if the partial file is at least that long. */
  readonly resume?: { readonly doneRanges: ReadonlyArray<readonly [number, number]> };
  /**
   * Where to keep a journal of the ranges that landed in partialPath (e.g. blobs/<id>.incomplete.ranges), updated
   * after every write batch so a resume after a killed process loses at most the batch in flight. Read and merged
   * with `resume` on the next run (trusted only where the partial is long enough); deleted once the file is placed
   * or rejected. Undefined: no journal, resume relies on `resume` alone.
   */
  readonly rangeJournalPath?: string;
  /** Max parallel range requests for this file. Default 8. */
  readonly connections?: number;
  /** Parts are never smaller than this (small files use one request). Default 16 MiB. */
  readonly minPartBytes?: number;
  readonly signal?: AbortSignal;
  /**
   * Bytes that landed (positive) or were discarded (negative: a restart, or resume ranges that could not be
   * trusted). Invariant: claimed resume bytes + sum of all deltas = bytes currently in the partial; = size on success.
   */
  readonly onProgress?: (deltaBytes: number) => void;
  /** Ranges now safely in partialPath, sorted and merged; about once a second, on abort/failure and at the end. */
  readonly onCheckpoint?: (doneRanges: ByteRange[]) => void;
  readonly retry?: RetryOptions;
  /** No byte for this long → that request is aborted and retried from where it stopped. Default 30 s. */
  readonly stallTimeoutMs?: number;
  /**
   * A response slower than `minBytesPerSecond` over `windowMs` is cut and retried (without the fresh attempts other
   * progress earns); once attempts run out the download fails naming the slow host. Default 1 kB/s over 60 s; a
   * `minBytesPerSecond` of 0 turns it off.
   */
  readonly throughputFloor?: { readonly minBytesPerSecond: number; readonly windowMs: number };
  /** Told while a request waits because the server asked (a 429's RateLimit reset): the progress shows it. */
  readonly onServerWait?: ServerWaitListener;
  /** undici dispatcher (e.g. a ProxyAgent); default: a shared keep-alive Agent. */
  readonly dispatcher?: Dispatcher;
  /** Opens the partial file; tests inject failures (ENOSPC) here. Default: the real file system. */
  readonly openFile?: OpenPartialFile;
}

export interface DownloadResult {
  /** Bytes received and written by this call (including any a restart later discarded). */
  readonly bytesTransferred: number;
  /** Bytes kept from an earlier run that ended up in the final file. */
  readonly resumedBytes: number;
  /** The server ignored Range and bytes had to be discarded. */
  readonly restarted: boolean;
}
