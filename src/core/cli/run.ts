import * as os from 'node:os';
import * as path from 'node:path';
import { resolveCacheRoot, resolveXetCacheRoot } from '../cache';
import { echo } from '../echo';
import { describeError, isMistudioError, MistudioError } from '../errors';
import { isOfflineEnv, resolveEndpoint, resolveToken } from '../hub';
import { formatBytes, rateLimitNote } from '../progress';
import { validateRepoId, validateRevision } from '../repo';
import type { NetworkLimits } from '../net/limits';
import { networkLimitsFor, readUserNetworkLimits, USER_NETWORK_LIMIT_ENV, type UserNetworkLimits } from '../net/userLimits';
import { openStudio } from '../studio';
import type { CatalogEntry } from '../catalog';
import type { DownloadRequest, RevisionHolder, StudioApi, StudioOptions } from '../studioTypes';
import { parseCommand, USAGE, type CommonOptions, type ParsedCommand } from './args';
import { add, cacheLs, cachePrune, cacheRm, cacheVerify } from './cacheCommands';
import { EXIT, type CliIo } from './io';
import { entryJson, progressLine, table } from './output';

export { EXIT, type CliIo } from './io';

/** Runs one CLI command; never throws: failures become one line on stderr and a non-zero exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: ParsedCommand;
  try {
    // Arguments are checked in full before anything is opened: a bad repo id creates no catalog folder.
    command = checkArguments(parseCommand(argv));
  } catch (err) {
    io.stderr.write(`mistudio: error: ${oneLine(err)}\n`);
    return EXIT.usage;
  }
  if (command.command === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  let studio: StudioApi | undefined;
  try {
    studio = await open(command, io);
    switch (command.command) {
      case 'download':
        return await download(studio, command, io);
      case 'list':
        return list(studio, command, io);
      case 'rm':
        return await remove(studio, command, io);
      case 'scan':
        return await scan(studio, command, io);
      case 'add':
        return await add(studio, command, io);
      case 'cache ls':
        return await cacheLs(studio, command, io);
      case 'cache rm':
        return await cacheRm(studio, command, io);
      case 'cache prune':
        return await cachePrune(studio, command, io);
      case 'cache verify':
        return await cacheVerify(studio, command, io);
      default:
        return EXIT.usage;
    }
  } catch (err) {
    io.stderr.write(`mistudio: error: ${oneLine(err)}\n`);
    if (io.env.MISTUDIO_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return isMistudioError(err, 'InvalidInput') ? EXIT.usage : EXIT.failure;
  } finally {
    await studio?.close().catch(() => undefined);
  }
}

async function open(options: CommonOptions, io: CliIo): Promise<StudioApi> {
  const homedir = io.homedir ?? os.homedir();
  const endpoint = resolveEndpoint({ ...(options.endpoint ? { override: options.endpoint } : {}), env: io.env });
  const cacheRoot = resolveCacheRoot({ ...(options.cacheDir ? { override: options.cacheDir } : {}), env: io.env, homedir });
  const token = await resolveToken({ ...(options.token ? { override: options.token } : {}), env: io.env, homedir });
  const catalogFile = path.resolve(options.catalog ?? io.env.MISTUDIO_CATALOG ?? defaultCatalog(io.env, homedir));
  const studio = await (io.openStudio ?? openStudio)({
    catalogFile,
    wasmPath: io.wasmPath,
    cacheRoot,
    xetCacheRoot: resolveXetCacheRoot({ env: io.env, homedir }),
    endpoint,
    offline: isOfflineEnv(io.env),
    network: networkLimitsFromEnv(io.env),
    token: () => token,
    userAgent: 'mistudio-cli',
    onWarning: (message) => io.stderr.write(`mistudio: warning: ${message}\n`),
  });
  try {
    // Finish what an earlier run left: interrupted cleanups run, interrupted downloads wait as paused.
    await studio.reconcile();
  } catch (err) {
    // The caller never sees this studio, so it cannot close it: close it here, or its catalog stays open.
    await studio.close().catch(() => undefined);
    throw err;
  }
  return studio;
}

/** The repo id and revision, validated and trimmed, for the commands that take them. */
function checkArguments(command: ParsedCommand): ParsedCommand {
  if (command.command !== 'download' && command.command !== 'rm' && command.command !== 'add') return command;
  return {
    ...command,
    repoId: validateRepoId(command.repoId),
    ...(command.revision !== undefined ? { revision: validateRevision(command.revision) } : {}),
  };
}

