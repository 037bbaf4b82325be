import { describe, expect, it } from 'vitest';
import { checkCount, checkKind } from '../../../src/core/catalog/validate';
import { parseCommand } from '../../../src/core/cli/args';
import { echo } from '../../../src/core/echo';
import { httpError } from '../../../src/core/net/httpErrors';
import { resolveEndpoint } from '../../../src/core/hub/endpoint';
import { validateRepoFilePath } from '../../../src/core/hub/repoPath';
import { validateRepoId, validateRevision } from '../../../src/core/repo';
import { cli, scratch } from './helpers';

/** Anything that would drive a terminal or break the line: C0 (but nothing else) , DEL, C1, separators, bidi overrides. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const ESCAPE = '\u001b[2J\u001b]0;pwned\u0007';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}

describe('messages that echo user input', () => {
  it('echo escapes control, separator and bidi characters and cuts long values by code point', () => {
    expect(echo('a\u001b[2Jb')).toBe('a\\u001b[2Jb');
    expect(echo('x\u0085\u2028\u202ey')).toBe('x\\u0085\\u2028\\u202ey');
    expect(echo('名前ü')).toBe('名前ü');
    const long = echo('😀'.repeat(100), 10);
    expect(long).toBe(`${'😀'.repeat(10)}…`);
  });

  it('an unknown 10 KB option is cut short and its control characters escaped', () => {
    const message = messageOf(() => parseCommand(['download', `--${'a'.repeat(10 * 1024)}${ESCAPE}`]));
    expect(message).toMatch(/^download: Unknown option '--a+…'/);
    expect(message.length).toBeLessThan(300);
    const escaped = messageOf(() => parseCommand(['download', `--x${ESCAPE}`]));
    expect(escaped).not.toMatch(UNSAFE);
    expect(escaped).toContain('\\u001b[2J');
  });

  it('through the CLI: one short line on stderr, no escape sequence reaches the terminal', async () => {
    const home = scratch();
    try {
      for (const argv of [
        ['download', `--${'b'.repeat(10 * 1024)}`],
        ['download', `--${ESCAPE}`],
        ['download', `org/${ESCAPE}`],
        ['download', 'org/name', '--revision', `x${ESCAPE}`],
        ['rm', `${ESCAPE}`],
        ['list', '--search', `${ESCAPE}${'s'.repeat(5000)}`],
        [`${ESCAPE}`],
      ]) {
        const r = await cli(argv, home.env);
        expect(r.code, argv.join(' ').slice(0, 40)).toBe(argv[0] === 'list' ? 0 : 2);
        expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
        expect(r.stderr.length).toBeLessThan(300);
        expect(r.stderr.trimEnd()).not.toMatch(UNSAFE);
      }
    } finally {
      home.cleanup();
    }
  });

  it('invalid repo ids and revisions are echoed escaped', () => {
    for (const run of [() => validateRepoId(`org/${ESCAPE}`), () => validateRevision(`r${ESCAPE}`), () => validateRevision(`a\u202eb c`)]) {
      const message = messageOf(run);
      expect(message).toMatch(/^Invalid (repo id|revision) "/);
      expect(message).not.toMatch(UNSAFE);
    }
    expect(messageOf(() => validateRepoId('x'.repeat(10 * 1024))).length).toBeLessThan(200);
  });

  it('Hub errors echo revisions, paths and server text escaped', () => {
    const ctx = { endpoint: 'http://127.0.0.1:1', hasToken: false, ref: { kind: 'model' as const, repoId: 'org/name' } };
    const said = httpError({ status: 500, errorMessage: `boom${ESCAPE}${'z'.repeat(5000)}` }, ctx).message;
    expect(said).not.toMatch(UNSAFE);
    expect(said.length).toBeLessThan(300);
    expect(httpError({ status: 404, errorCode: 'RevisionNotFound' }, { ...ctx, revision: `r\u009b2J` }).message).not.toMatch(UNSAFE);
    expect(httpError({ status: 404, errorCode: 'EntryNotFound' }, { ...ctx, path: `p${ESCAPE}`, revision: 'main' }).message).not.toMatch(UNSAFE);
    expect(messageOf(() => validateRepoFilePath(`a\u0000${ESCAPE}`, 'org/name'))).not.toMatch(UNSAFE);
    expect(messageOf(() => resolveEndpoint({ override: `not a url${ESCAPE}`, env: {} }))).not.toMatch(UNSAFE);
  });

  it('catalog validation echoes rejected values escaped and short', () => {
    const kind = messageOf(() => checkKind(`model${ESCAPE}${'k'.repeat(5000)}`));
    expect(kind).toMatch(/^Invalid kind "model/);
    expect(kind).not.toMatch(UNSAFE);
    expect(kind.length).toBeLessThan(300);
    expect(messageOf(() => checkCount(`1${ESCAPE}`, 'size'))).not.toMatch(UNSAFE);
  });
});
