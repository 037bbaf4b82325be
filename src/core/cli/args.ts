import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { echo } from '../echo';
import { MistudioError } from '../errors';
import { validateRepoId, validateRevision, type CacheRepoKind, type RepoKind } from '../repo';
import type { CacheTarget } from '../studioTypes';

export const USAGE = `usage: mistudio <command> [options]

commands:
  download <repo_id> [--dataset] [--revision REV] [--include GLOB]... [--exclude GLOB]...
  add <repo_id> [--dataset] [--revision REV]      add what the cache already holds to the catalog (no download)
  list [--models | --datasets] [--search TEXT]
  rm <repo_id> [--dataset] [--revision REV]       remove a catalog entry; frees what no one else holds
  scan

  cache ls [--revisions]                          every repo in the cache, whoever put it there, and who holds it
  cache rm <repo_id>[@REV]... [--dataset | --space] [--dry-run]
                                                  delete revisions (or whole repos) from disk
  cache prune [--dry-run]                         delete detached revisions no catalog holds and orphan partials
  cache verify <repo_id>[@REV] [--dataset | --space] [--repair]
                                                  re-hash every file; --repair fetches the bad ones again

common options:
  --endpoint URL     Hub endpoint or mirror (default: $HF_ENDPOINT, else https://huggingface.co)
  --cache-dir DIR    Hugging Face hub cache (default: $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)
  --catalog FILE     catalog database (default: $MISTUDIO_CATALOG, else ~/.cache/mistudio/catalog.sqlite)
  --token TOKEN      Hugging Face token (default: $HF_TOKEN, else the token file of \`hf auth login\`)
  --json             machine-readable output on stdout
  -h, --help         this help
`;

export type CommandName = 'download' | 'add' | 'list' | 'rm' | 'scan' | 'cache';
type CacheSubcommand = 'ls' | 'rm' | 'prune' | 'verify';

export interface CommonOptions {
  readonly endpoint?: string;
  readonly cacheDir?: string;
  readonly catalog?: string;
  readonly token?: string;
  readonly json: boolean;
}

export type ParsedCommand =
  | { readonly command: 'help' }
  | ({ readonly command: 'download'; readonly repoId: string; readonly kind: RepoKind; readonly revision?: string; readonly include: string[]; readonly exclude: string[] } & CommonOptions)
  | ({ readonly command: 'list'; readonly kind?: RepoKind; readonly search?: string } & CommonOptions)
  | ({ readonly command: 'rm'; readonly repoId: string; readonly kind: RepoKind; readonly revision?: string } & CommonOptions)
  | ({ readonly command: 'scan' } & CommonOptions)
  | ({ readonly command: 'add'; readonly repoId: string; readonly kind: RepoKind; readonly revision?: string } & CommonOptions)
  | ({ readonly command: 'cache ls'; readonly revisions: boolean } & CommonOptions)
  | ({ readonly command: 'cache rm'; readonly targets: CacheTarget[]; readonly dryRun: boolean } & CommonOptions)
  | ({ readonly command: 'cache prune'; readonly dryRun: boolean } & CommonOptions)
  | ({ readonly command: 'cache verify'; readonly target: CacheTarget; readonly repair: boolean } & CommonOptions);

