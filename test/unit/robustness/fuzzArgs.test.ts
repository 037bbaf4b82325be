import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../../src/core/catalog';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { auditCache, cliInProcess, errorLines, hasStackTrace, Rng, scratch, suiteSeed, wasmPath, type Scratch } from './helpers';
import { createTally, writeTally } from './summary';

const RUNS = 600;
const seed = suiteSeed('fuzzArgs');
const M = `fz${seed}`;

const repos: FakeRepo[] = [
  { kind: 'model', id: 'fuzz/tiny', commits: [{ files: [{ path: 'config.json', content: '{"model_type": "tiny"}\n' }, { path: 'a/b.txt', content: 'b\n' }] }] },
  { kind: 'dataset', id: 'fuzz/data', commits: [{ files: [{ path: 'README.md', content: '# data\n' }, { path: 'data/x.csv', content: 'a,b\n1,2\n' }] }] },
];

/**
 * Pieces of a command line, valid and invalid. Paths are always absolute and inside the scratch folder: a relative
 * one would resolve against the repository checkout.
 */
function grammar(rng: Rng, dir: string, hubUrl: string): () => string[] {
  const junk = (): string =>
    rng.pick([
      '',
      ' ',
      '\u0000',
      `\u001b[2J${M}`,
      `名前${M}`,
      `${M}${'x'.repeat(10 * 1024)}`,
      '-',
      '--',
      '-x',
      '--json',
      `../../${M}`,
      `/tmp/${M}`,
      '%s%n%x',
      '$(touch /tmp/x)',
      '*',
      '\n',
    ]);
  const repoId = (): string => rng.pick(['fuzz/tiny', 'fuzz/data', 'fuzz/nothing', 'tiny', 'Fuzz/Tiny', junk()]);
  const revision = (): string => rng.pick(['main', 'v1', 'refs/pr/1', '0'.repeat(40), `ünï${M}`, junk()]);
  const glob = (): string => rng.pick(['*.json', '*', 'a/*', '**', '[', '[!]', '{a,b}', '\\', junk()]);
  const endpoint = (): string => rng.pick([hubUrl, hubUrl, 'http://127.0.0.1:1', 'not a url', 'file:///etc/passwd', 'ftp://127.0.0.1/', `${hubUrl}/${M}`, '']);
  const cacheDir = (): string =>
    rng.pick([path.join(dir, 'c1'), path.join(dir, 'nested', 'deep', 'c2'), path.join(dir, 'a-file.txt', 'sub'), path.join(dir, 'a-file.txt'), path.join(dir, 'linked'), '']);
  const catalog = (): string =>
    rng.pick([path.join(dir, 'cat1.sqlite'), path.join(dir, 'sub', 'cat2.sqlite'), dir, path.join(dir, 'garbage.sqlite'), path.join(dir, 'a-file.txt', 'cat.sqlite'), '']);
  const token = (): string => rng.pick(['hf_fuzz_token', '', 'not-a-token', `hf_${'t'.repeat(10 * 1024)}`, 'hf_\u0000', 'hf_\nx']);

  const command = (): string => rng.pick(['download', 'download', 'download', 'list', 'list', 'rm', 'scan', 'help', '--help', '-h', 'downlaod', 'DOWNLOAD', junk()]);
  const option = (): string[] =>
    rng.pick<() => string[]>([
      () => ['--dataset'],
      () => ['--models'],
      () => ['--datasets'],
      () => ['--json'],
      () => ['--help'],
      () => ['-h'],
      () => ['--frobnicate'],
      () => ['-x'],
      () => ['--'],
      () => ['--revision', revision()],
      () => [`--revision=${revision()}`],
      () => ['--revision'],
      () => ['--include', glob()],
      () => ['--exclude', glob()],
      () => [`--include=${glob()}`],
      () => ['--search', junk()],
      () => ['--search', 'tiny'],
      () => ['--endpoint', endpoint()],
      () => ['--cache-dir', cacheDir()],
      () => ['--catalog', catalog()],
      () => ['--token', token()],
      () => ['--json=true'],
      () => [`--${junk()}`],
      () => ['---json'],
      () => [repoId()],
      () => [junk()],
    ])();
  return () => {
    const pieces: string[][] = rng.chance(0.03) ? [] : [[command()]];
    if (rng.chance(0.7) && pieces.length > 0) pieces.push([repoId()]);
    // Mostly short lines, so many runs get past parsing and do real work (download, list, rm, scan).
    for (let n = rng.pick([0, 0, 1, 1, 1, 2, 3, 5]); n > 0; n--) pieces.push(option());
    // Shuffled as pieces: an option keeps its value, so a path option never takes a relative word.
    return (rng.chance(0.2) ? rng.shuffle(pieces) : pieces).flat();
  };
}

