import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMistudioError } from '../../../src/core/errors';
import { openStudio } from '../../../src/core/studio';
import { startFakeHub, type FakeHub, type FakeRepo } from '../../fake-hub/index';
import { seededBytes } from '../../fake-hub/safetensors';
import {
  auditCache,
  cliInProcess,
  errorLines,
  hasStackTrace,
  repoFolder,
  scratch,
  suiteSeed,
  treeChanges,
  treeSnapshot,
  verifySnapshot,
  wasmPath,
  type CliResult,
  type Scratch,
} from './helpers';
import { createTally, writeTally } from './summary';

const seed = suiteSeed('hostileInput');
/** Every hostile name carries this, so anything it created anywhere can be found. */
const M = `pwn${seed}`;

const okRepo: FakeRepo = {
  kind: 'model',
  id: 'ok/repo',
  commits: [
    {
      files: [
        { path: 'config.json', content: '{"model_type": "ok"}\n' },
        { path: 'nested/name with space ü.txt', content: 'fine\n' },
        { path: 'weights.bin', content: seededBytes(96 * 1024, 8), lfs: true },
      ],
    },
  ],
};

const HOSTILE_REPO_IDS = [
  '..',
  '.',
  '../..',
  `../${M}`,
  `../../../../../../tmp/${M}`,
  `/tmp/${M}`,
  `org/../${M}`,
  'org/..',
  `org/name/${M}`,
  `org/name with space ${M}`,
  `org/名前-${M}`,
  `org/na\u0000me${M}`,
  `org/\u001b[2J${M}`,
  `${M}${'x'.repeat(10 * 1024)}`,
  `org/${M}${'y'.repeat(10 * 1024)}`,
  '',
  ' ',
  `C:\\${M}`,
  `org\\${M}`,
  `org/${M}%2F..`,
  `org//${M}`,
  `-${M}`,
  `org/--${M}`,
  `~/${M}`,
  `$HOME/${M}`,
];

const HOSTILE_REVISIONS = [
  '..',
  `../../${M}`,
  `refs/../../${M}`,
  `/${M}`,
  'main/',
  `a b${M}`,
  `\u0000${M}`,
  `${M}${'x'.repeat(10 * 1024)}`,
  `refs/pr/../../${M}`,
  `.${M}`,
  'main.lock',
  `a:${M}`,
  `~${M}`,
  `a\\${M}`,
  '@{1}',
  `${M}/.`,
  '\u001b[2J',
  '',
  ' ',
];

/** Valid ref names (git allows unicode) that the Hub does not have: not refused, but "not found", nothing written. */
const ABSENT_REVISIONS = [`ünïcode-${M}`, `branch/名前-${M}`, `branch/çà-😀-${M}`];

/** File paths a malicious Hub (or mirror) could list; each must be refused before anything is written. */
const HOSTILE_HUB_PATHS = [
  `a\\..\\..\\${M}.txt`,
  `${M}\u0000.txt`,
  `C:/${M}.txt`,
  `sub/./${M}.txt`,
  `.../${M}.txt`,
  `${M}${'z'.repeat(300)}.txt`,
  `${M}${'w'.repeat(10 * 1024)}`,
  `dir/\u001b[2J${M}.txt`,
];

function oneClearLine(r: CliResult, message: RegExp, label: string): void {
  const lines = errorLines(r.stderr);
  expect(lines, label).toHaveLength(1);
  expect(lines[0], label).toMatch(message);
  // A 10 KB input is cut short in the message rather than echoed whole.
  expect(lines[0]!.length, label).toBeLessThan(300);
  // Escape sequences and other control characters are shown escaped, never sent to the terminal.
  // eslint-disable-next-line no-control-regex
  expect(r.stderr.replace(/\n/g, ''), label).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  expect(hasStackTrace(r.stderr), label).toBe(false);
}

/** Names containing the marker in the places a path escape would land. */
function markerHits(extraRoots: readonly string[]): string[] {
  const roots = [os.tmpdir(), process.cwd(), '/', ...extraRoots];
  const hits: string[] = [];
  for (const root of roots) {
    for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) if (name.includes(M)) hits.push(path.join(root, name));
  }
  return hits;
}

