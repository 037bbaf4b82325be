import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, isHostMessage, parseWebviewMessage, type WebviewMessage } from '../../../src/shared/protocol';

const validQuery = { text: 'gpt', sort: 'name', direction: 'asc', offset: 0, limit: 50 };
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const target = { kind: 'model', repoId: 'org/name', commit: COMMIT };

function request(method: unknown, params: unknown, id: unknown = 7): Record<string, unknown> {
  return { type: 'request', id, method, params };
}

function expectRejected(raw: unknown, fieldHint?: RegExp): { id: number | undefined; error: string } {
  const parsed = parseWebviewMessage(raw);
  expect(parsed.ok).toBe(false);
  if (parsed.ok) throw new Error('unreachable');
  if (fieldHint) expect(parsed.error).toMatch(fieldHint);
  return { id: parsed.id, error: parsed.error };
}

describe('parseWebviewMessage accepts every well-formed message', () => {
  const good: WebviewMessage[] = [
    { type: 'request', id: 1, method: 'ready', params: { protocolVersion: PROTOCOL_VERSION } },
    { type: 'request', id: 2, method: 'query', params: { ...validQuery, sort: 'name', direction: 'asc' } },
    { type: 'request', id: 3, method: 'query', params: { text: '', kind: 'dataset', statuses: ['ready', 'error'], sort: 'size', direction: 'desc', offset: 100, limit: 500 } },
    { type: 'request', id: 4, method: 'detail', params: { entryId: '3f0e0c1e-8a8b-4a1c-9d7e-0123456789ab' } },
    { type: 'request', id: 5, method: 'entryAction', params: { entryId: 'abc-123', action: 'delete' } },
    { type: 'request', id: 6, method: 'hubSearch', params: { kind: 'model', text: 'llama', sort: 'likes' } },
    { type: 'request', id: 7, method: 'plan', params: { kind: 'model', repoId: 'openai-community/gpt2', revision: 'main' } },
    { type: 'request', id: 8, method: 'download', params: { kind: 'dataset', repoId: 'org/data', revision: 'v1.0', include: ['*.parquet'], exclude: [] } },
    { type: 'request', id: 9, method: 'openOnHub', params: { kind: 'dataset', repoId: 'org/data' } },
    { type: 'request', id: 10, method: 'cacheScan', params: { scanId: 123_456_789 } },
    { type: 'request', id: 11, method: 'cacheAction', params: { action: 'addToCatalog', target: { kind: 'model', repoId: 'org/name', commit: COMMIT } } },
    { type: 'request', id: 12, method: 'cacheAction', params: { action: 'verify', target: { kind: 'space', repoId: 'org/demo', commit: COMMIT } } },
    { type: 'request', id: 13, method: 'cacheAction', params: { action: 'deleteRevision', target: { kind: 'dataset', repoId: 'org/data', commit: COMMIT } } },
    { type: 'request', id: 14, method: 'cacheAction', params: { action: 'deleteRepo', target: { kind: 'dataset', repoId: 'legacy-name' } } },
    { type: 'request', id: 15, method: 'cachePrune', params: {} },
    { type: 'notification', method: 'cancel', params: { id: 3 } },
  ];
  for (const message of good) {
    it(`${message.type} ${message.method}`, () => {
      const parsed = parseWebviewMessage(structuredClone(message));
      expect(parsed).toEqual({ ok: true, message });
    });
  }

  it('returns fresh objects, not the ones it was given', () => {
    const raw = request('query', { ...validQuery });
    const parsed = parseWebviewMessage(raw);
    expect(parsed.ok && parsed.message.params).not.toBe(raw.params);
  });
});

