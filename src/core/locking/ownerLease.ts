import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tryAcquireFileLock, type HeldLock } from './fileLock';

const OWNER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Who is alive among the processes sharing a catalog. Each process holds an OS lock on
 * `<catalog>.owners/<owner id>.lock` for as long as it runs; the OS drops the lock when the process dies (even by
 * kill -9), so "can I take that lock?" answers "is that owner gone?" with no heartbeat to write and no clock to trust.
 * An in-memory catalog has no other processes: only this owner is alive.
 */
export class OwnerLease {
  readonly id = randomUUID();
  private readonly dir: string | null;
  private held: HeldLock | undefined;

  constructor(catalogFile: string | null) {
    this.dir = catalogFile === null ? null : `${catalogFile}.owners`;
    if (this.dir !== null) {
      fs.mkdirSync(this.dir, { recursive: true });
      this.held = tryAcquireFileLock(this.fileOf(this.id));
    }
  }

  /** Whether the process behind `ownerId` still runs. Unknown or malformed ids are owners that are gone. */
  isAlive(ownerId: string | null): boolean {
    if (ownerId === null) return false;
    if (ownerId === this.id) return true;
    if (this.dir === null || !OWNER_ID.test(ownerId)) return false;
    const file = this.fileOf(ownerId);
    if (!fs.existsSync(file)) return false;
    let probe: HeldLock | undefined;
    try {
      probe = tryAcquireFileLock(file);
    } catch {
      // Cannot tell (permissions on a shared machine): assume alive, so nobody's download is taken from them.
      return true;
    }
    if (!probe) return true;
    probe.release();
    fs.rmSync(file, { force: true });
    return false;
  }

  dispose(): void {
    if (!this.held) return;
    this.held.release();
    this.held = undefined;
    if (this.dir !== null) fs.rmSync(this.fileOf(this.id), { force: true });
  }

  private fileOf(ownerId: string): string {
    return path.join(this.dir ?? '', `${ownerId}.lock`);
  }
}
