/** The range journal: what it records, how it survives a torn write, and how a resume uses (or refuses) it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { closeSharedTransferAgent, downloadFile, type ByteRange, type DownloadFileOptions } from '../../../src/core/transfer/index';
import {
  RANGE_JOURNAL_HEADER_BYTES,
  RANGE_JOURNAL_RECORD_BYTES,
  RangeJournalWriter,
  readRangeJournal,
} from '../../../src/core/transfer/rangeJournal';
import { startFakeHub, type FakeHub } from '../../fake-hub/index';
import { REPOS, TOKENS, optionsFor } from './fixtures';
import { Reports, coveredBytes, tempDir } from './helpers';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir('mistudio-journal-');
});
afterEach(() => {
  tmp.cleanup();
});

const SIZE = 10_000;

function writerAt(file: string, initial: ByteRange[] = [], current: () => ByteRange[] = () => []): RangeJournalWriter {
  return new RangeJournalWriter(file, SIZE, initial, current);
}

describe('range journal file', () => {
  it('is created only once something lands, and reads back its records merged', async () => {
    const file = path.join(tmp.dir, 'x.incomplete.ranges');
    const writer = writerAt(file, [[0, 100]]);
    await writer.flush();
    expect(fs.existsSync(file)).toBe(false);

    writer.record(100, 200);
    writer.record(500, 600);
    writer.record(200, 300);
    await writer.flush();
    expect(await readRangeJournal(file, SIZE)).toEqual([[0, 300], [500, 600]]);
    writer.record(300, 500);
    await writer.close();
    expect(await readRangeJournal(file, SIZE)).toEqual([[0, 600]]);
    expect(fs.statSync(file).size).toBe(RANGE_JOURNAL_HEADER_BYTES + 5 * RANGE_JOURNAL_RECORD_BYTES);
  });

  it('keeps every whole record when the last one is torn, and skips a damaged one', async () => {
    const file = path.join(tmp.dir, 'x.incomplete.ranges');
    const writer = writerAt(file);
    writer.record(0, 1000);
    writer.record(2000, 3000);
    writer.record(4000, 5000);
    await writer.close();
    const whole = fs.readFileSync(file);

    // A kill in the middle of appending a fourth record.
    fs.writeFileSync(file, Buffer.concat([whole, whole.subarray(RANGE_JOURNAL_HEADER_BYTES, RANGE_JOURNAL_HEADER_BYTES + 11)]));
    expect(await readRangeJournal(file, SIZE)).toEqual([[0, 1000], [2000, 3000], [4000, 5000]]);

    // A record whose bytes do not match their check (zero-filled, or half overwritten) is not believed.
    const damaged = Buffer.from(whole);
    const flipAt = RANGE_JOURNAL_HEADER_BYTES + RANGE_JOURNAL_RECORD_BYTES + 3;
    damaged[flipAt] = damaged[flipAt]! ^ 0x40;
    fs.writeFileSync(file, Buffer.concat([damaged, Buffer.alloc(RANGE_JOURNAL_RECORD_BYTES)]));
    expect(await readRangeJournal(file, SIZE)).toEqual([[0, 1000], [4000, 5000]]);
  });

  it('is ignored when it belongs to another size or is not a journal', async () => {
    const file = path.join(tmp.dir, 'x.incomplete.ranges');
    const writer = writerAt(file);
    writer.record(0, 1000);
    await writer.close();
    expect(await readRangeJournal(file, SIZE + 1)).toEqual([]);
    expect(await readRangeJournal(path.join(tmp.dir, 'missing'), SIZE)).toEqual([]);
    fs.writeFileSync(file, 'not a journal at all, but long enough to have a header');
    expect(await readRangeJournal(file, SIZE)).toEqual([]);
  });

  it('reset forgets every record; discard deletes the file', async () => {
    const file = path.join(tmp.dir, 'x.incomplete.ranges');
    const writer = writerAt(file);
    writer.record(0, 1000);
    writer.reset();
    writer.record(0, 10);
    await writer.flush();
    expect(await readRangeJournal(file, SIZE)).toEqual([[0, 10]]);
    await writer.discard();
    expect(fs.existsSync(file)).toBe(false);
    writer.record(10, 20);
    await writer.flush();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('compacts itself to the landed ranges instead of growing without bound', async () => {
    const file = path.join(tmp.dir, 'x.incomplete.ranges');
    const big = 10_000_000;
    let landed: ByteRange = [0, 0];
    const writer = new RangeJournalWriter(file, big, [], () => [[landed[0], landed[1]]]);
    for (let i = 0; i < 10_000; i++) {
      landed = [0, (i + 1) * 100];
      writer.record(i * 100, (i + 1) * 100);
      if (i % 50 === 0) await writer.flush();
    }
    await writer.close();
    expect(await readRangeJournal(file, big)).toEqual([[0, 1_000_000]]);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(RANGE_JOURNAL_HEADER_BYTES + 4097 * RANGE_JOURNAL_RECORD_BYTES);
  });
});

describe('downloadFile with a range journal', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await startFakeHub({ repos: REPOS, tokens: TOKENS, cdnBytesPerSecondPerConnection: 2_000_000 });
  });
  afterAll(async () => {
    await hub.close();
    await closeSharedTransferAgent();
  });
  afterEach(() => {
    hub.setFaults([]);
    hub.resetStats();
  });

  function journalled(file: 'weights.bin' | 'big.safetensors'): DownloadFileOptions & { content: Buffer; rangeJournalPath: string } {
    const options = optionsFor(hub, tmp.dir, file);
    return { ...options, rangeJournalPath: `${options.partialPath}.ranges` };
  }

  /** Runs until `stopAfter` bytes landed, then stops as a kill would look to the next run: no checkpoint kept. */
  async function runUntil(options: DownloadFileOptions, stopAfter: number): Promise<number> {
    const controller = new AbortController();
    let landed = 0;
    const error = await downloadFile({
      ...options,
      signal: controller.signal,
      onProgress: (delta) => {
        landed += delta;
        if (landed >= stopAfter) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(isMistudioError(error, 'Cancelled')).toBe(true);
    return landed;
  }

  it('resumes from the journal alone (the catalog had no checkpoint), re-sending nothing that landed', async () => {
    const options = journalled('big.safetensors');
    const size = options.size;
    const landed = await runUntil({ ...options, connections: 4, minPartBytes: 512 * 1024 }, size * 0.6);
    const recorded = await readRangeJournal(options.rangeJournalPath, size);
    expect(coveredBytes(recorded)).toBe(landed);
    const sentBefore = hub.bytesSent({ path: 'big.safetensors', server: 'cdn' });

    const reports = new Reports();
    const result = await downloadFile({ ...options, resume: { doneRanges: [] }, onProgress: reports.onProgress, onCheckpoint: reports.onCheckpoint });
    expect(result.resumedBytes).toBe(landed);
    expect(fs.readFileSync(options.finalPath).equals(options.content)).toBe(true);
    // The bytes the journal knew beyond the caller's (none) are reported as landed: progress adds up to the file.
    expect(reports.progressSum).toBe(size);
    expect(hub.bytesSent({ path: 'big.safetensors', server: 'cdn' }) - sentBefore).toBe(size - landed);
    expect(fs.existsSync(options.rangeJournalPath)).toBe(false);
    expect(fs.existsSync(options.partialPath)).toBe(false);
  });

  it('merges the journal with the caller ranges', async () => {
    const options = journalled('weights.bin');
    const landed = await runUntil(options, 400 * 1024);
    const recorded = await readRangeJournal(options.rangeJournalPath, options.size);
    expect(recorded).toEqual([[0, landed]]);
    const reports = new Reports();
    const result = await downloadFile({ ...options, resume: { doneRanges: [[0, 1000]] }, onProgress: reports.onProgress });
    expect(result.resumedBytes).toBe(landed);
    expect(1000 + reports.progressSum).toBe(options.size);
    expect(fs.readFileSync(options.finalPath).equals(options.content)).toBe(true);
  });

  it('ignores (and deletes) a journal that names bytes the partial does not have', async () => {
    const options = journalled('weights.bin');
    const landed = await runUntil(options, 400 * 1024);
    expect(coveredBytes(await readRangeJournal(options.rangeJournalPath, options.size))).toBe(landed);
    fs.truncateSync(options.partialPath, 1000); // shorter than the journal says: not the partial it describes
    hub.resetStats();

    const reports = new Reports();
    const result = await downloadFile({ ...options, onProgress: reports.onProgress });
    expect(result.resumedBytes).toBe(0);
    expect(reports.progressSum).toBe(options.size);
    expect(hub.bytesSent({ path: 'weights.bin', server: 'cdn' })).toBe(options.size);
    expect(fs.readFileSync(options.finalPath).equals(options.content)).toBe(true);
    expect(fs.existsSync(options.rangeJournalPath)).toBe(false);
  });

  it('ignores the journal when the caller ranges cannot be trusted', async () => {
    const options = journalled('weights.bin');
    await runUntil(options, 400 * 1024);
    hub.resetStats();
    const result = await downloadFile({ ...options, resume: { doneRanges: [[0, options.size + 5]] } });
    expect(result.resumedBytes).toBe(0);
    expect(hub.bytesSent({ path: 'weights.bin', server: 'cdn' })).toBe(options.size);
    expect(fs.readFileSync(options.finalPath).equals(options.content)).toBe(true);
  });

  it('keeps the journal on cancel (the caller removes it with the partial) and removes it when the bytes are rejected', async () => {
    const options = journalled('weights.bin');
    await runUntil(options, 300 * 1024);
    expect(fs.existsSync(options.rangeJournalPath)).toBe(true);

    hub.setFaults([{ kind: 'corrupt', match: { server: 'cdn' } }]);
    const error = await downloadFile(options).catch((e: unknown) => e);
    expect(isMistudioError(error, 'ChecksumMismatch')).toBe(true);
    expect(fs.existsSync(options.partialPath)).toBe(false);
    expect(fs.existsSync(options.rangeJournalPath)).toBe(false);
    expect(fs.existsSync(options.finalPath)).toBe(false);
  });
});