describe('parseWebviewMessage refuses malformed and hostile messages', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ready'],
    ['a number', 42],
    ['an array', [{ type: 'request' }]],
    ['a Date', new Date()],
    ['a Map', new Map([['type', 'request']])],
    ['an object without a type', { id: 1, method: 'ready', params: { protocolVersion: 1 } }],
    ['an unknown type', { type: 'command', id: 1, method: 'ready', params: {} }],
    ['a response pretending to come from the webview', { type: 'response', id: 1, ok: true, result: {} }],
  ])('%s', (_name, raw) => {
    expectRejected(raw);
  });

  it('refuses ids that are not non-negative safe integers', () => {
    for (const id of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '7', null, {}]) {
      const { id: usable } = expectRejected(request('ready', { protocolVersion: 1 }, id), /id/);
      expect(usable).toBeUndefined();
    }
    expectRejected({ type: 'request', method: 'ready', params: { protocolVersion: 1 } }, /id/);
  });

  it('keeps a usable id so the error can be answered', () => {
    const { id, error } = expectRejected(request('nuke', {}, 12), /method/);
    expect(id).toBe(12);
    expect(error).toMatch(/one of/);
  });

  it('refuses unknown methods, including prototype names', () => {
    for (const method of ['nuke', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42]) {
      expectRejected(request(method, {}), /method/);
    }
  });

  it('refuses extra fields on the envelope and in params', () => {
    expectRejected({ ...request('ready', { protocolVersion: 1 }), extra: true });
    expectRejected(request('detail', { entryId: 'abc', then: 'x' }), /params: expected at most 1 fields/);
    expectRejected(request('hubSearch', { kind: 'model', text: 'x', then: 'x' }), /params\.then: unknown field/);
    expectRejected({ type: 'notification', method: 'cancel', params: { id: 1 }, id: 3 });
  });

  it('refuses params that are missing, of the wrong type or out of range', () => {
    expectRejected(request('query', undefined), /params/);
    expectRejected(request('query', { ...validQuery, text: 5 }), /params\.text/);
    expectRejected(request('query', { ...validQuery, sort: 'random' }), /params\.sort/);
    expectRejected(request('query', { ...validQuery, direction: 'sideways' }), /params\.direction/);
    expectRejected(request('query', { ...validQuery, offset: -1 }), /params\.offset/);
    expectRejected(request('query', { ...validQuery, limit: 501 }), /params\.limit/);
    expectRejected(request('query', { ...validQuery, limit: 10.5 }), /params\.limit/);
    expectRejected(request('query', { ...validQuery, kind: 'space' }), /params\.kind/);
    expectRejected(request('query', { ...validQuery, statuses: ['ready', 'exploded'] }), /params\.statuses\[1\]/);
    expectRejected(request('query', { ...validQuery, statuses: 'ready' }), /params\.statuses/);
    expectRejected(request('entryAction', { entryId: 'abc', action: 'format-disk' }), /params\.action/);
    expectRejected(request('hubSearch', { kind: 'model', text: 'x', sort: 'trending' }), /params\.sort/);
    expectRejected(request('ready', { protocolVersion: '1' }), /protocolVersion/);
  });

  it('refuses oversized strings and lists without walking them', () => {
    expectRejected(request('query', { ...validQuery, text: 'x'.repeat(201) }), /at most 200/);
    expectRejected(request('plan', { kind: 'model', repoId: `org/${'a'.repeat(300)}`, revision: 'main' }), /repoId/);
    expectRejected(request('plan', { kind: 'model', repoId: 'org/name', revision: 'r'.repeat(256) }), /revision/);
    const huge = new Array(1_000_000).fill('*.bin');
    expectRejected(request('download', { kind: 'model', repoId: 'org/name', revision: 'main', include: huge, exclude: [] }), /at most 64 items/);
    expectRejected(request('download', { kind: 'model', repoId: 'org/name', revision: 'main', include: ['x'.repeat(257)], exclude: [] }), /include\[0\]/);
    expectRejected(request('download', { kind: 'model', repoId: 'org/name', revision: 'main', include: [''], exclude: [] }), /include\[0\]/);
  });

  it('refuses objects with many keys before looking at their values', () => {
    const params: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) params[`k${i}`] = i;
    expectRejected(request('detail', params), /at most 1 fields/);
  });

  it('refuses ids and repo names that could smuggle paths or markup', () => {
    for (const entryId of ['../../etc/passwd', 'a/b', 'a b', '<img src=x>', '', 'x'.repeat(65)]) {
      expectRejected(request('detail', { entryId }), /entryId/);
    }
    for (const repoId of ['<script>alert(1)</script>', 'org/name?x=1', 'org name', 'org/na\nme', '']) {
      expectRejected(request('openOnHub', { kind: 'model', repoId }), /repoId/);
    }
  });

  it('is not fooled by a __proto__ key', () => {
    const params = JSON.parse('{"entryId":"abc","__proto__":{"polluted":true}}') as unknown;
    expectRejected(request('detail', params), /params/);
    const envelope = JSON.parse('{"type":"request","id":1,"method":"ready","__proto__":{"params":{"protocolVersion":1}}}') as unknown;
    expectRejected(envelope, /__proto__|params/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses params whose prototype is not a plain object', () => {
    class Params {
      entryId = 'abc';
    }
    expectRejected(request('detail', new Params()), /params/);
  });

  it('never throws, whatever it is given', () => {
    const hostile = [
      Object.create(null),
      new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }),
      { type: 'request', id: 1, method: 'detail', get params(): unknown { throw new Error('getter'); } },
    ];
    for (const raw of hostile) expect(() => parseWebviewMessage(raw)).not.toThrow();
    for (const raw of hostile) expect(parseWebviewMessage(raw).ok).toBe(false);
  });
});

