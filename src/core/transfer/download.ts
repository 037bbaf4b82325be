import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Dispatcher } from 'undici';
import { repoUrl } from '../repo';
import { MistudioError, cancelled, describeError, isMistudioError } from '../errors';
import { httpError, networkError, type RequestContext } from '../net/httpErrors';
import { networkFailureOf } from '../net/networkErrors';
import { describeCap, describeDuration } from '../net/limits';
import { resolveRetryPolicy, retryDelayMs, waitBeforeRetry, type RetryPolicy } from '../net/retry';
import { sharedTransferAgent } from './agent';
import { fileSystemError, renameWithRetry } from './fileErrors';
import { abandonBody, fileLabel, headerValue, openResponse, parseContentRange, repoPage, transientFromNetworkError, type OpenResponse } from './http';
import { validateOptions } from './options';
import { openPartialFile, type PartialFile, type PartialStart } from './partialFile';
import { PrefixHasher } from './prefixHasher';
import { RangeJournalWriter, readRangeJournal, removeRangeJournal } from './rangeJournal';
import { RangeSet, claimedBytes, planParts, validRanges } from './ranges';
import { StallWatchdog, ThroughputFloor, linkAbort, type LinkedAbort } from './signals';
import { TransientError } from './transientError';
import { WriteBehind } from './writeBehind';
import type { ByteRange, DownloadFileOptions, DownloadResult } from './types';

const DEFAULT_CONNECTIONS = 8;
const DEFAULT_MIN_PART_BYTES = 16 * 1024 * 1024;
const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** The default throughput floor: 1 kB/s over a minute (a trickle under the stall timeout is a slow-loris). */
const DEFAULT_MIN_BYTES_PER_SECOND = 1000;
const DEFAULT_THROUGHPUT_WINDOW_MS = 60_000;
const CHECKPOINT_INTERVAL_MS = 1_000;
/**
 * Received bytes one response may queue for the disk before reading pauses (written as one batch). A single stream
 * gets the whole budget (about 2x its throughput over waiting on each write); parallel ranges share it, at least
 * 512 KiB each, so 8 ranges queue 4 MiB instead of 16 and leave far less garbage behind (bench: peak RSS −50 MB).
 */
const WRITE_QUEUE_BUDGET_BYTES = 2 * 1024 * 1024;
const MIN_WRITE_QUEUE_BYTES = 512 * 1024;

/**
 * Downloads one file into `partialPath` — resuming what an earlier run left, in parallel ranges when large, hashing
 * as bytes land — and, once size and hash check out, fsyncs it and renames it to `finalPath`.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadResult> {
  validateOptions(options);
  if (options.signal?.aborted) throw cancelled();
  const label = fileLabel(options.url);
  // Nothing to resume from (no bytes the caller kept, no range journal to read): the partial starts empty.
  const callerKeepsNothing = options.resume === undefined || options.resume.doneRanges.length === 0;
  const start: PartialStart = callerKeepsNothing && options.rangeJournalPath === undefined ? 'empty' : 'keep';
  let file: PartialFile;
  try {
    const open = options.openFile ?? openPartialFile;
    file = await makingFolderIfMissing(path.dirname(options.partialPath), () => open(options.partialPath, start));
  } catch (err) {
    throw fileSystemError(err, label, options.partialPath);
  }
  const transfer = new FileTransfer(options, file, label, start);
  try {
    return await transfer.run();
  } finally {
    await transfer.closeFile();
  }
}

/** Runs `op`, and once more after making `folder` if it failed for want of it (the cache's blobs/ almost always exists). */
async function makingFolderIfMissing<T>(folder: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
    await fs.mkdir(folder, { recursive: true });
    return op();
  }
}

interface Part {
  /** Next byte to receive (bytes before it are written or queued for writing). */
  pos: number;
  /** First byte not to fetch; lowered when another worker takes over the tail. */
  end: number;
}

interface Round {
  readonly abort: LinkedAbort;
  readonly queue: Part[];
  readonly active: Set<Part>;
  readonly gate: Promise<void>;
  openGate(): void;
  failure: unknown;
}

/** Thrown when a range request gets a 200 while other parts are mid-flight: the round restarts single-stream. */
class RangeIgnoredError extends Error {}

