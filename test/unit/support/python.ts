import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Debian's python3 with python3-filelock, the lock implementation huggingface_hub uses (`.ci/run` installs it).
 * Debian's interpreter first: a pyenv or venv python on PATH does not see Debian's packages.
 */
export function pythonWithFilelock(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import filelock; print(filelock.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  throw new Error("No python3 with filelock found: install Debian's python3-filelock (apt-get install python3-filelock); .ci/run does");
}

/** A Python process running `code`; resolves each line it prints, in order. */
export class PythonProcess {
  private readonly lines: string[] = [];
  private readonly waiters: Array<(line: string) => void> = [];
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(python: string, code: string, args: readonly string[] = []) {
    this.child = spawn(python, ['-u', '-c', code, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** The next line printed, or a rejection naming what Python said on stderr if it exits first. */
  nextLine(timeoutMs = 20_000): Promise<string> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python printed nothing in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`python exited (${code}) before printing; stderr: ${this.stderr}`));
      });
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  send(text: string): void {
    this.child.stdin.write(text);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Holds `filelock.FileLock(path)` (or SoftFileLock) until told "release" on stdin; prints "locked" / "released". */
export const HOLD_LOCK = `
import sys, filelock
cls = filelock.SoftFileLock if sys.argv[2] == 'soft' else filelock.FileLock
lock = cls(sys.argv[1])
lock.acquire()
print('locked')
sys.stdin.readline()
lock.release()
print('released')
`;

/** Tries to take the lock for `timeout` seconds; prints "acquired" or "timeout". */
export const TRY_LOCK = `
import sys, filelock
cls = filelock.SoftFileLock if sys.argv[3] == 'soft' else filelock.FileLock
lock = cls(sys.argv[1])
try:
    lock.acquire(timeout=float(sys.argv[2]))
except filelock.Timeout:
    print('timeout')
else:
    print('acquired')
    lock.release()
`;
