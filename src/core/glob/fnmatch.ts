import { GlobBuilder, type GlobAutomaton } from './automaton';
import { readCharSet } from './charSet';

/**
 * Python's `fnmatch.fnmatchcase` pattern: `*` any run of characters (`/` included), `?` one character, `[seq]` and
 * `[!seq]` sets, everything else itself (no escape character, case-sensitive).
 */
export function compileFnmatch(pattern: string): GlobAutomaton {
  return addFnmatch(new GlobBuilder(), pattern, false).build();
}

/** Appends an fnmatch pattern's states; `withinLevel` keeps `*`, `?` and sets from matching `/` (path globs). */
export function addFnmatch(builder: GlobBuilder, pattern: string, withinLevel: boolean): GlobBuilder {
  const wildcard = withinLevel ? ({ kind: 'anyButSlash' } as const) : ({ kind: 'any' } as const);
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; ) {
    const char = chars[i++]!;
    if (char === '*') builder.loop(wildcard);
    else if (char === '?') builder.step(wildcard);
    else if (char === '[') {
      const set = readCharSet(chars, i, withinLevel);
      if (set === undefined) builder.literal(char);
      else {
        builder.step(set.test);
        i = set.next;
      }
    } else builder.literal(char);
  }
  return builder;
}
