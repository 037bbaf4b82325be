import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MistudioError } from '../../../src/core/errors';
import { HubClient } from '../../../src/core/hub';
import { httpError } from '../../../src/core/net/httpErrors';
import { downloadFile } from '../../../src/core/transfer';
import type { RepoRef } from '../../../src/core/repo';
import { startFakeHub, type FakeHub, type FaultRule } from '../../fake-hub/index';
import { REPOS, TOKEN, TOKENS, WEIGHTS } from '../transfer/fixtures';

// One mapping of failed requests: the same answer from the Hub is the same typed error whether a metadata call
// (core/hub) or a file transfer (core/transfer) met it.
const RETRY = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxServerWaitMs: 5 };

let hub: FakeHub;
let dir: string;
beforeAll(async () => {
  hub = await startFakeHub({ repos: REPOS, tokens: TOKENS });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-http-errors-'));
});
afterEach(() => hub.setFaults([]));
afterAll(async () => {
  await hub.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Case {
  readonly name: string;
  readonly repo: string;
  readonly file?: string;
  readonly token?: string;
  readonly faults?: FaultRule[];
  readonly code: string;
  /** The transfer's message where it differs: generic failures name the download and the attempts first. */
  readonly transferMessage?: RegExp;
}

const CASES: readonly Case[] = [
  { name: 'gated, signed out', repo: 'acme/gated', code: 'Gated' },
  { name: 'gated, a token without access', repo: 'acme/gated', token: TOKEN, code: 'Gated' },
  { name: 'private, signed out', repo: 'acme/private', code: 'RepoNotFound' },
  { name: 'a token the Hub does not know', repo: 'acme/tiny', token: 'hf_not_a_real_token', code: 'Unauthorized' },
  { name: 'a file that is not there', repo: 'acme/tiny', file: 'missing.bin', code: 'EntryNotFound' },
  { name: 'rate limited until retries run out', repo: 'acme/tiny', faults: [{ kind: 'status', status: 429, retryAfterSeconds: 0, match: { server: 'hub' } }], code: 'RateLimited', transferMessage: /^Download of weights\.bin failed after 2 attempts: http:\S+ is rate-limiting requests: retry in 0 s$/ },
  { name: 'a busy server until retries run out', repo: 'acme/tiny', faults: [{ kind: 'status', status: 503, match: { server: 'hub' } }], code: 'Http', transferMessage: /^Download of weights\.bin failed after 2 attempts: http:\S+ answered HTTP 503: Injected failure \(503\)$/ },
  { name: 'an answer not worth retrying', repo: 'acme/tiny', faults: [{ kind: 'status', status: 501, match: { server: 'hub' } }], code: 'Http', transferMessage: /^Download of weights\.bin failed: http:\S+ answered HTTP 501: Injected failure \(501\)$/ },
];

async function failureOf(run: () => Promise<unknown>): Promise<MistudioError> {
  const outcome = await run().then(() => undefined, (err: unknown) => err);
  if (!(outcome instanceof MistudioError)) throw new Error(`expected a MistudioError, got ${String(outcome)}`);
  return outcome;
}

describe('the same failed answer is the same error for metadata calls and transfers', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ref: RepoRef = { kind: 'model', repoId: c.repo };
      const file = c.file ?? 'weights.bin';
      const client = new HubClient({ endpoint: hub.url, ...(c.token ? { token: c.token } : {}), retry: RETRY });
      if (c.faults) hub.setFaults(c.faults);
      const metadata = await failureOf(() => client.readSmallFile(ref, 'main', file));
      hub.resetStats();
      if (c.faults) hub.setFaults(c.faults);
      const transfer = await failureOf(() =>
        downloadFile({
          url: client.fileUrl(ref, 'main', file),
          source: { endpoint: hub.url, ref, revision: 'main' },
          ...(c.token ? { token: c.token } : {}),
          partialPath: path.join(dir, `${c.name}.incomplete`),
          finalPath: path.join(dir, c.name),
          size: WEIGHTS.length,
          retry: RETRY,
        }),
      );
      expect([metadata.code, transfer.code]).toEqual([c.code, c.code]);
      expect(transfer.details).toEqual(metadata.details);
      if (c.transferMessage === undefined) expect(transfer.message).toBe(metadata.message);
      else expect(transfer.message, transfer.message).toMatch(c.transferMessage);
    });
  }
});

describe('wording', () => {
  const ctx = { endpoint: 'https://hub.example', hasToken: false, ref: { kind: 'dataset' as const, repoId: 'org/data' } };

  it('a gated repo names its page and what to do, with or without a token', () => {
    const signedOut = httpError({ status: 401, errorCode: 'GatedRepo' }, ctx);
    expect(signedOut.message).toBe('Dataset org/data is gated: request access at https://hub.example/datasets/org/data and sign in with a Hugging Face token that has it');
    const noAccess = httpError({ status: 403, errorCode: 'GatedRepo' }, { ...ctx, hasToken: true });
    expect(noAccess.message).toBe('Dataset org/data is gated and this account has no access yet: request access at https://hub.example/datasets/org/data');
    expect(noAccess.details).toEqual({ status: 403, repoId: 'org/data', url: 'https://hub.example/datasets/org/data' });
  });

  it('a 403 that is not about gating is a refusal (Unauthorized), not a generic HTTP error', () => {
    expect(httpError({ status: 403 }, ctx).code).toBe('Unauthorized');
  });

  it('retries run out: the attempts are said, after the action when there is one', () => {
    expect(httpError({ status: 503 }, { ...ctx, attempts: 5 }).message).toBe('https://hub.example answered HTTP 503 after 5 attempts');
    expect(httpError({ status: 503 }, { ...ctx, attempts: 5, action: 'Download of a.bin' }).message).toBe('Download of a.bin failed after 5 attempts: https://hub.example answered HTTP 503');
    expect(httpError({ status: 429, retryAfterSeconds: 48 }, ctx)).toMatchObject({ code: 'RateLimited', details: { retryAfterSeconds: 48 } });
  });
});
