import { constants, promises as fs } from 'node:fs';
import { RangeSet } from './ranges';
import type { ByteRange } from './types';

/**
 * A per-partial record of the byte ranges that have landed in the partial file, current to within the write batch
 * in flight — so a process killed outright (SIGKILL, a crash) resumes from nearly where it stopped, where the
 * catalog's checkpoint may be over a second old.
 *
 * Layout: a 32-byte header (magic, file size, version) followed by 32-byte records, each [start, end) as two
 * little-endian u64 followed by the bitwise complement of those 16 bytes, so a torn or zero-filled record is
 * recognised and skipped. Records only ever name bytes already written, so any subset of them is true: a reader
 * keeps every valid record and ignores a torn tail.
 *
 * No fsync, on purpose: a killed process leaves its writes in the page cache, which the kernel still writes out;
 * only an OS crash or power loss can lose them, and then the whole-file hash at the end rejects a bad partial.
 */

const MAGIC = Buffer.from('MISTUDIO RANGES\n', 'ascii');
const VERSION = 1n;
export const RANGE_JOURNAL_HEADER_BYTES = 32;
export const RANGE_JOURNAL_RECORD_BYTES = 32;
/** Past this many records the journal is rewritten as the merged ranges (a few KiB instead of a growing log). */
const COMPACT_AFTER_RECORDS = 4096;
/** A journal larger than this is not ours (or is damaged beyond use): it is ignored rather than read. */
const MAX_JOURNAL_BYTES = RANGE_JOURNAL_HEADER_BYTES + 4 * COMPACT_AFTER_RECORDS * RANGE_JOURNAL_RECORD_BYTES;

/**
 * The ranges a journal records for a file of `size` bytes, sorted and merged; empty when there is no journal, it
 * belongs to another size or is not a journal at all. Torn or damaged records are skipped.
 */