describe('hostile input', () => {
  const tally = createTally();
  let hub: FakeHub;
  let home: Scratch;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    hub = await startFakeHub({ repos: [okRepo] });
  });
  afterAll(async () => {
    await hub.close();
    await writeTally('hostileInput', tally);
  });
  beforeEach(() => {
    home = scratch('hostile');
    env = { ...home.env, HF_ENDPOINT: hub.url };
    hub.resetStats();
  });
  afterEach(() => home.cleanup());

  /** Only the catalog may appear or change in the scratch folder: nothing in the cache, nothing elsewhere. */
  function expectNothingWritten(before: Map<string, string>, label: string): void {
    const changed = treeChanges(before, treeSnapshot(home.dir)).filter((p) => !/^catalog\.sqlite(\.tmp-\d+-\d+)?$/.test(p));
    expect(changed, label).toEqual([]);
    expect(markerHits([path.dirname(home.dir), home.dir]), label).toEqual([]);
    // Refused before the network: no hostile name ever reached the Hub.
    expect(hub.requests.filter((r) => decodeURIComponent(r.url).includes(M)).map((r) => r.url.slice(0, 120)), label).toEqual([]);
  }

  it('repo ids with "..", "/", spaces, unicode, NUL, escapes and 10 KB through the CLI: refused in one line, nothing written', async () => {
    const before = treeSnapshot(home.dir);
    for (const id of HOSTILE_REPO_IDS) {
      for (const argv of [['download', id], ['download', id, '--dataset'], ['rm', id], ['rm', id, '--dataset', '--revision', 'main']]) {
        const label = JSON.stringify(argv).slice(0, 120);
        const r = await cliInProcess(argv, env, home.dir);
        expect(r.code, label).toBe(2);
        // A leading "-" reads as an option: a usage error of its own, just as clear.
        oneClearLine(r, id.startsWith('-') ? /Unknown option/ : /Invalid repo id/, label);
        expect(r.stdout, label).toBe('');
        tally.scenarios += 1;
        tally.faultsInjected += 1;
      }
    }
    expectNothingWritten(before, 'repo ids');
  });

  it('revisions with "..", "/", spaces, NUL, escapes and 10 KB through the CLI: refused in one line, nothing written', async () => {
    const before = treeSnapshot(home.dir);
    for (const revision of HOSTILE_REVISIONS) {
      for (const argv of [['download', okRepo.id, '--revision', revision], ['rm', okRepo.id, '--revision', revision]]) {
        const label = JSON.stringify(argv).slice(0, 120);
        const r = await cliInProcess(argv, env, home.dir);
        expect(r.code, label).toBe(2);
        oneClearLine(r, /Invalid revision/, label);
        tally.scenarios += 1;
        tally.faultsInjected += 1;
      }
    }
    expectNothingWritten(before, 'revisions');
  });

  it('unicode revisions the Hub does not have: "not found" in one line, nothing written in the cache', async () => {
    for (const revision of ABSENT_REVISIONS) {
      const r = await cliInProcess(['download', okRepo.id, '--revision', revision], env, home.dir);
      expect(r.code, revision).toBe(1);
      oneClearLine(r, /Revision ".+" not found in ok\/repo/, revision);
      tally.scenarios += 1;
    }
    expect(fs.existsSync(home.cacheRoot)).toBe(false);
    expect(markerHits([home.dir])).toEqual([]);
  });

  it('through studio.plan and studio.enqueue: typed InvalidInput, no entry recorded, nothing written', async () => {
    const before = treeSnapshot(home.dir);
    const studio = await openStudio({ catalogFile: home.catalogFile, wasmPath, cacheRoot: home.cacheRoot, endpoint: hub.url });
    try {
      const requests = [
        ...HOSTILE_REPO_IDS.flatMap((repoId) => [{ kind: 'model' as const, repoId }, { kind: 'dataset' as const, repoId }]),
        ...HOSTILE_REVISIONS.map((revision) => ({ kind: 'model' as const, repoId: okRepo.id, revision })),
      ];
      for (const request of requests) {
        const label = JSON.stringify(request).slice(0, 120);
        for (const call of [() => studio.plan(request), () => studio.enqueue(request)]) {
          const err = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isMistudioError(err, 'InvalidInput'), `${label}: ${String(err)}`).toBe(true);
          const message = (err as Error).message;
          expect(message, label).not.toMatch(/\n/);
          expect(message.length, label).toBeLessThan(300);
          tally.scenarios += 1;
          tally.faultsInjected += 1;
        }
      }
      expect(studio.catalog.listEntries()).toEqual([]);
      // Unicode revisions are valid ref names: recorded, then a typed RevisionNotFound on the entry.
      for (const revision of ABSENT_REVISIONS) {
        await expect(studio.plan({ kind: 'model', repoId: okRepo.id, revision })).rejects.toSatisfy((e) => isMistudioError(e, 'RevisionNotFound'));
        const entry = await studio.enqueue({ kind: 'model', repoId: okRepo.id, revision });
        const done = await studio.whenSettled(entry.id);
        expect(done.status).toBe('error');
        expect(done.errorCode).toBe('RevisionNotFound');
      }
      await studio.whenIdle();
    } finally {
      await studio.close();
    }
    expect(fs.existsSync(home.cacheRoot)).toBe(false);
    expect(treeChanges(before, treeSnapshot(home.dir)).filter((p) => !p.startsWith('catalog.sqlite'))).toEqual([]);
    expect(markerHits([home.dir])).toEqual([]);
  });

  it('include / exclude patterns with NUL, "..", absolute paths and 10 KB are only globs: nothing outside the cache', async () => {
    const before = treeSnapshot(home.dir);
    const r = await cliInProcess(
      ['download', okRepo.id, '--include', `\u0000${M}`, '--include', `../../${M}/*`, '--include', `/tmp/${M}`, '--include', `${'*'.repeat(10 * 1024)}.json`, '--exclude', `../${M}`],
      env,
      home.dir,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(errorLines(r.stderr)).toEqual([]);
    // Only config.json matched the 10 KB "*…*.json"; it arrived verified.
    const snapshot = r.stdout.trim();
    expect(fs.readFileSync(path.join(snapshot, 'config.json'), 'utf8')).toContain('"ok"');
    expect(fs.existsSync(path.join(snapshot, 'weights.bin'))).toBe(false);
    expect(auditCache(home.cacheRoot).problems).toEqual([]);
    const outside = treeChanges(before, treeSnapshot(home.dir)).filter((p) => !p.startsWith('catalog.sqlite') && p !== 'hub' && !p.startsWith('hub/'));
    expect(outside).toEqual([]);
    expect(markerHits([home.dir, home.cacheRoot])).toEqual([]);
    tally.scenarios += 1;
    tally.faultsInjected += 5;
  });

  it.each(HOSTILE_HUB_PATHS.map((p) => [JSON.stringify(p).slice(0, 60), p] as const))(
    'a hostile file path from the Hub (%s) is refused as UnsafePath in one line; nothing lands anywhere',
    async (_label, hostile) => {
      const evil: FakeRepo = {
        kind: 'model',
        id: `evil/repo-${HOSTILE_HUB_PATHS.indexOf(hostile)}`,
        commits: [{ files: [{ path: 'config.json', content: '{}\n' }, { path: hostile, content: 'pwned\n', lfs: false }] }],
      };
      hub.addRepo(evil);
      const before = treeSnapshot(home.dir);
      const r = await cliInProcess(['download', evil.id], env, home.dir);
      expect(r.code).toBe(1);
      oneClearLine(r, /Refusing file|Unsafe file path/, hostile.slice(0, 60));
      const entries = JSON.parse((await cliInProcess(['list', '--json'], env, home.dir)).stdout) as Array<{ status: string; error: { code: string } | null }>;
      // Refused while planning, before the CLI records an entry.
      expect(entries).toEqual([]);
      // Nothing named after the hostile file anywhere: not in the cache, not outside it; the file was never fetched.
      const changed = treeChanges(before, treeSnapshot(home.dir)).filter((p) => !p.startsWith('catalog.sqlite'));
      expect(changed.filter((p) => p.includes(M))).toEqual([]);
      expect(changed.filter((p) => !p.startsWith('hub/') && p !== 'hub')).toEqual([]);
      expect(markerHits([home.dir])).toEqual([]);
      expect(auditCache(home.cacheRoot).problems).toEqual([]);
      expect(hub.requests.some((q) => q.url.includes('/resolve/') && decodeURIComponent(q.url).includes(M))).toBe(false);
      tally.scenarios += 1;
      tally.faultsInjected += 1;
    },
  );

  it('a cache root that is a symlink works: download, scan, rm — confined to the real folder, the link kept', async () => {
    const real = path.join(home.dir, 'real-cache');
    fs.mkdirSync(real);
    const link = path.join(home.dir, 'linked-cache');
    fs.symlinkSync(real, link, 'dir');
    const linkedEnv = { ...env, HF_HUB_CACHE: link };
    const before = treeSnapshot(home.dir);

    const r = await cliInProcess(['download', okRepo.id], linkedEnv, home.dir);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().startsWith(link)).toBe(true);
    tally.bytesVerified += verifySnapshot(hub, link, okRepo);
    tally.bytesVerified += verifySnapshot(hub, real, okRepo);
    expect(auditCache(link).problems).toEqual([]);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    const written = treeChanges(before, treeSnapshot(home.dir)).filter((p) => !p.startsWith('catalog.sqlite'));
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((p) => !p.startsWith('real-cache/'))).toEqual([]);

    const scan = JSON.parse((await cliInProcess(['scan', '--json'], linkedEnv, home.dir)).stdout) as { repos: Array<{ repoId: string }>; warnings: string[] };
    expect(scan.repos.map((x) => x.repoId)).toEqual([okRepo.id]);
    expect(scan.warnings).toEqual([]);

    const rm = await cliInProcess(['rm', okRepo.id], linkedEnv, home.dir);
    expect(rm.code, rm.stderr).toBe(0);
    expect(fs.existsSync(repoFolder(real, 'model', okRepo.id))).toBe(false);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readdirSync(home.dir).sort()).toEqual(['catalog.sqlite', 'catalog.sqlite.lock', 'catalog.sqlite.log', 'catalog.sqlite.log.prev', 'catalog.sqlite.owners', 'linked-cache', 'real-cache']);
    tally.scenarios += 1;
  });
});
