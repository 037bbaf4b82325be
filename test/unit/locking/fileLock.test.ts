import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { acquireFileLock, setLockBackendForTests, SHARED_LOCK_MODE, tryAcquireFileLock } from '../../../src/core/locking/fileLock';
import { HOLD_LOCK, PythonProcess, TRY_LOCK, pythonWithFilelock } from '../support/python';

const python = pythonWithFilelock();

async function pythonTries(file: string, timeoutSeconds: number, soft = false): Promise<string> {
  const proc = new PythonProcess(python, TRY_LOCK, [file, String(timeoutSeconds), soft ? 'soft' : 'flock']);
  try {
    return await proc.nextLine();
  } finally {
    proc.kill();
  }
}

describe('file locks (interoperable with Python filelock)', () => {
  let dir: string;
  let file: string;
  const running: PythonProcess[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-lock-'));
    file = path.join(dir, 'blob.lock');
  });
  afterEach(() => {
    for (const p of running.splice(0)) p.kill();
    setLockBackendForTests(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('excludes a second holder in the same process until released, and leaves the lock file in place', () => {
    const first = tryAcquireFileLock(file);
    expect(first?.soft).toBe(false);
    expect(tryAcquireFileLock(file)).toBeUndefined();
    first?.release();
    const second = tryAcquireFileLock(file);
    expect(second).toBeDefined();
    second?.release();
    // filelock never deletes a flock'd lock file (deleting it races with a waiter that already opened it).
    expect(fs.existsSync(file)).toBe(true);
  });

  it('creates the lock file group-writable (0o664) whatever the umask, as huggingface_hub does', () => {
    const old = process.umask(0o077);
    try {
      tryAcquireFileLock(file)?.release();
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(SHARED_LOCK_MODE);
  });

  it('sees a lock Python holds, waits for it (telling once), and gets it when Python releases', async () => {
    const holder = new PythonProcess(python, HOLD_LOCK, [file, 'flock']);
    running.push(holder);
    expect(await holder.nextLine()).toBe('locked');
    expect(tryAcquireFileLock(file)).toBeUndefined();
    let waits = 0;
    const acquiring = acquireFileLock(file, { onWait: () => waits++ });
    await new Promise((r) => setTimeout(r, 300));
    holder.send('\n');
    expect(await holder.nextLine()).toBe('released');
    const held = await acquiring;
    expect(waits).toBe(1);
    held.release();
  });

  it('holds the lock against Python: FileLock(path).acquire(timeout=1) times out', async () => {
    const held = await acquireFileLock(file);
    expect(await pythonTries(file, 1)).toBe('timeout');
    held.release();
    expect(await pythonTries(file, 1)).toBe('acquired');
  });

  it('is freed by the OS when its holder is killed -9', async () => {
    const child = spawn(process.execPath, [
      '-e',
      `const koffi = require(${JSON.stringify(require.resolve('koffi'))}); const libc = koffi.load('libc.so.6');
       const flock = libc.func('int flock(int, int)'); const fd = require('fs').openSync(${JSON.stringify(file)}, 'w');
       if (flock(fd, 6) !== 0) process.exit(3); console.log('locked'); setInterval(() => {}, 1000);`,
    ]);
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
    });
    expect(tryAcquireFileLock(file)).toBeUndefined();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const held = await acquireFileLock(file, { timeoutMs: 5_000 });
    held.release();
  });

  it('stops waiting on abort (Cancelled) and on timeout (Io naming the lock)', async () => {
    const held = tryAcquireFileLock(file);
    const controller = new AbortController();
    const aborted = acquireFileLock(file, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(aborted).rejects.toSatisfy((e: unknown) => isMistudioError(e, 'Cancelled'));
    await expect(acquireFileLock(file, { timeoutMs: 100 })).rejects.toSatisfy((e: unknown) => isMistudioError(e, 'Io') && (e as Error).message.includes(file));
    held?.release();
  });

  it('refuses to lock through a symlink (O_NOFOLLOW), so a planted link cannot make us truncate another file', () => {
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious');
    fs.symlinkSync(victim, file);
    expect(() => tryAcquireFileLock(file)).toThrow(/Cannot lock/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
  });

  describe('soft lock, where the filesystem has no flock', () => {
    beforeEach(() => setLockBackendForTests({ native: new Error('flock unavailable in this test') }));

    it('is the file itself: Python SoftFileLock waits on ours, and ours on Python’s', async () => {
      const held = tryAcquireFileLock(file);
      expect(held?.soft).toBe(true);
      expect(await pythonTries(file, 0.5, true)).toBe('timeout');
      held?.release();
      expect(fs.existsSync(file)).toBe(false);

      const holder = new PythonProcess(python, HOLD_LOCK, [file, 'soft']);
      running.push(holder);
      expect(await holder.nextLine()).toBe('locked');
      expect(tryAcquireFileLock(file)).toBeUndefined();
      const acquiring = acquireFileLock(file);
      holder.send('\n');
      expect(await holder.nextLine()).toBe('released');
      (await acquiring).release();
    });

    it('breaks a soft lock left by a dead process of ours on this host, never an anonymous one', async () => {
      const dead = spawn(process.execPath, ['-e', '0']);
      await new Promise((r) => dead.once('exit', r));
      fs.writeFileSync(file, `${dead.pid}@${os.hostname()}\n`);
      const held = tryAcquireFileLock(file);
      expect(held).toBeDefined();
      held?.release();

      fs.writeFileSync(file, ''); // what filelock leaves: no owner to check, so it stays held
      expect(tryAcquireFileLock(file)).toBeUndefined();
    });
  });
});
