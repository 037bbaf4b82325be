import { compilePathGlob } from '../glob/pathGlob';
import type { DatasetConfig, DatasetSplit } from '../metadata';

const DEFAULT_CONFIG = 'default';

// The `datasets` library's split keywords; other spellings map to these canonical names.
const SPLIT_KEYWORDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['train', ['train', 'training']],
  ['validation', ['validation', 'valid', 'val', 'dev']],
  ['test', ['test', 'testing', 'eval', 'evaluation']],
];
const SPLIT_ORDER = ['train', 'validation', 'test'];
const DATA_FILE = /\.(parquet|arrow|csv|tsv|jsonl?|txt|zip|tar|(csv|tsv|jsonl?|txt|tar)\.(gz|bz2|xz|zst)|ndjson|webdataset|wav|mp3|flac|png|jpe?g)$/i;
const NOT_DATA = new Set(['readme.md', 'dataset_info.json', 'dataset_infos.json', 'dataset_dict.json', 'state.json']);

interface SplitPatterns {
  readonly split: string;
  readonly patterns: readonly string[];
}

/**
 * Configs and splits from the card's `configs:` (each with `data_files` globs, optionally under `data_dir`),
 * resolved against the repo's files. Undefined when the card declares none.
 */
export function configsFromCard(cardData: Readonly<Record<string, unknown>> | undefined, files: readonly string[]): DatasetConfig[] | undefined {
  const declared = cardData?.['configs'];
  if (!Array.isArray(declared) || declared.length === 0) return undefined;
  const configs: DatasetConfig[] = [];
  for (const entry of declared) {
    if (!isRecord(entry)) continue;
    const name = typeof entry['config_name'] === 'string' ? entry['config_name'] : DEFAULT_CONFIG;
    const dataDir = typeof entry['data_dir'] === 'string' ? entry['data_dir'].replace(/^\.?\/+|\/+$/g, '') : '';
    const splitPatterns = dataFilesPatterns(entry['data_files']);
    let splits: DatasetSplit[];
    if (splitPatterns) {
      splits = splitPatterns.map(({ split, patterns }) => {
        // The card comes from the repo: its globs are matched without backtracking (glob/automaton.ts).
        const globs = patterns.map((p) => compilePathGlob(dataDir ? `${dataDir}/${p.replace(/^\.?\/+/, '')}` : p.replace(/^\.?\/+/, '')));
        return { name: split, files: files.filter((f) => globs.some((glob) => glob.matches(f))).sort() };
      });
    } else {
      const inDir = dataDir ? files.filter((f) => f.startsWith(`${dataDir}/`)) : files;
      splits = inferConfigs(inDir.map((f) => (dataDir ? f.slice(dataDir.length + 1) : f))).flatMap((c) =>
        c.splits.map((s) => ({ name: s.name, files: s.files.map((f) => (dataDir ? `${dataDir}/${f}` : f)) })),
      );
    }
    configs.push({ name, splits: mergeSplits(splits) });
  }
  return configs.length > 0 ? configs : undefined;
}

/** data_files as a string, a list of strings (one "train" split), a list of {split, path} or a {split: path} map. */
function dataFilesPatterns(value: unknown): SplitPatterns[] | undefined {
  const asList = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : []);
  if (typeof value === 'string') return [{ split: 'train', patterns: [value] }];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return [{ split: 'train', patterns: asList(value) }];
    return value.filter(isRecord).map((v) => ({ split: typeof v['split'] === 'string' ? v['split'] : 'train', patterns: asList(v['path']) }));
  }
  if (isRecord(value)) return Object.entries(value).map(([split, paths]) => ({ split, patterns: asList(paths) }));
  return undefined;
}

function splitKeyword(word: string): string | undefined {
  const lower = word.toLowerCase();
  return SPLIT_KEYWORDS.find(([, words]) => words.includes(lower))?.[0];
}

/** Per split keyword, the pattern of a file name announcing it; compiled once (a listing may name 100k files). */
const SPLIT_NAME_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = SPLIT_KEYWORDS.flatMap(([canonical, words]) =>
  words.map((word) => [canonical, new RegExp(`(^|[-._ ])${word}([-._ 0-9]|$)`, 'i')] as const),
);

/** The split a file name announces: "train-00000-of-00001.parquet", "test.csv", "my_valid_00.jsonl". */
function splitInFileName(name: string): string | undefined {
  return SPLIT_NAME_PATTERNS.find(([, pattern]) => pattern.test(name))?.[0];
}

function isDataFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (path.startsWith('.') || path.includes('/.') || NOT_DATA.has(name.toLowerCase())) return false;
  return DATA_FILE.test(name);
}

/**
 * Layout conventions when the card declares nothing: `{split}-xxxxx-of-xxxxx.*`, `data/{split}/...`,
 * `{config}/{split}-...`, `{config}/{split}/...`. Files naming no split all go to "train", as `datasets` does.
 * One pass, each file kept once (a listing may name 100k of them).
 */
export function inferConfigs(files: readonly string[]): DatasetConfig[] {
  const placed = new Map<string, Map<string, string[]>>();
  const unplaced: string[] = [];
  for (const file of files) {
    if (!isDataFile(file)) continue;
    const segments = file.split('/');
    const dirs = segments.length - 1;
    let dirIndex = -1;
    for (let i = 0; i < dirs && dirIndex < 0; i++) if (splitKeyword(segments[i]!) !== undefined) dirIndex = i;
    const split = dirIndex >= 0 ? splitKeyword(segments[dirIndex]!) : splitInFileName(segments[dirs]!);
    if (!split) {
      unplaced.push(file);
      continue;
    }
    const beforeEnd = dirIndex >= 0 ? dirIndex : dirs;
    const configEnd = beforeEnd > 0 && segments[beforeEnd - 1] === 'data' ? beforeEnd - 1 : beforeEnd;
    const config = configEnd > 0 ? segments.slice(0, configEnd).join('/') : DEFAULT_CONFIG;
    const splits = placed.get(config) ?? new Map<string, string[]>();
    placed.set(config, splits);
    // Appended in place: copying the list per file was quadratic (minutes for a 100k-file dataset).
    const list = splits.get(split);
    if (list) list.push(file);
    else splits.set(split, [file]);
  }
  const byConfig = placed.size > 0 ? placed : unplaced.length > 0 ? new Map([[DEFAULT_CONFIG, new Map([['train', unplaced]])]]) : placed;
  return [...byConfig.entries()]
    .sort(([a], [b]) => (a === DEFAULT_CONFIG ? -1 : b === DEFAULT_CONFIG ? 1 : a.localeCompare(b)))
    .map(([name, splits]) => ({
      name,
      // A listing names each file once: the lists need sorting, not merging.
      splits: [...splits.entries()].sort(([a], [b]) => splitRank(a) - splitRank(b) || a.localeCompare(b)).map(([split, list]) => ({ name: split, files: list.sort() })),
    }));
}

function splitRank(name: string): number {
  return SPLIT_ORDER.includes(name) ? SPLIT_ORDER.indexOf(name) : SPLIT_ORDER.length;
}

/** Same-named splits merged, files sorted, train/validation/test first. */
function mergeSplits(splits: readonly DatasetSplit[]): DatasetSplit[] {
  const merged = new Map<string, Set<string>>();
  for (const s of splits) {
    const set = merged.get(s.name) ?? new Set<string>();
    for (const f of s.files) set.add(f);
    merged.set(s.name, set);
  }
  return [...merged.entries()]
    .sort(([a], [b]) => splitRank(a) - splitRank(b) || a.localeCompare(b))
    .map(([name, set]) => ({ name, files: [...set].sort() }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
