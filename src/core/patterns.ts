/**
 * Include/exclude filtering with the exact meaning of `hf download --include/--exclude` (huggingface_hub
 * `filter_repo_objects`): Python `fnmatch.fnmatchcase` semantics, so matching is case-sensitive, `*` and `?` also
 * match `/`, `[...]`/`[!...]` are character sets and there is no escape character. Backslashes are read as `/`
 * in paths and patterns, and a pattern ending in `/` means "everything below that folder".
 *
 * picomatch is not used: its `*` stops at `/` and its brackets follow POSIX/extglob rules, so it cannot say the same
 * thing. The translation below follows CPython's fnmatch behaviour, including its treatment of unterminated and
 * reversed bracket ranges.
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
  const include = (options.include ?? []).map(compileOne);
  const exclude = (options.exclude ?? []).map(compileOne);
  return (path) => {
    const normalized = normalizeSeparators(path);
    if (include.length > 0 && !include.some((re) => re.test(normalized))) return false;
    return !exclude.some((re) => re.test(normalized));
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

/** One fnmatch pattern as an anchored RegExp (exported for tests and for callers that show the regex). */
export function fnmatchToRegExp(pattern: string): RegExp {
  return compileOne(pattern);
}

function compileOne(rawPattern: string): RegExp {
  let pattern = normalizeSeparators(rawPattern);
  if (pattern.endsWith('/')) pattern += '*';
  return new RegExp(`^(?:${translate(pattern)})$`, 'su');
}

function normalizeSeparators(value: string): string {
  return value.replaceAll('\\', '/');
}

// Code points, not UTF-16 units, so `?` matches one character the way Python's str does.
function translate(pattern: string): string {
  const chars = Array.from(pattern);
  let out = '';
  let lastWasStar = false;
  let i = 0;
  while (i < chars.length) {
    const c = chars[i++] as string;
    if (c === '*') {
      if (!lastWasStar) out += '.*';
      lastWasStar = true;
      continue;
    }
    lastWasStar = false;
    if (c === '?') {
      out += '.';
    } else if (c === '[') {
      const set = readBracket(chars, i);
      if (set === undefined) {
        out += literal('[');
      } else {
        out += set.regex;
        i = set.next;
      }
    } else {
      out += literal(c);
    }
  }
  return out;
}

/** Parses a `[...]` starting just after the `[`; undefined when it is unterminated (then `[` is a literal). */
function readBracket(chars: readonly string[], start: number): { regex: string; next: number } | undefined {
  let j = start;
  if (chars[j] === '!') j++;
  if (chars[j] === ']') j++; // a `]` right after `[` or `[!` is a member, not the end
  while (j < chars.length && chars[j] !== ']') j++;
  if (j >= chars.length) return undefined;

  let body = chars.slice(start, j);
  const negated = body[0] === '!';
  if (negated) body = body.slice(1);

  let members = '';
  for (let p = 0; p < body.length; ) {
    const from = body[p] as string;
    const to = body[p + 2];
    if (body[p + 1] === '-' && to !== undefined) {
      // A reversed range (z-a) matches nothing, as in CPython, rather than being a regex syntax error.
      if (from.codePointAt(0)! <= to.codePointAt(0)!) members += `${literal(from)}-${literal(to)}`;
      p += 3;
    } else {
      members += literal(from);
      p += 1;
    }
  }
  const next = j + 1;
  if (members === '') return { regex: negated ? '.' : '(?!)', next };
  return { regex: `[${negated ? '^' : ''}${members}]`, next };
}

function literal(char: string): string {
  if (/^[A-Za-z0-9_]$/.test(char)) return char;
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}
