import type { GlobAutomaton, StepMeter } from './glob/automaton';
import { compileFnmatch } from './glob/fnmatch';

/**
 * Include/exclude filtering with the exact meaning of `hf download --include/--exclude` (huggingface_hub
 * `filter_repo_objects`): Python `fnmatch.fnmatchcase` semantics, so matching is case-sensitive, `*` and `?` also
 * match `/`, `[...]`/`[!...]` are character sets and there is no escape character. Backslashes are read as `/`
 * in paths and patterns, and a pattern ending in `/` means "everything below that folder".
 *
 * Patterns come from users and from settings and are re-applied as the panel's include box is typed into, on the
 * extension host: they are matched by automaton (glob/automaton.ts), in time proportional to path × pattern length,
 * never by a backtracking RegExp.
 */
export interface PatternOptions {
  /** Keep a path if it matches any of these. Undefined or empty: keep every path. */
  readonly include?: readonly string[];
  /** Then drop a path if it matches any of these. */
  readonly exclude?: readonly string[];
}

export type PathMatcher = (path: string) => boolean;

/** Compiles the patterns once; use when testing many paths. */
export function compilePatterns(options: PatternOptions): PathMatcher {
  const include = (options.include ?? []).map(compilePattern);
  const exclude = (options.exclude ?? []).map(compilePattern);
  return (path) => {
    const normalized = normalizeSeparators(path);
    if (include.length > 0 && !include.some((pattern) => pattern.matches(normalized))) return false;
    return !exclude.some((pattern) => pattern.matches(normalized));
  };
}

export function matchesPatterns(path: string, options: PatternOptions): boolean {
  return compilePatterns(options)(path);
}

export function filterPaths(paths: Iterable<string>, options: PatternOptions): string[] {
  const matches = compilePatterns(options);
  const kept: string[] = [];
  for (const path of paths) if (matches(path)) kept.push(path);
  return kept;
}

/** Whether one include pattern matches one path, counting the matcher's work (tests bound it). */
export function patternMatchesCounted(pattern: string, path: string, meter: StepMeter): boolean {
  return compilePattern(pattern).matches(normalizeSeparators(path), meter);
}

/** huggingface_hub's reading of a pattern: `\` is `/`, and `folder/` means `folder/*`. */
function compilePattern(rawPattern: string): GlobAutomaton {
  const pattern = normalizeSeparators(rawPattern);
  return compileFnmatch(pattern.endsWith('/') ? `${pattern}*` : pattern);
}

function normalizeSeparators(value: string): string {
  return value.replaceAll('\\', '/');
}
