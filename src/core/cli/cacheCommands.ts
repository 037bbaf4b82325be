import type { CacheInventory, InventoryRepo, InventoryRevision } from '../cacheInventory';
import { MistudioError } from '../errors';
import { formatBytes } from '../progress';
import type { CacheActionResult, CacheRevisionEstimate, StudioApi } from '../studioTypes';
import type { ParsedCommand } from './args';
import { entryJson, table } from './output';
import { EXIT, type CliIo } from './io';

type Command<C extends ParsedCommand['command']> = Extract<ParsedCommand, { command: C }>;

/** `mistudio add`: what the cache already holds becomes a ready catalog entry, with no request. */
export async function add(studio: StudioApi, cmd: Command<'add'>, io: CliIo): Promise<number> {
  const entry = await studio.adopt({ kind: cmd.kind, repoId: cmd.repoId, ...(cmd.revision !== undefined ? { revision: cmd.revision } : {}) });
  if (entry.status !== 'ready') throw new MistudioError(entry.errorCode ?? 'Io', entry.errorMessage ?? `${entry.repoId}@${entry.revision} ended ${entry.status}`);
  if (cmd.json) io.stdout.write(`${JSON.stringify(entryJson(entry), null, 2)}\n`);
  else io.stdout.write(`${entry.snapshotPath ?? ''}\n`);
  return EXIT.ok;
}

export async function cacheLs(studio: StudioApi, cmd: Command<'cache ls'>, io: CliIo): Promise<number> {
  const status = statusLine(io);
  const inventory = await withInterrupt(io, (signal) =>
    studio.inventory({ signal, onRepo: (_repo, p) => status(`Scanning the cache: ${p.reposDone}/${p.reposTotal} repos, ${p.filesScanned.toLocaleString('en-US')} files`) }),
  );
  status('');
  if (cmd.json) {
    io.stdout.write(`${JSON.stringify(inventory, null, 2)}\n`);
    return EXIT.ok;
  }
  const repos = [...inventory.repos].sort((a, b) => b.sizeOnDisk - a.sizeOnDisk || compare(idOf(a), idOf(b)));
  if (cmd.revisions) {
    const rows = repos.flatMap((repo) =>
      repo.revisions.map((r) => [idOf(repo), r.commit.slice(0, 12), r.refs.join(' ') || '(detached)', formatBytes(r.sizeOnDisk), String(r.nbFiles), heldBy(r), date(r.lastModified)]),
    );
    io.stdout.write(table(['ID', 'REVISION', 'REFS', 'SIZE', 'FILES', 'HELD BY', 'LAST MODIFIED'], rows));
  } else {
    const rows = repos.map((repo) => [
      idOf(repo),
      formatBytes(repo.sizeOnDisk),
      String(repo.nbFiles),
      String(repo.revisions.length),
      [...new Set(repo.revisions.flatMap((r) => r.refs))].join(' '),
      heldByRepo(repo),
      repo.partials.length > 0 ? `${repo.partials.length} (${formatBytes(repo.partials.reduce((s, p) => s + p.size, 0))})` : '',
      date(repo.lastModified),
    ]);
    io.stdout.write(table(['ID', 'SIZE', 'FILES', 'REVISIONS', 'REFS', 'HELD BY', 'PARTIAL', 'LAST MODIFIED'], rows));
  }
  io.stdout.write(`\n${summary(inventory)}\n`);
  for (const warning of inventory.warnings) io.stderr.write(`mistudio: warning: ${warning}\n`);
  return EXIT.ok;
}

export async function cacheRm(studio: StudioApi, cmd: Command<'cache rm'>, io: CliIo): Promise<number> {
  const estimate = await studio.estimateCacheDelete(cmd.targets);
  if (cmd.dryRun) {
    if (cmd.json) io.stdout.write(`${JSON.stringify(estimate, null, 2)}\n`);
    else {
      for (const r of estimate.revisions) io.stderr.write(`${describeRevision(r)}\n`);
      io.stderr.write(`Would free ${formatBytes(estimate.freedBytes)} (dry run: nothing was deleted)\n`);
    }
    return EXIT.ok;
  }
  return finish(await runAction(io, (options) => studio.deleteFromCache(cmd.targets, options)), cmd.json, io);
}