class FileTransfer {
  private readonly done = new RangeSet();
  private readonly master: LinkedAbort;
  private readonly retry: RetryPolicy;
  private readonly connections: number;
  private readonly minPartBytes: number;
  private readonly stallTimeoutMs: number;
  private readonly minBytesPerSecond: number;
  private readonly throughputWindowMs: number;
  private readonly writeQueueBytes: number;
  private readonly dispatcher: Dispatcher;
  private readonly credentialOrigin: string;
  private readonly authorization: string | undefined;
  private readonly requestHeaders: Record<string, string>;
  private hasher: PrefixHasher | undefined;
  /** Landed ranges kept current on disk for a resume after a kill (options.rangeJournalPath). */
  private journal: RangeJournalWriter | undefined;
  /** Where the resolve URL redirected last time (the CDN), so parallel parts do not each ask the Hub again. */
  private rememberedUrl: string | undefined;
  /** Some request of this transfer got an answer: from then on an unreachable host is a drop-out, worth retrying. */
  private hostAnswered = false;
  private singleStream = false;
  private restarted = false;
  private bytesTransferred = 0;
  private resumedBytes = 0;
  private lastCheckpointAt = Date.now();
  private fileClosed = false;

  constructor(
    private readonly options: DownloadFileOptions,
    private readonly file: PartialFile,
    private readonly label: string,
    private readonly start: PartialStart,
  ) {
    this.master = linkAbort(options.signal);
    this.retry = resolveRetryPolicy(options.retry);
    this.connections = Math.max(1, Math.floor(options.connections ?? DEFAULT_CONNECTIONS));
    this.minPartBytes = Math.max(1, Math.floor(options.minPartBytes ?? DEFAULT_MIN_PART_BYTES));
    this.stallTimeoutMs = Math.max(1, options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
    this.minBytesPerSecond = Math.max(0, options.throughputFloor?.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND);
    this.throughputWindowMs = Math.max(1, options.throughputFloor?.windowMs ?? DEFAULT_THROUGHPUT_WINDOW_MS);
    this.writeQueueBytes = Math.max(MIN_WRITE_QUEUE_BYTES, Math.floor(WRITE_QUEUE_BUDGET_BYTES / this.connections));
    this.dispatcher = options.dispatcher ?? sharedTransferAgent();
    this.credentialOrigin = new URL(options.url).origin;

    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    let authorization: string | undefined;
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.toLowerCase() === 'authorization') authorization = value;
      else headers[name.toLowerCase()] = value;
    }
    this.requestHeaders = headers;
    this.authorization = options.token !== undefined && options.token !== '' ? `Bearer ${options.token}` : authorization;
  }

  async run(): Promise<DownloadResult> {
    const { expectedHash, size } = this.options;
    try {
      await this.loadResumeState();
      if (expectedHash !== undefined) {
        this.hasher = new PrefixHasher(expectedHash, size, this.file, this.done);
        this.hasher.startCatchUpIfNeeded(); // seeds the hash from the kept prefix, once
      }
      await this.fetchMissing();
      await this.settleHash();
    } catch (err) {
      await this.hasher?.idle();
      // The caller persists this checkpoint to resume later, so make the bytes it names durable first — except on
      // cancel/pause, which must return at once (an fsync of gigabytes can take seconds; the hash still guards).
      if (!this.fileClosed && !this.master.signal.aborted) await this.file.sync().catch(() => undefined);
      await this.journal?.flush();
      this.checkpoint(true);
      throw this.finalError(err);
    } finally {
      this.master.dispose();
    }
    await this.verifyAndPlace();
    return { bytesTransferred: this.bytesTransferred, resumedBytes: this.resumedBytes, restarted: this.restarted };
  }

  async closeFile(): Promise<void> {
    await this.journal?.close();
    if (this.fileClosed) return;
    this.fileClosed = true;
    await this.file.close().catch(() => undefined);
  }

  // ── resume ────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Trusts the caller's ranges, and those the range journal recorded after them, only if the partial file really is
   * long enough for each; what cannot be trusted is dropped (all of it when the caller's ranges fail: start clean).
   */
  private async loadResumeState(): Promise<void> {
    const { size, resume, rangeJournalPath } = this.options;
    const claimed = resume !== undefined ? claimedBytes(resume.doneRanges) : 0;
    const ranges = resume !== undefined ? validRanges(resume.doneRanges, size) : undefined;
    const journalRanges = rangeJournalPath !== undefined ? await readRangeJournal(rangeJournalPath, size) : [];
    const fileSize = this.start === 'empty' ? 0 : await this.fileOp(() => this.file.size());
    const reaches = (rs: readonly ByteRange[]): boolean => fileSize >= Math.max(0, ...rs.map(([, end]) => end));
    const callerTrusted = ranges !== undefined && reaches(ranges);
    // Malformed or too-long caller ranges mean the partial is not what we think: start clean, journal included.
    const callerSound = resume === undefined || callerTrusted;
    const journalTrusted = journalRanges.length > 0 && reaches(journalRanges) && callerSound;
    if (callerTrusted) for (const [start, end] of ranges) this.done.add(start, end);
    if (journalTrusted) for (const [start, end] of journalRanges) this.done.add(start, end);
    if (!this.done.isEmpty) {
      if (fileSize > size) await this.fileOp(() => this.file.truncate(size));
    } else if (fileSize > 0) {
      await this.fileOp(() => this.file.truncate(0));
    }
    this.resumedBytes = this.done.coveredBytes;
    // Negative when the journal knew more than the caller: those bytes count as landed.
    const untrusted = claimed - this.done.coveredBytes;
    if (untrusted !== 0) this.reportProgress(-untrusted);
    if (rangeJournalPath !== undefined) {
      // A journal that names bytes the partial does not have belongs to an older partial: it must not be extended.
      if (journalRanges.length > 0 && !journalTrusted) await removeRangeJournal(rangeJournalPath).catch(() => undefined);
      this.journal = new RangeJournalWriter(rangeJournalPath, size, this.done.toArray(), () => this.done.toArray());
    }
  }

  // ── rounds of parallel parts ─────────────────────────────────────────────────────────────────────────────

  private async fetchMissing(): Promise<void> {
    for (;;) {
      if (this.master.signal.aborted) throw cancelled();
      const gaps = this.done.missing(this.options.size);
      if (gaps.length === 0) return;
      const parts: ByteRange[] = this.singleStream ? [[0, this.options.size]] : planParts(gaps, this.connections, this.minPartBytes);
      try {
        await this.runRound(parts);
      } catch (err) {
        if (!(err instanceof RangeIgnoredError)) throw err;
        await this.discardAll();
        this.singleStream = true;
      }
    }
  }

  /**
   * One worker sends the first request alone; the others start once it has proven that ranges work (and has
   * learnt the CDN URL). Workers take parts from the queue, then split the largest remaining part in two.
   */
  private async runRound(ranges: ByteRange[]): Promise<void> {
    let openGate = (): void => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const round: Round = {
      abort: linkAbort(this.master.signal),
      queue: ranges.map(([pos, end]) => ({ pos, end })),
      active: new Set(),
      gate,
      openGate,
      failure: undefined,
    };
    const workerCount = this.singleStream ? 1 : Math.min(this.connections, ranges.length);
    const workers: Promise<void>[] = [];
    for (let i = 0; i < workerCount; i++) workers.push(this.runWorker(round, i === 0));
    try {
      await Promise.all(workers);
    } finally {
      round.abort.dispose();
    }
    if (round.failure !== undefined) throw round.failure;
  }

  private async runWorker(round: Round, first: boolean): Promise<void> {
    try {
      if (!first) await round.gate;
      for (;;) {
        if (round.abort.signal.aborted) return;
        const part = round.queue.shift() ?? this.splitLargestPart(round);
        if (part === undefined) return;
        round.active.add(part);
        try {
          await this.runPart(part, round);
        } finally {
          round.active.delete(part);
        }
      }
    } catch (err) {
      round.failure ??= err;
      round.abort.controller.abort();
    } finally {
      if (first) round.openGate();
    }
  }

  private splitLargestPart(round: Round): Part | undefined {
    if (this.singleStream) return undefined;
    let victim: Part | undefined;
    for (const part of round.active) {
      if (victim === undefined || part.end - part.pos > victim.end - victim.pos) victim = part;
    }
    if (victim === undefined) return undefined;
    const remaining = victim.end - victim.pos;
    if (remaining < 2 * this.minPartBytes) return undefined;
    const middle = victim.pos + Math.floor(remaining / 2);
    const tail: Part = { pos: middle, end: victim.end };
    victim.end = middle;
    return tail;
  }

  /** Fetches one part to its end, retrying from wherever it stopped. */
  private async runPart(part: Part, round: Round): Promise<void> {
    const signal = round.abort.signal;
    let failures = 0;
    while (part.pos < part.end) {
      if (signal.aborted) return;
      const startPos = part.pos;
      try {
        await this.fetchOnce(part, round);
        if (part.pos === startPos && part.pos < part.end) throw new TransientError('the server sent no data');
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof TransientError && err.detail.httpFailure !== undefined) this.hostAnswered = true;
        const transient = err instanceof TransientError ? err : transientFromNetworkError(err, this.hostAnswered);
        if (transient === undefined) throw err;
        if (transient.detail.immediate) this.rememberedUrl = undefined;
        if (this.singleStream) {
          // Without Range support the only way to continue is from byte 0; progress does not earn more attempts.
          if (part.pos > 0) {
            await this.discardAll();
            part.pos = 0;
          }
        } else if (part.pos > startPos && transient.detail.tooSlow === undefined) {
          // Progress earns fresh attempts — but not a trickle under the floor, or a slow-loris would never end.
          failures = 0;
        }
        failures++;
        if (failures >= this.retry.maxAttempts) throw this.retriesExhausted(transient, failures);
        const { serverWaitMs, rateLimited, host } = transient.detail;
        const notice = serverWaitMs !== undefined && host !== undefined ? { rateLimited: rateLimited === true, host } : undefined;
        await waitBeforeRetry(transient.detail.immediate ? 0 : retryDelayMs(failures, serverWaitMs, this.retry), signal, notice, this.options.onServerWait);
      }
    }
  }

  /** One request for the part's remaining bytes, streamed to disk at the right offsets. */
  private async fetchOnce(part: Part, round: Round): Promise<void> {
    const { size } = this.options;
    const attempt = linkAbort(round.abort.signal);
    const stall = new TransientError(`no data for ${Math.round(this.stallTimeoutMs / 1000)} s`);
    const watchdog = new StallWatchdog(this.stallTimeoutMs, () => attempt.controller.abort(stall));
    const url = this.rememberedUrl ?? this.options.url;
    const range: ByteRange | undefined = part.pos === 0 && part.end === size ? undefined : [part.pos, part.end];
    let response: OpenResponse | undefined;
    let writer: WriteBehind | undefined;
    let floor: ThroughputFloor | undefined;
    try {
      response = await openResponse({
        url,
        credentialOrigin: this.credentialOrigin,
        authorization: this.authorization,
        headers: this.requestHeaders,
        range,
        dispatcher: this.dispatcher,
        signal: attempt.signal,
        label: this.label,
        context: (answeredBy) => this.requestContext(answeredBy),
        fromRememberedUrl: url !== this.options.url,
      });
      this.hostAnswered = true;
      watchdog.touch();
      if (this.rememberedUrl === undefined && response.finalUrl !== this.options.url) this.rememberedUrl = response.finalUrl;

      const announcedEnd = await this.acceptResponse(response, part, range, round);
      round.openGate();
      const requestStart = part.pos;
      writer = new WriteBehind(part.pos, (position, chunks, bytes) => this.land(position, chunks, bytes), this.writeQueueBytes);
      const host = new URL(response.finalUrl).origin;
      floor = new ThroughputFloor(this.minBytesPerSecond, this.throughputWindowMs, (bytes, ms) => {
        const tooSlow = { host, bytes, windowMs: ms, minBytesPerSecond: this.minBytesPerSecond };
        attempt.controller.abort(new TransientError(`${host} sent ${bytes} B in ${describeDuration(ms)}`, { tooSlow }));
      });

      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        watchdog.touch();
        floor.add(chunk.length);
        if (part.pos + chunk.length > announcedEnd) {
          throw new MistudioError('Http', `Download of ${this.label} failed: the server sent more bytes than announced`);
        }
        const piece = part.pos + chunk.length > part.end ? chunk.subarray(0, part.end - part.pos) : chunk;
        if (piece.length > 0) {
          part.pos += piece.length;
          floor.pause();
          await writer.push(piece);
          floor.resume();
        }
        watchdog.touch();
        if (part.pos >= part.end && part.end < announcedEnd) break; // the tail now belongs to another worker
      }
      await writer.flush();
      const expectedEnd = Math.min(part.end, announcedEnd);
      if (part.pos < expectedEnd) {
        throw new TransientError(`connection closed early (${part.pos - requestStart} of ${expectedEnd - requestStart} bytes)`);
      }
    } catch (err) {
      // Bytes already received are still written (and kept) before the attempt ends; a disk error outranks the rest.
      const writeFailure = await writer?.settle();
      if (writeFailure !== undefined) throw writeFailure;
      if (attempt.signal.aborted && !round.abort.signal.aborted) throw attempt.signal.reason instanceof TransientError ? attempt.signal.reason : stall;
      throw err;
    } finally {
      watchdog.stop();
      floor?.stop();
      attempt.dispose();
      if (response !== undefined) abandonBody(response.body);
    }
  }

  /** Checks status and Content-Range; returns the absolute end of the bytes this response will carry. */
  private async acceptResponse(response: OpenResponse, part: Part, range: ByteRange | undefined, round: Round): Promise<number> {
    const { size } = this.options;
    if (response.status === 206) {
      const contentRange = parseContentRange(headerValue(response.headers, 'content-range'));
      const askedEnd = range?.[1] ?? size;
      if (contentRange === undefined || contentRange.start !== part.pos || contentRange.end >= askedEnd) {
        throw new MistudioError('Http', `Download of ${this.label} failed: the server answered bytes ${headerValue(response.headers, 'content-range') ?? '(none)'} to a request for ${part.pos}-${askedEnd - 1}`);
      }
      if (contentRange.total !== undefined && contentRange.total !== size) throw this.sizeChanged(contentRange.total);
      return contentRange.end + 1;
    }

    const contentLength = headerValue(response.headers, 'content-length');
    if (contentLength !== undefined && Number(contentLength) !== size) throw this.sizeChanged(Number(contentLength));
    if (range !== undefined) {
      // The server ignored Range and is sending the whole file from byte 0.
      if (round.active.size > 1) throw new RangeIgnoredError();
      round.queue.length = 0;
      this.singleStream = true;
      if (!this.done.isEmpty) await this.discardAll();
      part.pos = 0;
      part.end = size;
    }
    return size;
  }

  // ── bytes on disk ───────────────────────────────────────────────────────────────────────────────────────

  private async land(position: number, chunks: readonly Buffer[], bytes: number): Promise<void> {
    try {
      if (chunks.length === 1) await this.file.write(chunks[0]!, position);
      else if (this.file.writev) await this.file.writev(chunks, position);
      else await this.file.write(Buffer.concat(chunks, bytes), position);
    } catch (err) {
      throw fileSystemError(err, this.label, this.options.partialPath);
    }
    this.bytesTransferred += bytes;
    const added = this.done.add(position, position + bytes);
    this.journal?.record(position, position + bytes);
    if (added > 0) this.reportProgress(added);
    this.hasher?.landed(position, ...chunks);
    this.checkpoint(false);
  }

  /** Truncates the partial and forgets every byte: the server cannot resume, so start from byte 0. */
  private async discardAll(): Promise<void> {
    await this.hasher?.reset();
    await this.fileOp(() => this.file.truncate(0));
    this.journal?.reset();
    const lost = this.done.coveredBytes;
    this.done.clear();
    this.restarted = true;
    this.resumedBytes = 0;
    if (lost > 0) this.reportProgress(-lost);
    this.checkpoint(true);
  }

  private async settleHash(): Promise<void> {
    try {
      await this.hasher?.settle();
    } catch (err) {
      throw isMistudioError(err) ? err : fileSystemError(err, this.label, this.options.partialPath);
    }
  }

  private async verifyAndPlace(): Promise<void> {
    const { size, expectedHash, partialPath, finalPath } = this.options;
    const actualSize = await this.fileOp(() => this.file.size());
    if (!this.done.covers(0, size) || actualSize !== size) {
      await this.rejectPartial(`Size mismatch for ${this.label}: expected ${size} bytes, got ${actualSize}`);
    }
    if (this.hasher !== undefined && expectedHash !== undefined) {
      const actual = this.hasher.digestHex();
      const expected = expectedHash.hex.toLowerCase();
      if (this.hasher.hashedBytes !== size || actual !== expected) {
        await this.rejectPartial(`Checksum mismatch for ${this.label}: expected ${expectedHash.algorithm} ${expected}, got ${actual}`);
      }
    }
    try {
      await this.file.sync();
      await this.file.close();
      this.fileClosed = true;
      // Gone before the rename, so a kill in between never leaves a journal beside a finished blob.
      await this.journal?.discard();
      await makingFolderIfMissing(path.dirname(finalPath), () => renameWithRetry(partialPath, finalPath));
    } catch (err) {
      throw fileSystemError(err, this.label, finalPath);
    }
    this.checkpoint(true);
  }

  /** A verification failure: the bad bytes are deleted (never placed) and the caller learns nothing is kept. */
  private async rejectPartial(message: string): Promise<never> {
    await this.journal?.discard();
    await this.closeFile();
    await fs.rm(this.options.partialPath, { force: true });
    const lost = this.done.coveredBytes;
    this.done.clear();
    if (lost > 0) this.reportProgress(-lost);
    this.checkpoint(true);
    throw new MistudioError('ChecksumMismatch', message, { path: this.options.finalPath });
  }

  private async fileOp<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw fileSystemError(err, this.label, this.options.partialPath);
    }
  }

  // ── reporting ───────────────────────────────────────────────────────────────────────────────────────────

  private reportProgress(delta: number): void {
    try {
      this.options.onProgress?.(delta);
    } catch {
      // A broken progress listener must not break the transfer.
    }
  }

  private checkpoint(force: boolean): void {
    const listener = this.options.onCheckpoint;
    if (listener === undefined) return;
    const now = Date.now();
    if (!force && now - this.lastCheckpointAt < CHECKPOINT_INTERVAL_MS) return;
    this.lastCheckpointAt = now;
    try {
      listener(this.done.toArray());
    } catch {
      // Same as progress: the caller's persistence problem is not a transfer failure.
    }
  }

  private finalError(err: unknown): Error {
    if (this.options.signal?.aborted) return cancelled();
    if (err instanceof MistudioError) return err;
    if (err instanceof TransientError) return this.retriesExhausted(err, 1);
    const network = networkFailureOf(err);
    if (network !== undefined) return networkError(network.reason, this.requestContext(this.lastUrl()), err);
    return new MistudioError('Http', `Download of ${this.label} failed: ${describeError(err)}`, {}, { cause: err });
  }

  private retriesExhausted(err: TransientError, attempts: number): MistudioError {
    const context = { ...this.requestContext(this.lastUrl()), attempts };
    if (err.detail.httpFailure !== undefined) return httpError(err.detail.httpFailure, context);
    if (err.detail.network !== undefined) return networkError(err.detail.network.reason, context, err);
    const slow = err.detail.tooSlow;
    if (slow !== undefined) {
      const minimum = `${describeCap(slow.minBytesPerSecond)}/s`;
      return new MistudioError('Http', `Download of ${this.label} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${slow.host} sent ${slow.bytes} B in ${describeDuration(slow.windowMs)}, slower than the minimum of ${minimum}`, {}, { cause: err });
    }
    const tries = `after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    return new MistudioError('Http', `Download of ${this.label} failed ${tries}: ${err.message}`, {}, { cause: err });
  }

  /** The URL a failure most likely came from: the CDN once one answered, else the resolve URL. */
  private lastUrl(): URL {
    return new URL(this.rememberedUrl ?? this.options.url);
  }

  /**
   * What an error is about: the host that answered (the configured endpoint when it is the Hub's), the repo (given,
   * or its page read from the resolve URL), the file and this download as the action.
   */
  private requestContext(answeredBy: URL): RequestContext {
    const source = this.options.source;
    const fromHub = source !== undefined && answeredBy.origin === new URL(source.endpoint).origin;
    const page = repoPage(this.options.url);
    return {
      endpoint: fromHub ? source.endpoint : answeredBy.origin,
      hasToken: this.authorization !== undefined,
      path: this.label,
      action: `Download of ${this.label}`,
      ...(source !== undefined ? { ref: source.ref, revision: source.revision, repoPage: repoUrl(source.endpoint, source.ref) } : page !== undefined ? { repoPage: page } : {}),
    };
  }

  private sizeChanged(reported: number): MistudioError {
    return new MistudioError('Http', `Server reports ${reported} bytes for ${this.label}, expected ${this.options.size}: the file changed on the Hub`);
  }
}