describe('parseWebviewMessage refuses malformed Cache tab requests', () => {
  it('refuses a target whose commit is not 40 lowercase hex digits', () => {
    for (const commit of ['main', 'refs/pr/1', COMMIT.slice(0, 39), `${COMMIT}0`, COMMIT.toUpperCase(), `${COMMIT.slice(0, 39)}g`, `../${COMMIT.slice(3)}`, '', 40]) {
      expectRejected(request('cacheAction', { action: 'deleteRevision', target: { ...target, commit } }), /params\.target\.commit/);
    }
  });

  it('refuses a target with a bad kind, a bad repo id or extra fields', () => {
    for (const kind of ['models', 'Space', '', null]) expectRejected(request('cacheAction', { action: 'verify', target: { ...target, kind } }), /params\.target\.kind/);
    for (const repoId of ['..\\..\\windows', 'org/<b>x</b>', 'org name', 'org/na\nme', '', `org/${'a'.repeat(300)}`]) {
      expectRejected(request('cacheAction', { action: 'verify', target: { ...target, repoId } }), /params\.target\.repoId/);
    }
    expectRejected(request('cacheAction', { action: 'verify', target: { ...target, refs: ['main'] } }), /params\.target/);
    expectRejected(request('cacheAction', { action: 'verify', target: { ...target, path: '/etc' } }), /params\.target/);
    expectRejected(request('cacheAction', { action: 'verify', target: [target] }), /params\.target/);
    expectRejected(request('cacheAction', { action: 'verify' }), /params\.target/);
  });

  it('refuses unknown actions and actions paired with the wrong target', () => {
    for (const action of ['prune', 'rm -rf', 'delete', 'repair', '__proto__', 7]) expectRejected(request('cacheAction', { action, target }), /params\.action/);
    for (const action of ['addToCatalog', 'verify', 'deleteRevision']) {
      expectRejected(request('cacheAction', { action, target: { kind: 'model', repoId: 'org/name' } }), /params\.target\.commit: expected a commit/);
    }
    expectRejected(request('cacheAction', { action: 'deleteRepo', target }), /params\.target\.commit: deleteRepo takes no commit/);
    expectRejected(request('cacheAction', { action: 'verify', target, force: true }), /params/);
  });

  it('refuses a prune or a scan that carries anything more', () => {
    expectRejected(request('cachePrune', { dryRun: false }), /params/);
    expectRejected(request('cachePrune', undefined), /params/);
    expectRejected(request('cacheScan', {}), /params\.scanId/);
    expectRejected(request('cacheScan', { scanId: -1 }), /params\.scanId/);
    expectRejected(request('cacheScan', { scanId: 1, root: '/' }), /params/);
  });
});

describe('isHostMessage', () => {
  it('accepts responses, update notifications and cache scan batches', () => {
    expect(isHostMessage({ type: 'response', id: 1, ok: true, result: {} })).toBe(true);
    expect(isHostMessage({ type: 'response', id: 1, ok: false, error: { code: 'Offline', message: 'x' } })).toBe(true);
    expect(isHostMessage({ type: 'notification', method: 'update', params: { changed: [] } })).toBe(true);
    expect(isHostMessage({ type: 'notification', method: 'cacheRepos', params: { scanId: 1, repos: [] } })).toBe(true);
    expect(isHostMessage({ type: 'notification', method: 'cacheRepos', params: [] })).toBe(false);
  });

  it('ignores anything else', () => {
    for (const raw of [null, 'x', { type: 'response', id: '1', ok: true }, { type: 'notification', method: 'other', params: {} }, { type: 'request' }]) {
      expect(isHostMessage(raw)).toBe(false);
    }
  });
});