export async function cachePrune(studio: StudioApi, cmd: Command<'cache prune'>, io: CliIo): Promise<number> {
  const plan = await withInterrupt(io, (signal) => studio.planPrune(signal));
  if (plan.revisions.length === 0 && plan.partials.length === 0) {
    if (cmd.json) io.stdout.write(`${JSON.stringify(cmd.dryRun ? plan : emptyResult(), null, 2)}\n`);
    else io.stderr.write('Nothing to prune: no detached revision without a holder, no orphan partial download.\n');
    return EXIT.ok;
  }
  if (cmd.dryRun) {
    if (cmd.json) io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    else {
      for (const r of plan.revisions) io.stderr.write(`${describeRevision(r)}\n`);
      for (const p of plan.partials) io.stderr.write(`partial download ${p.path} (${formatBytes(p.size)})\n`);
      io.stderr.write(`Would free ${formatBytes(plan.freedBytes)} (dry run: nothing was deleted)\n`);
    }
    return EXIT.ok;
  }
  return finish(await runAction(io, (options) => studio.prune(options)), cmd.json, io);
}

export async function cacheVerify(studio: StudioApi, cmd: Command<'cache verify'>, io: CliIo): Promise<number> {
  const status = statusLine(io);
  const target = { ...cmd.target, revision: cmd.target.revision ?? 'main' };
  const verify = (): Promise<Awaited<ReturnType<StudioApi['verifyRevision']>>> =>
    withInterrupt(io, (signal) => studio.verifyRevision(target, { signal, onProgress: (p) => status(`Verifying ${target.repoId}: ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`) }));
  let report = await verify();
  status('');
  const label = `${report.repoId}@${report.commit.slice(0, 12)}`;
  if (report.bad.length > 0 && cmd.repair) {
    for (const b of report.bad) io.stderr.write(`${b.path}: ${problemText(b.problem)}; fetching it again\n`);
    const entry = await studio.whenSettled((await studio.repairRevision(report)).id);
    if (entry.status !== 'ready') throw new MistudioError(entry.errorCode ?? 'Io', `Repair of ${label} failed: ${entry.errorMessage ?? entry.status}`);
    report = await verify();
    status('');
  }
  if (cmd.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const b of report.bad) io.stderr.write(`${b.path}: ${problemText(b.problem)} (blob ${b.blobId})\n`);
    for (const p of report.unverifiable) io.stderr.write(`${p}: not verifiable (no listing or blob name gives its hash)\n`);
    io.stderr.write(
      report.bad.length === 0
        ? `${label}: ${report.files} file${report.files === 1 ? '' : 's'} verified (${formatBytes(report.bytes)} hashed)\n`
        : `${label}: ${report.bad.length} of ${report.files} files damaged${cmd.repair ? '' : '; run again with --repair to fetch them again'}\n`,
    );
  }
  return report.bad.length === 0 ? EXIT.ok : EXIT.failure;
}

async function runAction(io: CliIo, run: (options: { signal: AbortSignal; onProgress: (p: { done: number; total: number; current?: string }) => void }) => Promise<CacheActionResult>): Promise<CacheActionResult> {
  const status = statusLine(io);
  const result = await withInterrupt(io, (signal) => run({ signal, onProgress: (p) => status(`${p.done}/${p.total}${p.current ? ` ${p.current}` : ''}`) }));
  status('');
  return result;
}

