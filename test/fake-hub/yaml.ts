/**
 * A small YAML subset reader for README front matter, so the fake can answer `cardData` as the Hub does.
 * Supports block mappings and sequences (incl. sequences of mappings), plain/quoted scalars, flow lists
 * of scalars, numbers, booleans and null — what model and dataset cards use. Not a general YAML parser.
 */

interface Line {
  readonly indent: number;
  readonly text: string;
}

export function parseFrontMatter(markdown: string): Record<string, unknown> | undefined {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(markdown);
  if (!match) return undefined;
  const value = parseYaml(match[1]!);
  return isRecord(value) ? value : undefined;
}

export function parseYaml(text: string): unknown {
  const lines: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    lines.push({ indent: raw.length - raw.trimStart().length, text: trimmed });
  }
  const reader = { lines, pos: 0 };
  if (lines.length === 0) return null;
  return parseBlock(reader, lines[0]!.indent);
}

interface Reader {
  readonly lines: Line[];
  pos: number;
}

function parseBlock(r: Reader, indent: number): unknown {
  const first = r.lines[r.pos];
  if (!first) return null;
  return isSequenceItem(first.text) ? parseSequence(r, indent) : parseMapping(r, indent);
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

function parseSequence(r: Reader, indent: number): unknown[] {
  const items: unknown[] = [];
  for (let line = r.lines[r.pos]; line && line.indent === indent && isSequenceItem(line.text); line = r.lines[r.pos]) {
    const rest = line.text.slice(1).trimStart();
    r.pos++;
    if (rest === '') {
      const next = r.lines[r.pos];
      items.push(next && next.indent > indent ? parseBlock(r, next.indent) : null);
    } else if (splitKey(rest)) {
      // "- key: value" starts a mapping whose further keys sit at the column of "key".
      const column = indent + (line.text.length - rest.length);
      r.lines.splice(r.pos, 0, { indent: column, text: rest });
      items.push(parseMapping(r, column));
    } else {
      items.push(parseScalar(rest));
    }
  }
  return items;
}

function parseMapping(r: Reader, indent: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (let line = r.lines[r.pos]; line && line.indent === indent && !isSequenceItem(line.text); line = r.lines[r.pos]) {
    const kv = splitKey(line.text);
    if (!kv) throw new Error(`yaml: expected "key: value", got "${line.text}"`);
    r.pos++;
    const [key, rest] = kv;
    if (rest !== '') {
      map[key] = parseScalar(rest);
      continue;
    }
    const next = r.lines[r.pos];
    if (next && (next.indent > indent || (next.indent === indent && isSequenceItem(next.text)))) {
      map[key] = parseBlock(r, next.indent);
    } else {
      map[key] = null;
    }
  }
  return map;
}

function splitKey(text: string): [string, string] | undefined {
  const quoted = /^(["'])(.*?)\1\s*:(?:\s+|$)(.*)$/.exec(text);
  if (quoted) return [quoted[2]!, stripComment(quoted[3]!)];
  const plain = /^([^:"'[\]{}#,][^:#]*?)\s*:(?:\s+|$)(.*)$/.exec(text);
  if (plain) return [plain[1]!, stripComment(plain[2]!)];
  return undefined;
}

function stripComment(value: string): string {
  if (value.startsWith('"') || value.startsWith("'")) return value.trim();
  const hash = value.search(/\s#/);
  return (hash >= 0 ? value.slice(0, hash) : value).trim();
}

function parseScalar(raw: string): unknown {
  const text = stripComment(raw);
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((part) => parseScalar(part.trim()));
  }
  if (text === '{}') return {};
  if ((text.startsWith('"') && text.endsWith('"')) || (text.startsWith("'") && text.endsWith("'"))) {
    const body = text.slice(1, -1);
    return text.startsWith('"') ? body.replace(/\\"/g, '"').replace(/\\\\/g, '\\') : body.replace(/''/g, "'");
  }
  if (text === 'true' || text === 'True') return true;
  if (text === 'false' || text === 'False') return false;
  if (text === 'null' || text === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
