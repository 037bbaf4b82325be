import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChildBundle } from '../support/bundle';
import { SHA1, makeTempDir, openFile, wasmPath } from './helpers';

const KILLS = 20;
const FILLER_ENTRIES = 4000;

interface ChildRun {
  /** The last value the child reported as saved (flush resolved). */
  reported: number;
  stderr: string;
}

/** Starts the save loop, lets it save at least once, kills it with SIGKILL at a random moment. */
function runAndKill(bundle: string, file: string): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, file, wasmPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killTimer === undefined && stdout.includes('\n')) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 400));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`save loop exited on its own (code ${code}): ${stderr}`));
        return;
      }
      const lines = stdout.split('\n').slice(0, -1);
      resolve({ reported: Number(lines.at(-1)), stderr });
    });
  });
}

describe('catalog crash safety', () => {
  let dir: string;
  let cleanup: () => void;
  let bundle: string;
  let removeBundle: () => void = () => undefined;

  beforeAll(async () => {
    ({ dir, cleanup } = makeTempDir());
    const built = await buildChildBundle(fileURLToPath(new URL('./fixtures/saveLoop.ts', import.meta.url)), 'saveLoop.cjs');
    bundle = built.file;
    removeBundle = built.cleanup;
  });
  afterAll(() => {
    cleanup();
    removeBundle();
  });

  it(`survives ${KILLS} SIGKILLs during appends and compactions with either the old or the new state`, { timeout: 180_000 }, async () => {
    const file = path.join(dir, 'data', 'catalog.sqlite');
    const setup = await openFile(file);
    setup.catalog.transaction(() => {
      for (let i = 0; i < FILLER_ENTRIES; i++) {
        setup.catalog.addEntry({ kind: i % 2 ? 'model' : 'dataset', repoId: `org/filler-${i}`, metadata: { license: `license text ${i}`.repeat(8) } });
      }
      const counter = setup.catalog.addEntry({ kind: 'model', repoId: 'org/counter' });
      setup.catalog.setFiles(counter.id, [{ path: 'counter.bin', size: 1_000_000, blobId: SHA1(9), gitSha1: SHA1(9) }]);
      setup.catalog.addJob({ type: 'download', entryId: counter.id });
    });
    await setup.catalog.close();

    let previous = 0;
    let killedMidSave = 0;
    for (let round = 0; round < KILLS; round++) {
      const run = await runAndKill(bundle, file);
      expect(run.stderr).toBe('');
      expect(run.reported).toBeGreaterThan(previous);
      // Killed inside a compaction (a temp image or log left) or inside an append (a last line without its newline).
      // (A compaction moves the log aside before it writes the new one: no log at all is a kill in between.)
      const log = fs.existsSync(`${file}.log`) ? fs.readFileSync(`${file}.log`) : Buffer.alloc(0);
      if (fs.readdirSync(path.dirname(file)).some((n) => n.includes('.tmp-')) || log.at(-1) !== 0x0a) killedMidSave += 1;

      const { catalog, warnings } = await openFile(file);
      expect(warnings.filter((w) => !/unfinished catalog save/.test(w))).toEqual([]);
      const entry = catalog.findEntry('model', 'org/counter');
      const value = entry?.bytesDone ?? -1;
      // Everything the child saw saved is on disk; at most the one save in flight when it died is also there.
      expect(value === run.reported || value === run.reported + 1, `round ${round}: on disk ${value}, reported ${run.reported}`).toBe(true);
      // Durable but not yet reported: the kill landed between the append and its acknowledgement.
      if (value === run.reported + 1) killedMidSave += 1;
      // The three rows of one transaction are always saved together.
      expect(catalog.getFile(entry?.id ?? '', 'counter.bin')).toMatchObject({ bytesDone: value, doneRanges: [[0, value]] });
      expect(catalog.listJobs()[0]?.attempts).toBe(value);
      expect(catalog.search().total).toBe(FILLER_ENTRIES + 1);
      await catalog.close();
      expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['catalog.sqlite', 'catalog.sqlite.lock', 'catalog.sqlite.log', 'catalog.sqlite.log.prev']);
      previous = value;
    }
    // The kills must actually have landed inside saves for this test to mean anything.
    expect(killedMidSave).toBeGreaterThan(0);
  });
});