const COMMON: ParseArgsOptionsConfig = {
  endpoint: { type: 'string' },
  'cache-dir': { type: 'string' },
  catalog: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const PER_COMMAND: Record<CommandName, ParseArgsOptionsConfig> = {
  download: {
    dataset: { type: 'boolean', default: false },
    revision: { type: 'string' },
    include: { type: 'string', multiple: true, default: [] },
    exclude: { type: 'string', multiple: true, default: [] },
  },
  list: {
    models: { type: 'boolean', default: false },
    datasets: { type: 'boolean', default: false },
    search: { type: 'string' },
  },
  rm: {
    dataset: { type: 'boolean', default: false },
    revision: { type: 'string' },
  },
  scan: {},
  add: {
    dataset: { type: 'boolean', default: false },
    revision: { type: 'string' },
  },
  cache: {},
};

const CACHE_KIND: ParseArgsOptionsConfig = {
  dataset: { type: 'boolean', default: false },
  space: { type: 'boolean', default: false },
};

const PER_CACHE_COMMAND: Record<CacheSubcommand, ParseArgsOptionsConfig> = {
  ls: { revisions: { type: 'boolean', default: false } },
  rm: { ...CACHE_KIND, 'dry-run': { type: 'boolean', default: false } },
  prune: { 'dry-run': { type: 'boolean', default: false } },
  verify: { ...CACHE_KIND, repair: { type: 'boolean', default: false } },
};

/** Parses argv (without node and script) into one command; any mistake is a one-line InvalidInput error. */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const [first, ...afterFirst] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') return { command: 'help' };
  if (!isCommand(first)) {
    throw new MistudioError('InvalidInput', `unknown command "${echo(first, 60)}" (expected download, add, list, rm, scan or cache; see mistudio --help)`);
  }
  const [sub, ...afterSub] = afterFirst;
  if (first === 'cache' && (sub === undefined || sub === '-h' || sub === '--help')) return { command: 'help' };
  if (first === 'cache' && !isCacheSubcommand(sub)) {
    throw new MistudioError('InvalidInput', `unknown command "cache ${echo(sub ?? '', 60)}" (expected cache ls, rm, prune or verify; see mistudio --help)`);
  }
  const name = first === 'cache' ? `cache ${sub as CacheSubcommand}` : first;
  const rest = first === 'cache' ? afterSub : afterFirst;
  const options = first === 'cache' ? PER_CACHE_COMMAND[sub as CacheSubcommand] : PER_COMMAND[first];
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new MistudioError('InvalidInput', `${name}: ${parseArgsMessage(err)}`);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (v.help === true) return { command: 'help' };
  const common: CommonOptions = {
    json: v.json === true,
    ...(typeof v.endpoint === 'string' ? { endpoint: v.endpoint } : {}),
    ...(typeof v['cache-dir'] === 'string' ? { cacheDir: v['cache-dir'] } : {}),
    ...(typeof v.catalog === 'string' ? { catalog: v.catalog } : {}),
    ...(typeof v.token === 'string' ? { token: v.token } : {}),
  };
  const positionals = parsed.positionals;
  const expectPositionals = (count: number, what: string): void => {
    if (positionals.length < count) throw new MistudioError('InvalidInput', `${name}: missing ${what}`);
    if (positionals.length > count) throw new MistudioError('InvalidInput', `${name}: unexpected argument "${echo(positionals[count] ?? '', 60)}"`);
  };
  switch (name as ParsedCommand['command']) {
    case 'download':
      expectPositionals(1, '<repo_id>');
      return {
        command: 'download',
        repoId: positionals[0] as string,
        kind: v.dataset === true ? 'dataset' : 'model',
        ...(typeof v.revision === 'string' ? { revision: v.revision } : {}),
        include: (v.include as string[] | undefined) ?? [],
        exclude: (v.exclude as string[] | undefined) ?? [],
        ...common,
      };
    case 'list': {
      expectPositionals(0, '');
      if (v.models === true && v.datasets === true) throw new MistudioError('InvalidInput', 'list: use either --models or --datasets, not both');
      const kind: RepoKind | undefined = v.models === true ? 'model' : v.datasets === true ? 'dataset' : undefined;
      return { command: 'list', ...(kind ? { kind } : {}), ...(typeof v.search === 'string' ? { search: v.search } : {}), ...common };
    }
    case 'rm':
      expectPositionals(1, '<repo_id>');
      return {
        command: 'rm',
        repoId: positionals[0] as string,
        kind: v.dataset === true ? 'dataset' : 'model',
        ...(typeof v.revision === 'string' ? { revision: v.revision } : {}),
        ...common,
      };
    case 'scan':
      expectPositionals(0, '');
      return { command: 'scan', ...common };
    case 'add':
      expectPositionals(1, '<repo_id>');
      return {
        command: 'add',
        repoId: positionals[0] as string,
        kind: v.dataset === true ? 'dataset' : 'model',
        ...(typeof v.revision === 'string' ? { revision: v.revision } : {}),
        ...common,
      };
    case 'cache ls':
      expectPositionals(0, '');
      return { command: 'cache ls', revisions: v.revisions === true, ...common };
    case 'cache prune':
      expectPositionals(0, '');
      return { command: 'cache prune', dryRun: v['dry-run'] === true, ...common };
    case 'cache rm': {
      if (positionals.length === 0) throw new MistudioError('InvalidInput', `${name}: missing <repo_id>[@REV]`);
      const kind = cacheKind(name, v);
      return { command: 'cache rm', targets: positionals.map((p) => cacheTarget(kind, p)), dryRun: v['dry-run'] === true, ...common };
    }
    case 'cache verify': {
      expectPositionals(1, '<repo_id>[@REV]');
      return { command: 'cache verify', target: cacheTarget(cacheKind(name, v), positionals[0] as string), repair: v.repair === true, ...common };
    }
  }
  throw new MistudioError('InvalidInput', `unknown command "${echo(name, 60)}"`);
}

function isCommand(name: string): name is CommandName {
  return ['download', 'add', 'list', 'rm', 'scan', 'cache'].includes(name);
}

function isCacheSubcommand(name: string | undefined): name is CacheSubcommand {
  return name === 'ls' || name === 'rm' || name === 'prune' || name === 'verify';
}

function cacheKind(name: string, v: Record<string, unknown>): CacheRepoKind {
  if (v.dataset === true && v.space === true) throw new MistudioError('InvalidInput', `${name}: use either --dataset or --space, not both`);
  return v.dataset === true ? 'dataset' : v.space === true ? 'space' : 'model';
}

/** "org/name" or "org/name@REV" (a commit or a ref such as main or refs/pr/1), checked as the Hub checks them. */
function cacheTarget(kind: CacheRepoKind, spec: string): CacheTarget {
  const at = spec.indexOf('@');
  const repoId = validateRepoId(at < 0 ? spec : spec.slice(0, at));
  return at < 0 ? { kind, repoId } : { kind, repoId, revision: validateRevision(spec.slice(at + 1)) };
}

/**
 * node:util's messages are one line, e.g. "Unknown option '--frobnicate'", but they quote the offending argument
 * whole (twice, with the hint): a 10 KB option would be echoed twice over, escape sequences included.
 */
function parseArgsMessage(err: unknown): string {
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] || 'invalid arguments';
  return echo(first.replace(/'([^']{61,})'/g, (_quoted, arg: string) => `'${echo(arg, 60)}'`), 240);
}
