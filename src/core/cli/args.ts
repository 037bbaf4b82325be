import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { echo } from '../echo';
import { MistudioError } from '../errors';
import type { RepoKind } from '../repo';

export const USAGE = `usage: mistudio <command> [options]

commands:
  download <repo_id> [--dataset] [--revision REV] [--include GLOB]... [--exclude GLOB]...
  list [--models | --datasets] [--search TEXT]
  rm <repo_id> [--dataset] [--revision REV]
  scan

common options:
  --endpoint URL     Hub endpoint or mirror (default: $HF_ENDPOINT, else https://huggingface.co)
  --cache-dir DIR    Hugging Face hub cache (default: $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)
  --catalog FILE     catalog database (default: $MISTUDIO_CATALOG, else ~/.cache/mistudio/catalog.sqlite)
  --token TOKEN      Hugging Face token (default: $HF_TOKEN, else the token file of \`hf auth login\`)
  --json             machine-readable output on stdout
  -h, --help         this help
`;

export type CommandName = 'download' | 'list' | 'rm' | 'scan';

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
  | ({ readonly command: 'scan' } & CommonOptions);

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
};

/** Parses argv (without node and script) into one command; any mistake is a one-line InvalidInput error. */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') return { command: 'help' };
  if (!isCommand(name)) {
    throw new MistudioError('InvalidInput', `unknown command "${echo(name, 60)}" (expected download, list, rm or scan; see mistudio --help)`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...COMMON, ...PER_COMMAND[name] }, allowPositionals: true, strict: true });
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
  switch (name) {
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
  }
}

function isCommand(name: string): name is CommandName {
  return name === 'download' || name === 'list' || name === 'rm' || name === 'scan';
}

/**
 * node:util's messages are one line, e.g. "Unknown option '--frobnicate'", but they quote the offending argument
 * whole (twice, with the hint): a 10 KB option would be echoed twice over, escape sequences included.
 */
function parseArgsMessage(err: unknown): string {
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] || 'invalid arguments';
  return echo(first.replace(/'([^']{61,})'/g, (_quoted, arg: string) => `'${echo(arg, 60)}'`), 240);
}