export async function readRangeJournal(journalPath: string, size: number): Promise<ByteRange[]> {
  let bytes: Buffer;
  try {
    const st = await fs.stat(journalPath);
    if (!st.isFile() || st.size > MAX_JOURNAL_BYTES) return [];
    bytes = await fs.readFile(journalPath);
  } catch {
    return [];
  }
  if (bytes.length < RANGE_JOURNAL_HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return [];
  if (bytes.readBigUInt64LE(16) !== BigInt(size) || bytes.readBigUInt64LE(24) !== VERSION) return [];
  const set = new RangeSet();
  for (let at = RANGE_JOURNAL_HEADER_BYTES; at + RANGE_JOURNAL_RECORD_BYTES <= bytes.length; at += RANGE_JOURNAL_RECORD_BYTES) {
    const range = decodeRecord(bytes, at, size);
    if (range !== undefined) set.add(range[0], range[1]);
  }
  return set.toArray();
}

/** Deletes a journal (missing is fine). */
export async function removeRangeJournal(journalPath: string): Promise<void> {
  await fs.rm(journalPath, { force: true });
}

/**
 * Appends a record after each write batch lands, without making the transfer wait: records that arrive while a
 * journal write is in flight go out together in the next one. All file operations run one at a time, in order, so
 * a reset is never overtaken by a record queued before it. A journal that fails to write (a full disk) switches
 * itself off and is deleted: resume then falls back to the catalog's checkpoints, and the transfer goes on.
 */
export class RangeJournalWriter {
  private handle: fs.FileHandle | undefined;
  private pending: ByteRange[] = [];
  /** The next write replaces the whole journal with these ranges (set at open and by reset/compaction). */
  private rewrite: { readonly ranges: ByteRange[]; readonly truncateFirst: boolean } | undefined;
  private records = 0;
  private pumping: Promise<void> | undefined;
  private stopped = false;

  /**
   * `initial`: the ranges already trusted in the partial (written with the first record, so a journal is only
   * created once something lands). `current`: the ranges landed so far, used when compacting.
   * The caller deletes a journal it does not trust before opening a writer.
   */
  constructor(
    private readonly journalPath: string,
    private readonly size: number,
    initial: readonly ByteRange[],
    private readonly current: () => ByteRange[],
  ) {
    this.rewrite = { ranges: initial.map(([s, e]): ByteRange => [s, e]), truncateFirst: false };
  }

  /** [start, end) is in the partial file (its write has completed). */
  record(start: number, end: number): void {
    if (this.stopped || end <= start) return;
    this.pending.push([start, end]);
    this.pumping ??= this.pump();
  }

  /** The partial was truncated to nothing: forget every record. */
  reset(): void {
    if (this.stopped) return;
    this.pending = [];
    this.rewrite = { ranges: [], truncateFirst: true };
    this.pumping ??= this.pump();
  }

  /** Waits until every record so far is written (or the journal has switched itself off). */
  async flush(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
  }

  /** Writes what is queued and closes the file; the journal stays for the next run. */
  async close(): Promise<void> {
    await this.flush();
    this.stopped = true;
    await this.closeHandle();
  }

  /** Stops recording and deletes the journal (the partial was placed, rejected or discarded). */
  async discard(): Promise<void> {
    this.stopped = true;
    this.pending = [];
    this.rewrite = undefined;
    await this.flush();
    await this.closeHandle();
    await removeRangeJournal(this.journalPath).catch(() => undefined);
  }

  private async pump(): Promise<void> {
    try {
      while (!this.stopped && (this.rewrite !== undefined || this.pending.length > 0)) {
        const handle = await this.open();
        if (this.records + this.pending.length > COMPACT_AFTER_RECORDS && this.rewrite === undefined) {
          // Every landed range is in `current()`, including the ones pending, so the rewrite replaces them all.
          this.rewrite = { ranges: this.current(), truncateFirst: false };
          this.pending = [];
        }
        const rewrite = this.rewrite;
        if (rewrite !== undefined) {
          this.rewrite = undefined;
          await this.writeWhole(handle, rewrite.ranges, rewrite.truncateFirst);
          continue;
        }
        const batch = this.pending;
        this.pending = [];
        const at = RANGE_JOURNAL_HEADER_BYTES + this.records * RANGE_JOURNAL_RECORD_BYTES;
        await writeAll(handle, encodeRecords(batch), at);
        this.records += batch.length;
      }
    } catch {
      this.stopped = true;
      this.pending = [];
      this.rewrite = undefined;
      await this.closeHandle();
      await removeRangeJournal(this.journalPath).catch(() => undefined);
    } finally {
      this.pumping = undefined;
    }
  }

  /**
   * Replaces the journal's content. Compaction writes first and truncates after: every record either side of a
   * kill in between is true. A reset truncates first, so no record of the discarded bytes can survive a kill.
   */
  private async writeWhole(handle: fs.FileHandle, ranges: readonly ByteRange[], truncateFirst: boolean): Promise<void> {
    if (truncateFirst) await handle.truncate(0);
    const content = Buffer.concat([encodeHeader(this.size), encodeRecords(ranges)]);
    await writeAll(handle, content, 0);
    await handle.truncate(content.length);
    this.records = ranges.length;
  }

  private async open(): Promise<fs.FileHandle> {
    this.handle ??= await fs.open(this.journalPath, constants.O_RDWR | constants.O_CREAT, 0o644);
    return this.handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

function encodeHeader(size: number): Buffer {
  const header = Buffer.alloc(RANGE_JOURNAL_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeBigUInt64LE(BigInt(size), 16);
  header.writeBigUInt64LE(VERSION, 24);
  return header;
}

function encodeRecords(ranges: readonly ByteRange[]): Buffer {
  const out = Buffer.alloc(ranges.length * RANGE_JOURNAL_RECORD_BYTES);
  ranges.forEach(([start, end], i) => {
    const at = i * RANGE_JOURNAL_RECORD_BYTES;
    out.writeBigUInt64LE(BigInt(start), at);
    out.writeBigUInt64LE(BigInt(end), at + 8);
    for (let b = 0; b < 16; b++) out[at + 16 + b] = ~out[at + b]! & 0xff;
  });
  return out;
}

function decodeRecord(bytes: Buffer, at: number, size: number): ByteRange | undefined {
  for (let b = 0; b < 16; b++) {
    if ((bytes[at + b]! ^ bytes[at + 16 + b]!) !== 0xff) return undefined;
  }
  const start = Number(bytes.readBigUInt64LE(at));
  const end = Number(bytes.readBigUInt64LE(at + 8));
  if (!Number.isSafeInteger(end) || start < 0 || start >= end || end > size) return undefined;
  return [start, end];
}

async function writeAll(handle: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, position + offset);
    offset += bytesWritten;
  }
}
