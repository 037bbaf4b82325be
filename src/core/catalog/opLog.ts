/**
 * The shared change log beside the catalog image: a header line, then one JSON line per appended batch of ops.
 *
 *   {"log":"<id>","schema":2,"after":{"log":"<previous id>","bytes":123}}
 *   {"w":"<writer>","n":1,"ops":[…],"c":"<check>"}
 *
 * Lines are appended under the catalog lock with one write each, so a reader without the lock sees whole lines
 * plus at most one line still being written (no newline yet), which it leaves for later. A line whose check does not
 * match is skipped, not trusted; a crash mid-append leaves a tail without a newline that the next writer cuts off.
 */
import { createHash } from 'node:crypto';
import type { DurableFile } from './catalogFile';
import { parseOp, type CatalogOp } from './ops';

export interface LogHeader {
  /** Changes at every compaction; the image records which log (and how far into it) it contains. */
  readonly log: string;
  readonly schema: number;
  /** The log this one continues: everything of that log up to `bytes` is in the image written with this log. */
  readonly after?: { readonly log: string; readonly bytes: number };
}

export interface LogRecord {
  readonly writer: string;
  readonly ops: CatalogOp[];
}

const MAX_HEADER_BYTES = 4096;
/** A line longer than this is damage, not a batch we wrote; reading stops growing there. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

export function encodeHeader(header: LogHeader): Buffer {
  return Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
}

function check(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 8);
}

const CHECK_SUFFIX = /,"c":"([0-9a-f]{8})"\}$/;

export function encodeRecord(writer: string, seq: number, ops: readonly CatalogOp[]): Buffer {
  const body = JSON.stringify({ w: writer, n: seq, ops });
  return Buffer.from(`${body.slice(0, -1)},"c":"${check(body)}"}\n`, 'utf8');
}

/** The record in one line (without its newline), or undefined when the line is damaged or not ours to read. */
export function decodeRecord(line: string): LogRecord | undefined {
  const match = CHECK_SUFFIX.exec(line);
  if (!match) return undefined;
  const body = `${line.slice(0, match.index)}}`;
  if (check(body) !== match[1]) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { w, ops } = parsed as { w?: unknown; ops?: unknown };
  if (typeof w !== 'string' || !Array.isArray(ops)) return undefined;
  const valid: CatalogOp[] = [];
  for (const op of ops) {
    const parsedOp = parseOp(op);
    // An op this version cannot read is dropped alone; the rest of the batch still applies.
    if (parsedOp) valid.push(parsedOp);
  }
  return { writer: w, ops: valid };
}

/** The header and its length in bytes, or undefined when the file does not start with one. */
export async function readHeader(handle: DurableFile): Promise<{ header: LogHeader; length: number } | undefined> {
  const buffer = Buffer.alloc(MAX_HEADER_BYTES);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  const end = buffer.subarray(0, bytesRead).indexOf(NEWLINE);
  if (end < 0) return undefined;
  try {
    const parsed = JSON.parse(buffer.subarray(0, end).toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { log, schema, after } = parsed as Record<string, unknown>;
    if (typeof log !== 'string' || log.length === 0 || typeof schema !== 'number' || !Number.isSafeInteger(schema)) return undefined;
    const header: LogHeader = { log, schema, ...(isAfter(after) ? { after } : {}) };
    return { header, length: end + 1 };
  } catch {
    return undefined;
  }
}

function isAfter(value: unknown): value is { log: string; bytes: number } {
  if (typeof value !== 'object' || value === null) return false;
  const { log, bytes } = value as Record<string, unknown>;
  return typeof log === 'string' && typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes >= 0;
}

export interface RecordsRead {
  readonly records: LogRecord[];
  /** Offset just past the last whole line read: where the next read starts. */
  readonly end: number;
  /** Whole lines that failed their check (skipped). */
  readonly damaged: number;
}

/** The whole lines in [from, size). A trailing line without its newline is not read (it is still being written, or torn). */
export async function readRecords(handle: DurableFile, from: number, size: number): Promise<RecordsRead> {
  const records: LogRecord[] = [];
  let damaged = 0;
  let end = from;
  let carry = Buffer.alloc(0);
  let position = from;
  while (position < size) {
    const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, size - position));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    let data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let start = 0;
    for (let nl = data.indexOf(NEWLINE, start); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      const record = decodeRecord(data.subarray(start, nl).toString('utf8'));
      if (record) records.push(record);
      else damaged += 1;
      end += nl + 1 - start;
      start = nl + 1;
    }
    data = data.subarray(start);
    if (data.length > MAX_LINE_BYTES) {
      // Not a line anyone wrote whole; count it as damage and look for the next line after it.
      damaged += 1;
      end += data.length;
      data = Buffer.alloc(0);
    }
    carry = Buffer.from(data);
  }
  return { records, end, damaged };
}