/**
 * The network limits a mirror may need more of, from MISTUDIO_REQUEST_TIMEOUT_SECONDS, MISTUDIO_MAX_METADATA_MB,
 * MISTUDIO_MAX_REPO_FILES and MISTUDIO_MIN_DOWNLOAD_SPEED_KBPS (the extension's mistudio.network.* settings). A value
 * out of range is a usage error, not a silent default.
 */
function networkLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<NetworkLimits> {
  const raw = (key: keyof UserNetworkLimits): string | undefined => env[USER_NETWORK_LIMIT_ENV[key]]?.trim() || undefined;
  const user = readUserNetworkLimits(
    (key) => {
      const text = raw(key);
      return text === undefined ? undefined : Number(text);
    },
    (key, expected) => {
      throw new MistudioError('InvalidInput', `${USER_NETWORK_LIMIT_ENV[key]}=${echo(raw(key) ?? '', 40)} is not ${expected}`);
    },
  );
  return networkLimitsFor(user);
}

function defaultCatalog(env: NodeJS.ProcessEnv, homedir: string): string {
  const cache = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : path.join(homedir, '.cache');
  return path.join(cache, 'mistudio', 'catalog.sqlite');
}

async function download(studio: StudioApi, cmd: Extract<ParsedCommand, { command: 'download' }>, io: CliIo): Promise<number> {
  const request = {
    kind: cmd.kind,
    repoId: cmd.repoId,
    ...(cmd.revision !== undefined ? { revision: cmd.revision } : {}),
    include: cmd.include,
    exclude: cmd.exclude,
  };
  const { entry, label, repoId } = await planAndEnqueue(studio, request, io);
  const tty = io.stderr.isTTY === true;
  let lastWidth = 0;
  let rateLimitShown = false;
  const progress = studio.onDidProgress(({ entryId, progress: p }) => {
    if (entryId !== entry.id) return;
    if (!tty) {
      // Without a progress line, a rate limit's wait is said once as it starts: a long silence is not a hang.
      const note = rateLimitNote(p.rateLimitResumeSeconds);
      if (note !== undefined && !rateLimitShown) io.stderr.write(`mistudio: ${note}\n`);
      rateLimitShown = note !== undefined;
      return;
    }
    const line = progressLine(repoId, p).slice(0, Math.max(20, (io.stderr.columns ?? 100) - 1));
    io.stderr.write(`\r${line}${' '.repeat(Math.max(0, lastWidth - line.length))}`);
    lastWidth = line.length;
  });
  let interrupted = false;
  const disposeInterrupt = io.onInterrupt?.(() => {
    // Ctrl-C pauses: the partial files stay, and running the same command again resumes byte-exactly.
    interrupted = true;
    void studio.pause(entry.id);
  });
  try {
    const settled = await studio.whenSettled(entry.id);
    if (tty && lastWidth > 0) io.stderr.write('\n');
    if (interrupted || settled.status === 'paused') {
      io.stderr.write(`mistudio: paused ${label}; run the same command again to resume\n`);
      return EXIT.interrupted;
    }
    if (settled.status !== 'ready') {
      throw new MistudioError(settled.errorCode ?? 'Io', settled.errorMessage ?? `${label} ended ${settled.status}`);
    }
    if (cmd.json) io.stdout.write(`${JSON.stringify(entryJson(settled), null, 2)}\n`);
    // Like `hf download`: the snapshot folder on stdout, ready for scripts.
    else io.stdout.write(`${settled.snapshotPath ?? ''}\n`);
    return EXIT.ok;
  } finally {
    progress.dispose();
    disposeInterrupt?.();
  }
}

/**
 * Plans (printing what the download will do) and queues the download of that plan. Its own function so the plan — a
 * whole listing, 100k files for a large dataset — is not held while the download runs.
 */
async function planAndEnqueue(studio: StudioApi, request: DownloadRequest, io: CliIo): Promise<{ entry: CatalogEntry; label: string; repoId: string }> {
  const plan = await studio.plan(request);
  const label = `${plan.ref.repoId}@${plan.revision}`;
  io.stderr.write(
    `${label} (${plan.commit.slice(0, 12)}): ${plan.files.length} file${plan.files.length === 1 ? '' : 's'}, ${formatBytes(plan.totalBytes)}` +
      (plan.bytesToDownload < plan.totalBytes ? ` (${formatBytes(plan.bytesToDownload)} to download)` : '') +
      '\n',
  );
  return { entry: await studio.enqueue(plan), label, repoId: plan.ref.repoId };
}