/** Prints what each step did; a failed step is an error (exit 1), never counted as freed. */
function finish(result: CacheActionResult, json: boolean, io: CliIo): number {
  const failed = result.revisions.filter((r) => r.error !== undefined);
  if (json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const r of result.revisions) {
      const name = `${r.kind}/${r.repoId}@${r.commit.slice(0, 12)}`;
      if (r.error !== undefined) io.stderr.write(`mistudio: error: ${name}: ${r.error} (it will be tried again at the next start)\n`);
      else io.stderr.write(`Deleted ${name}: freed ${formatBytes(r.freedBytes)}${r.pathsKept > 0 ? `; kept ${r.pathsKept} file${r.pathsKept === 1 ? '' : 's'} other catalogs hold` : ''}\n`);
      for (const s of r.skipped) io.stderr.write(`  left alone: ${s}\n`);
    }
    for (const p of result.partials) io.stderr.write(p.removed ? `Removed partial ${p.path} (${formatBytes(p.size)})\n` : `Kept partial ${p.path}: a download is writing it\n`);
    io.stderr.write(`${result.cancelled ? 'Stopped. ' : ''}Freed ${formatBytes(result.freedBytes)}.\n`);
  }
  if (result.cancelled) return EXIT.interrupted;
  return failed.length > 0 ? EXIT.failure : EXIT.ok;
}

function emptyResult(): CacheActionResult {
  return { freedBytes: 0, revisions: [], partials: [], cancelled: false };
}

function describeRevision(r: CacheRevisionEstimate): string {
  const refs = r.refs.length > 0 ? ` (${r.refs.join(', ')})` : ' (detached)';
  const entries = r.entries.length > 0 ? `; removes ${r.entries.length} catalog entr${r.entries.length === 1 ? 'y' : 'ies'}` : '';
  const held = r.heldBy.length > 0 ? `; files stay for ${r.heldBy.map((h) => `${h.catalog ?? 'this catalog'} (${h.revision})`).join(', ')}` : '';
  return `${r.kind}/${r.repoId}@${r.commit.slice(0, 12)}${refs}: frees ${formatBytes(r.freedBytes)}${entries}${held}`;
}

function problemText(problem: 'missing' | 'size' | 'content'): string {
  return problem === 'missing' ? 'missing (the link leads nowhere)' : problem === 'size' ? 'wrong size' : 'content does not match its hash';
}

function summary(inventory: CacheInventory): string {
  const parts = [`${inventory.repos.length} repo${inventory.repos.length === 1 ? '' : 's'}, ${formatBytes(inventory.sizeOnDisk)} in ${inventory.root}`];
  if (inventory.partialBytes > 0) parts.push(`partial downloads ${formatBytes(inventory.partialBytes)}`);
  if (inventory.xet) parts.push(`Xet chunk cache ${formatBytes(inventory.xet.bytes)} in ${inventory.xet.path}`);
  return parts.join('; ');
}

function heldBy(r: InventoryRevision): string {
  const parts = [...(r.entries.length > 0 ? ['this catalog'] : []), ...(r.otherCatalogs.length > 0 ? [`${new Set(r.otherCatalogs.map((c) => c.catalog)).size} other catalog(s)`] : [])];
  return parts.join(', ') || '-';
}

function heldByRepo(repo: InventoryRepo): string {
  const ours = repo.revisions.some((r) => r.entries.length > 0);
  const others = new Set(repo.revisions.flatMap((r) => r.otherCatalogs.map((c) => c.catalog))).size;
  return [...(ours ? ['this catalog'] : []), ...(others > 0 ? [`${others} other catalog(s)`] : [])].join(', ') || '-';
}

function idOf(repo: { kind: string; repoId: string }): string {
  return `${repo.kind}/${repo.repoId}`;
}

function date(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : '';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs `work` with a signal Ctrl-C aborts. */
async function withInterrupt<T>(io: CliIo, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const dispose = io.onInterrupt?.(() => controller.abort());
  try {
    return await work(controller.signal);
  } finally {
    dispose?.();
  }
}

/** One rewritten line of status on a terminal's stderr (nothing when it is not a terminal); '' clears it. */
function statusLine(io: CliIo): (text: string) => void {
  let width = 0;
  return (text) => {
    if (io.stderr.isTTY !== true || (text === '' && width === 0)) return;
    const line = text.slice(0, Math.max(20, (io.stderr.columns ?? 100) - 1));
    io.stderr.write(`\r${line}${' '.repeat(Math.max(0, width - line.length))}${text === '' ? '\r' : ''}`);
    width = text === '' ? 0 : line.length;
  };
}
