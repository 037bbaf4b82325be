import { GlobBuilder, type GlobAutomaton } from './automaton';
import { addFnmatch } from './fnmatch';

/**
 * A path glob as the `datasets` library resolves a card's `data_files` (fsspec's glob, Python 3.13's glob.translate
 * with recursion and hidden files on): `*` and `?` stay within one folder level, a `*` that is a whole level needs at
 * least one character, `**` as a whole level is any number of levels (none included) and at the end everything below.
 * `**` inside a name, which fsspec refuses, counts as `*`; sets never match `/`.
 */
export function compilePathGlob(pattern: string): GlobAutomaton {
  const parts = pattern.split('/');
  const builder = new GlobBuilder();
  parts.forEach((part, index) => {
    const last = index === parts.length - 1;
    if (part === '**') {
      if (last) builder.loop({ kind: 'any' });
      else builder.optional((b) => b.step({ kind: 'any' }).loop({ kind: 'any' }).literal('/'));
      return;
    }
    if (part === '*') builder.step({ kind: 'anyButSlash' }).loop({ kind: 'anyButSlash' });
    else addFnmatch(builder, part, true);
    if (!last) builder.literal('/');
  });
  return builder.build();
}
