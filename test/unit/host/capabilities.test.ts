import { describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES, entryCapabilities, entryContextValue, fileContextValue, whenCapability, type Capability } from '../../../src/host/capabilities';
import { makeEntry, STATUSES } from './fixtures';

/** Evaluates a `viewItem =~ /…/` clause the way VS Code does: the regex against the context value. */
function matches(when: string, contextValue: string): boolean {
  const m = /viewItem =~ \/(.*)\/$/.exec(when);
  if (!m?.[1]) throw new Error(`not a viewItem regex clause: ${when}`);
  return new RegExp(m[1]).test(contextValue);
}

describe('entry capabilities', () => {
  const expected: Record<string, Capability[]> = {
    queued: ['canCancel', 'canPause'],
    downloading: ['canCancel', 'canPause'],
    paused: ['canResume', 'canCancel', 'canDelete'],
    ready: ['canDelete', 'canReveal', 'canOpenFolder', 'canCopyPath'],
    error: ['canRetry', 'canDelete'],
    cancelled: ['canRetry', 'canDelete'],
    missing: ['canRedownload', 'canDelete'],
  };

  it.each(STATUSES)('%s allows exactly its actions (plus copy id / snippet / open on Hub)', (status) => {
    const caps = entryCapabilities(makeEntry({ status }));
    expect([...caps].sort()).toEqual([...expected[status]!, 'canCopyId', 'canCopySnippet', 'canOpenOnHub'].sort());
  });

  it('offers Sign In and Request Access for a gated failure, Sign In for auth and not-found failures', () => {
    const gated = entryCapabilities(makeEntry({ status: 'error', errorCode: 'Gated' }));
    expect(gated.has('canSignIn') && gated.has('canRequestAccess')).toBe(true);
    const auth = entryCapabilities(makeEntry({ status: 'error', errorCode: 'Unauthorized' }));
    expect(auth.has('canSignIn')).toBe(true);
    expect(auth.has('canRequestAccess')).toBe(false);
    const offline = entryCapabilities(makeEntry({ status: 'error', errorCode: 'Offline' }));
    expect(offline.has('canSignIn')).toBe(false);
  });

  it('does not offer folder actions for a ready entry without a snapshot path', () => {
    const caps = entryCapabilities(makeEntry({ status: 'ready', snapshotPath: null }));
    expect(caps.has('canReveal') || caps.has('canCopyPath') || caps.has('canOpenFolder')).toBe(false);
  });
});

describe('context values and when clauses', () => {
  it('encodes kind, status and capabilities', () => {
    expect(entryContextValue(makeEntry({ kind: 'dataset', status: 'downloading' }))).toBe(
      'mistudio.entry;kind:dataset;status:downloading;canCancel;canPause;canCopyId;canCopySnippet;canOpenOnHub',
    );
  });

  it.each(STATUSES)('each capability clause matches a %s entry exactly when it has the capability', (status) => {
    for (const errorCode of [null, 'Gated'] as const) {
      const entry = makeEntry({ status, errorCode: status === 'error' ? errorCode : null });
      const value = entryContextValue(entry);
      const caps = entryCapabilities(entry);
      for (const cap of ALL_CAPABILITIES) expect(matches(whenCapability(cap), value), `${cap} on ${value}`).toBe(caps.has(cap));
    }
  });

  it('entry clauses never match file rows and file clauses never match entry rows', () => {
    const file = fileContextValue(makeEntry(), { state: 'verified' });
    expect(file).toBe('mistudio.file;state:verified;canReveal;canCopyPath');
    expect(matches(whenCapability('canReveal'), file)).toBe(false);
    expect(matches(whenCapability('canReveal', 'file'), file)).toBe(true);
    expect(matches(whenCapability('canReveal', 'file'), entryContextValue(makeEntry()))).toBe(false);
  });

  it('a partial file cannot be revealed', () => {
    expect(fileContextValue(makeEntry({ status: 'downloading' }), { state: 'partial' })).toBe('mistudio.file;state:partial');
  });
});
