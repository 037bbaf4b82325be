import * as fs from 'node:fs';
import { tryAcquireFileLock } from '../../../src/core/locking/fileLock';

/** The files one catalog is made of: the image, its change log and the log the last compaction replaced. */
const PARTS = ['', '.log', '.log.prev'];

/**
 * Copies a catalog as it stands on disk (as a kill would leave it) — image and logs together, under the catalog's
 * lock so no writer is between an append or a compaction's two writes. Returns false if the lock was busy (the
 * caller tries again) or there is no catalog yet. A copy made this way opens with exactly the state on disk.
 */
export function copyCatalog(from: string, to: string): boolean {
  if (!fs.existsSync(from)) return false;
  const lock = tryAcquireFileLock(`${from}.lock`);
  if (!lock) return false;
  try {
    for (const suffix of PARTS) {
      fs.rmSync(`${to}${suffix}`, { force: true });
      if (fs.existsSync(`${from}${suffix}`)) fs.copyFileSync(`${from}${suffix}`, `${to}${suffix}`);
    }
    return true;
  } finally {
    lock.release();
  }
}
