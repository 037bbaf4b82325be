import { describe, expect, it } from 'vitest';
import { cancelled, MistudioError } from '../../../src/core/errors';
import { presentError, problemFrom } from '../../../src/host/errorPresentation';

describe('presentError', () => {
  it('shows nothing for a cancel', () => {
    expect(problemFrom(cancelled())).toBeUndefined();
    expect(problemFrom(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBeUndefined();
    expect(presentError({ code: 'Cancelled', message: 'Cancelled' })).toBeUndefined();
  });

  it('offers Request Access (to the repo page) and Sign In for a gated repo', () => {
    const p = presentError({ code: 'Gated', message: 'gated', details: { repoId: 'meta/llama' } }, { repoUrl: 'https://hf.co/meta/llama', retryable: true });
    expect(p?.actions).toEqual(['requestAccess', 'signIn', 'retry', 'showLog']);
    expect(p?.url).toBe('https://hf.co/meta/llama');
    expect(p?.message).toMatch(/^meta\/llama: this repo is gated/);
  });

  it('prefers the URL the Hub gave for a gated repo', () => {
    const p = presentError({ code: 'Gated', message: 'gated', details: { url: 'https://hub/x/y' } }, { repoId: 'x/y', repoUrl: 'https://other' });
    expect(p?.url).toBe('https://hub/x/y');
  });

  it('words a gated repo differently when already signed in', () => {
    expect(presentError({ code: 'Gated', message: 'g' }, { repoId: 'a/b', signedIn: true })?.message).toContain('no access yet');
  });

  it('asks to sign in for Unauthorized, and for RepoNotFound only when not signed in', () => {
    expect(presentError({ code: 'Unauthorized', message: 'u' }, { repoId: 'a/b' })?.actions).toContain('signIn');
    expect(presentError({ code: 'RepoNotFound', message: 'n' }, { repoId: 'a/b', signedIn: false })?.actions).toContain('signIn');
    expect(presentError({ code: 'RepoNotFound', message: 'n' }, { repoId: 'a/b', signedIn: true })?.actions).not.toContain('signIn');
  });

  it('gives both sizes for a full disk and offers the cache setting', () => {
    const p = presentError({ code: 'NoSpace', message: 'no space', details: { neededBytes: 5e9, freeBytes: 1.2e9, path: '/cache' } }, { repoId: 'a/b', retryable: true });
    expect(p?.message).toBe('a/b: not enough disk space: needs 5.0 GB, only 1.2 GB free on /cache. Free some space or choose another cache folder.');
    expect(p?.actions).toEqual(['retry', 'openSettings', 'showLog']);
    expect(p?.setting).toBe('mistudio.cacheDir');
  });

  it('suggests checking the connection and proxy when offline, with Retry', () => {
    const p = presentError({ code: 'Offline', message: 'Cannot reach https://huggingface.co.' }, { retryable: true });
    expect(p?.message).toBe("Cannot reach https://huggingface.co. Check your connection, the mistudio.hubEndpoint setting and VS Code's http.proxy setting.");
    expect(p?.actions[0]).toBe('retry');
  });

  it('only offers Retry when the action can be retried', () => {
    expect(presentError({ code: 'Offline', message: 'x' }, { retryable: false })?.actions).not.toContain('retry');
    expect(presentError({ code: 'Io', message: 'x' }, { retryable: true })?.actions).toEqual(['retry', 'showLog']);
  });

  it('does not repeat the repo id when the message already names it', () => {
    expect(presentError({ code: 'RevisionNotFound', message: 'Revision v9 of a/b not found' }, { repoId: 'a/b' })?.message).toBe('Revision v9 of a/b not found');
  });

  it('keeps only the first line of a message', () => {
    expect(problemFrom(new Error('first\nsecond'))?.message).toBe('first');
    expect(presentError({ code: null, message: 'first\nsecond' })?.message).toBe('first');
  });

  it('carries MistudioError code and details', () => {
    expect(problemFrom(new MistudioError('NoSpace', 'm', { neededBytes: 1 }))).toEqual({ code: 'NoSpace', message: 'm', details: { neededBytes: 1 } });
  });
});
