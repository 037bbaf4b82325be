import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helpers';

/** What one robustness suite did, for `out/robustness-summary.json` (quoted by bench/results.md). */
export interface Tally {
  /** Distinct situations driven end to end (a kill, a fault scenario, a hostile input, a fuzzed argv, …). */
  scenarios: number;
  /** Faults the suite caused on purpose: injected HTTP/disk faults and SIGKILLs. */
  faultsInjected: number;
  /** SIGKILLs that landed on a running process (also counted in faultsInjected). */
  kills: number;
  /** Bytes read back from the cache and compared with the hub's content (sha256). */
  bytesVerified: number;
  /** Catalog entries that disappeared or were duplicated across crashes and faults: must stay 0. */
  entriesLost: number;
}

interface SummaryPart extends Tally {
  readonly suite: string;
  readonly finishedAt: string;
}

const OUT_DIR = path.join(repoRoot, 'out');
const PARTS_DIR = path.join(OUT_DIR, 'robustness-summary.d');
const SUMMARY_FILE = path.join(OUT_DIR, 'robustness-summary.json');
const LOCK_DIR = path.join(OUT_DIR, 'robustness-summary.lock');

export function createTally(): Tally {
  return { scenarios: 0, faultsInjected: 0, kills: 0, bytesVerified: 0, entriesLost: 0 };
}

function writeJsonAtomically(file: string, value: unknown): void {
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temp, file);
}

/** Vitest runs suites in parallel workers: merging under a lock keeps every worker's part in the summary. */
async function withLock(task: () => void): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      break;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      // A worker killed while holding the lock must not block every later run.
      if (age > 30_000 || Date.now() > deadline) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    task();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/**
 * Records this suite's tally and rewrites the merged summary from every suite's latest part. Each suite overwrites
 * its own part on every run, so the totals always describe the latest run of each suite.
 */
export async function writeTally(suite: string, tally: Tally): Promise<void> {
  fs.mkdirSync(PARTS_DIR, { recursive: true });
  const part: SummaryPart = { suite, finishedAt: new Date().toISOString(), ...tally };
  writeJsonAtomically(path.join(PARTS_DIR, `${suite}.json`), part);
  await withLock(() => {
    const parts = fs
      .readdirSync(PARTS_DIR)
      .filter((n) => n.endsWith('.json'))
      .map((n) => JSON.parse(fs.readFileSync(path.join(PARTS_DIR, n), 'utf8')) as SummaryPart)
      .sort((a, b) => a.suite.localeCompare(b.suite));
    const totals = createTally();
    for (const p of parts) for (const key of Object.keys(totals) as Array<keyof Tally>) totals[key] += p[key];
    writeJsonAtomically(SUMMARY_FILE, { generatedAt: new Date().toISOString(), totals, suites: parts });
  });
}
