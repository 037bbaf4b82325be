import type { CharTest } from './automaton';

const HYPHEN = '-';

/**
 * Reads a `[...]` set the way CPython's fnmatch.translate does, `chars` being code points and `open` the index just
 * after the `[`. Undefined when the set is not closed (then the `[` is an ordinary character).
 *
 * CPython does not parse the set directly: it cuts it at the hyphens that may form ranges, drops every reversed range
 * by merging the pieces around it (so `[z-a]` matches nothing and `[z-a!]` — left as `!` — matches anything), and
 * hands the result to its regex engine. The steps below follow that, so odd sets mean what they mean to `hf download`.
 */
export function readCharSet(chars: readonly string[], open: number, excludesSlash: boolean): { test: CharTest; next: number } | undefined {
  const close = closingBracket(chars, open);
  if (close === undefined) return undefined;
  let pieces = cutAtRangeHyphens(chars, open, close);
  pieces = dropReversedRanges(pieces);
  let negated = false;
  const first = pieces[0]!;
  if (first[0] === '!') {
    negated = true;
    pieces = [first.slice(1), ...pieces.slice(1)];
  }
  return { test: { kind: 'set', negated, ranges: rangesOf(pieces), excludesSlash }, next: close + 1 };
}

function closingBracket(chars: readonly string[], open: number): number | undefined {
  let j = open;
  if (chars[j] === '!') j++;
  if (chars[j] === ']') j++; // a `]` first (after an optional `!`) is a member, not the end
  while (j < chars.length && chars[j] !== ']') j++;
  return j < chars.length ? j : undefined;
}

/** The pieces between hyphens that join a range; the hyphen right after `[` or `[!` is a member. */
function cutAtRangeHyphens(chars: readonly string[], open: number, close: number): string[][] {
  const body = chars.slice(open, close);
  if (!body.includes(HYPHEN)) return [body];
  const pieces: string[][] = [];
  let start = 0;
  for (let k = body[0] === '!' ? 2 : 1; ; k += 3) {
    const hyphen = body.indexOf(HYPHEN, k);
    if (hyphen < 0) break;
    pieces.push(body.slice(start, hyphen));
    start = hyphen + 1;
    k = hyphen;
  }
  const rest = body.slice(start);
  if (rest.length > 0) pieces.push(rest);
  else pieces[pieces.length - 1]!.push(HYPHEN); // a trailing hyphen is a member
  return pieces;
}

/** A range whose ends are reversed goes, its two ends with it; the pieces around it become one. */
function dropReversedRanges(pieces: string[][]): string[][] {
  const out = pieces.map((piece) => [...piece]);
  for (let k = out.length - 1; k > 0; k--) {
    const left = out[k - 1]!;
    const right = out[k]!;
    if (codePoint(left[left.length - 1]!) > codePoint(right[0]!)) {
      out[k - 1] = [...left.slice(0, -1), ...right.slice(1)];
      out.splice(k, 1);
    }
  }
  return out;
}

/**
 * Inclusive [from, to] pairs. Between two pieces the last character of one and the first of the next form a range,
 * read left to right as a regex engine does: a character already used as a range's end does not start the next one.
 */
function rangesOf(pieces: readonly string[][]): number[] {
  type Item = number | 'range';
  const items: Item[] = [];
  pieces.forEach((piece, index) => {
    if (index > 0) items.push('range');
    for (const char of piece) items.push(codePoint(char));
  });
  const ranges: number[] = [];
  const hyphen = codePoint(HYPHEN);
  for (let t = 0; t < items.length; ) {
    const item = items[t++]!;
    const from = item === 'range' ? hyphen : item;
    const after = items[t + 1];
    if (items[t] === 'range' && after !== undefined) {
      const to = after === 'range' ? hyphen : after;
      if (from <= to) ranges.push(from, to);
      t += 2;
    } else {
      ranges.push(from, from);
    }
  }
  return ranges;
}

function codePoint(char: string): number {
  return char.codePointAt(0)!;
}
