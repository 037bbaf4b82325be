/**
 * Makes a user- or server-supplied value safe to echo inside a one-line message: control characters (C0, DEL, C1),
 * line/paragraph separators and bidirectional overrides become visible `\uXXXX` escapes, so an escape sequence in
 * argv or a Hub answer can neither drive the terminal nor break or reorder the line; long values are cut short.
 */
export function echo(value: string, max = 80): string {
  // Cut first (by code point, so a surrogate pair is never split), then escape: the escapes stay whole.
  const chars = Array.from(value);
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}…` : value;
  return cut.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