function markerHits(roots: readonly string[]): string[] {
  const hits: string[] = [];
  for (const root of roots) for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) if (name.includes(M)) hits.push(path.join(root, name));
  return hits;
}

describe('CLI arguments fuzzed from a grammar of valid and invalid pieces', () => {
  const tally = createTally();
  let hub: FakeHub;
  let home: Scratch;
  beforeAll(async () => {
    hub = await startFakeHub({ repos });
    home = scratch('fuzz');
    fs.writeFileSync(path.join(home.dir, 'a-file.txt'), 'not a folder\n');
    fs.writeFileSync(path.join(home.dir, 'garbage.sqlite'), 'not a database\n');
    fs.mkdirSync(path.join(home.dir, 'linked-target'));
    fs.symlinkSync(path.join(home.dir, 'linked-target'), path.join(home.dir, 'linked'), 'dir');
  });
  afterAll(async () => {
    await hub.close();
    home.cleanup();
    await writeTally('fuzzArgs', tally);
  });

  it(`${RUNS} seeded runs in process: never a crash or stack trace, exit 0/1/2, at most one error line`, { timeout: 120_000 }, async () => {
    const rng = new Rng(seed);
    const next = grammar(rng, home.dir, hub.url);
    const env = { ...home.env, HF_ENDPOINT: hub.url };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    const cwdBefore = new Set(fs.readdirSync(process.cwd()));
    const codes = new Map<number, number>();
    let longestError = '';
    try {
      for (let run = 0; run < RUNS; run++) {
        const argv = next();
        const label = `run ${run} (seed ${seed}): ${JSON.stringify(argv).slice(0, 300)}`;
        const r = await cliInProcess(argv, env, home.dir).catch((err: unknown) => {
          throw new Error(`${label}: runCli threw ${String(err)}`);
        });
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        expect([0, 1, 2], label).toContain(r.code);
        const lines = errorLines(r.stderr);
        expect(lines.length, `${label}\n${r.stderr.slice(0, 500)}`).toBe(r.code === 0 ? 0 : 1);
        expect(hasStackTrace(r.stderr) || hasStackTrace(r.stdout), `${label}\n${r.stderr.slice(0, 2000)}`).toBe(false);
        if ((lines[0]?.length ?? 0) > longestError.length) longestError = lines[0] ?? '';
        tally.scenarios += 1;
      }
      // Let any stray promise of the last run surface before judging.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
    console.log(`[robustness] fuzzArgs: exit codes ${JSON.stringify(Object.fromEntries(codes))}, longest error line ${longestError.length} chars (seed ${seed})`);
    expect(unhandled.map(String)).toEqual([]);
    // Both outcomes happened: the grammar reaches real work, not only usage errors.
    expect(codes.get(0) ?? 0).toBeGreaterThan(0);
    expect((codes.get(1) ?? 0) + (codes.get(2) ?? 0)).toBeGreaterThan(0);

    // Nothing escaped the scratch folder, and what the runs left inside it is sound.
    expect(markerHits([os.tmpdir(), process.cwd(), '/', path.dirname(home.dir), home.dir])).toEqual([]);
    // Nothing new in the folder the runs started from (relative paths would land there).
    expect(fs.readdirSync(process.cwd()).filter((n) => !cwdBefore.has(n))).toEqual([]);
    for (const root of [home.cacheRoot, path.join(home.dir, 'c1'), path.join(home.dir, 'nested', 'deep', 'c2'), path.join(home.dir, 'linked')]) {
      expect(auditCache(root).problems, root).toEqual([]);
    }
    for (const file of [home.catalogFile, path.join(home.dir, 'cat1.sqlite'), path.join(home.dir, 'sub', 'cat2.sqlite')]) {
      if (!fs.existsSync(file)) continue;
      const warnings: string[] = [];
      const catalog = await openCatalog({ file, wasmPath, onWarning: (w) => warnings.push(w) });
      const keys = catalog.listEntries().map((e) => `${e.kind}:${e.repoId}@${e.revision}`);
      await catalog.close();
      expect(warnings, file).toEqual([]);
      expect(new Set(keys).size, file).toBe(keys.length);
    }
  });
});