function list(studio: StudioApi, cmd: Extract<ParsedCommand, { command: 'list' }>, io: CliIo): number {
  const { items } = studio.catalog.search({
    ...(cmd.kind ? { kind: cmd.kind } : {}),
    ...(cmd.search !== undefined ? { text: cmd.search } : {}),
    sort: 'name',
  });
  if (cmd.json) {
    io.stdout.write(`${JSON.stringify(items.map(entryJson), null, 2)}\n`);
    return EXIT.ok;
  }
  if (items.length === 0) {
    io.stderr.write(cmd.search !== undefined ? `No entries match "${echo(cmd.search)}".\n` : 'The catalog is empty. Add something with: mistudio download <repo_id>\n');
    return EXIT.ok;
  }
  io.stdout.write(
    table(
      ['REPO ID', 'TYPE', 'REVISION', 'STATUS', 'SIZE', 'FILES', 'COMMIT'],
      items.map((e) => [
        e.repoId,
        e.kind,
        e.revision,
        e.status === 'error' && e.errorCode ? `error (${e.errorCode})` : e.status,
        e.status === 'ready' || e.bytesDone === 0 ? formatBytes(e.bytesTotal) : `${formatBytes(e.bytesDone)}/${formatBytes(e.bytesTotal)}`,
        String(e.fileCount),
        e.commit?.slice(0, 12) ?? '',
      ]),
    ),
  );
  return EXIT.ok;
}

async function remove(studio: StudioApi, cmd: Extract<ParsedCommand, { command: 'rm' }>, io: CliIo): Promise<number> {
  const { repoId, revision } = cmd;
  const entries = studio.catalog
    .listEntries({ kind: cmd.kind, repoId })
    .filter((e) => revision === undefined || e.revision === revision);
  if (entries.length === 0) {
    const what = cmd.kind === 'dataset' ? 'Dataset' : 'Model';
    throw new MistudioError('InvalidInput', `${what} ${repoId}${revision ? `@${revision}` : ''} is not in the catalog (see mistudio list${cmd.kind === 'model' ? '; add --dataset for datasets' : ''})`);
  }
  let freed = 0;
  const heldBy = new Map<string, RevisionHolder>();
  for (const entry of entries) {
    const result = await studio.delete(entry.id);
    freed += result.freedBytesEstimate;
    for (const h of result.heldBy) heldBy.set(`${h.catalog ?? ''}\0${h.revision}`, h);
  }
  await studio.whenIdle();
  const holders = [...heldBy.values()];
  if (cmd.json) io.stdout.write(`${JSON.stringify({ removed: entries.map(entryJson), freedBytes: freed, heldBy: holders }, null, 2)}\n`);
  else {
    io.stderr.write(`Removed ${entries.map((e) => `${e.repoId}@${e.revision}`).join(', ')}; freed ${formatBytes(freed)}\n`);
    // Why less was freed than the files take: someone else still holds them.
    for (const h of holders) io.stderr.write(`  files kept for ${h.catalog ?? 'another entry of this catalog'} (${h.revision})\n`);
  }
  return EXIT.ok;
}

async function scan(studio: StudioApi, cmd: Extract<ParsedCommand, { command: 'scan' }>, io: CliIo): Promise<number> {
  const result = await studio.scanCache();
  if (cmd.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    table(
      ['REPO ID', 'TYPE', 'SIZE ON DISK', 'FILES', 'REVISIONS', 'REFS', 'PARTIAL', 'LAST MODIFIED'],
      result.repos.map((r) => [
        r.repoId,
        r.kind,
        formatBytes(r.sizeOnDisk),
        String(r.nbFiles),
        r.revisions.map((rev) => rev.commit.slice(0, 12)).join(' '),
        Object.keys(r.refs).join(' '),
        r.partialFiles.length > 0 ? `${r.partialFiles.length} (${formatBytes(r.partialFiles.reduce((s, p) => s + p.size, 0))})` : '',
        r.lastModified > 0 ? new Date(r.lastModified).toISOString().slice(0, 19).replace('T', ' ') : '',
      ]),
    ),
  );
  io.stdout.write(`\n${result.repos.length} repo${result.repos.length === 1 ? '' : 's'}, ${formatBytes(result.sizeOnDisk)} in ${result.root}\n`);
  for (const warning of result.warnings) io.stderr.write(`mistudio: warning: ${warning}\n`);
  return EXIT.ok;
}

/** The error as one terminal-safe line: whatever a message embeds (a path, a server's text) cannot drive the terminal. */
function oneLine(err: unknown): string {
  return echo(describeError(err).replace(/\s+/g, ' ').trim(), 1000);
}
