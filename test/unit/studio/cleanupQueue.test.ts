import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobLocks, HfCache, Holders } from '../../../src/core/cache';
import { openCatalog, type Catalog } from '../../../src/core/catalog';
import { cleanupPayload } from '../../../src/core/jobs/cleanupJob';
import { CleanupQueue } from '../../../src/core/jobs/cleanupQueue';
import { OwnerLease } from '../../../src/core/locking/ownerLease';
import type { Logger } from '../../../src/core/studioTypes';
import { wasmPath } from './helpers';

describe('CleanupQueue', () => {
  let dir: string;
  let catalog: Catalog;
  let queue: CleanupQueue;
  let lease: OwnerLease;
  const errors: string[] = [];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanup-queue-'));
    catalog = await openCatalog({ file: null, wasmPath });
    const cache = new HfCache(path.join(dir, 'hub'));
    lease = new OwnerLease(null);
    const logger: Logger = { trace: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
    queue = new CleanupQueue({ catalog, cache, holders: new Holders(cache, null), locks: new BlobLocks(cache), lease, logger });
    errors.length = 0;
  });
  afterEach(async () => {
    await queue.close();
    await catalog.close();
    lease.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function addJob(repoId: string): string {
    const payload = cleanupPayload({ kind: 'model', repoId, revision: 'main', commit: null, blobIds: [], paths: [], catalogKey: null });
    return catalog.addJob({ type: 'cleanup', entryId: null, payload }).id;
  }

  it('a job another process ran before it came up is skipped, and the queue still becomes idle', async () => {
    const gone = addJob('org/ran-elsewhere');
    const running: number[] = [];
    queue.onDidChange((e) => running.push(e.running));
    const started = queue.resumeInterrupted();
    // Another process finished it between our listing and our turn.
    catalog.removeJob(gone);
    await started;
    expect(queue.idle).toBe(true);
    expect(running).toEqual([1, 0]);
    expect(errors).toEqual([]);
  });

  it('runs every interrupted job once, one after another, and removes it when done', async () => {
    addJob('org/a');
    addJob('org/b');
    const running: number[] = [];
    queue.onDidChange((e) => running.push(e.running));
    await queue.resumeInterrupted();
    expect(catalog.listJobs({ type: 'cleanup' })).toEqual([]);
    expect(running).toEqual([1, 2, 1, 0]);
    expect(queue.idle).toBe(true);
  });

  it('a job whose payload is damaged is marked failed with the reason, not retried in a loop', async () => {
    const id = catalog.addJob({ type: 'cleanup', entryId: null, payload: { kind: 'spaceship' } }).id;
    await queue.resumeInterrupted();
    const job = catalog.getJob(id);
    expect(job?.state).toBe('failed');
    expect(job?.attempts).toBe(1);
    expect(job?.lastError).toMatch(/malformed payload/);
    expect(errors.join('\n')).toMatch(new RegExp(`Cleanup job ${id}`));
  });
});
