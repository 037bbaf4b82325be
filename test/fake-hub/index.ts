/**
 * A fake Hugging Face Hub for tests and the demo: two real HTTP servers on 127.0.0.1, the hub (API, resolve) and
 * a CDN on its own port (a different origin) that LFS downloads are redirected to. It speaks the protocol that
 * @huggingface/hub and Python's huggingface_hub use, and can inject faults and cap bandwidth per connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeCdn } from './cdn';
import { FaultBook, pathMatches, type RequestFacts } from './faults';
import { routeHub } from './hub';
import { errorReply, faultReply, rateLimitedReply, rateLimitHeaders, send, type Reply } from './send';
import { HubState } from './state';
import { resolveRevision } from './store';
import type { FakeHub, FakeHubOptions, RequestRecord } from './types';

export type { FakeCommit, FakeFile, FakeHub, FakeHubOptions, FakeRateLimit, FakeRepo, FaultRule, RequestRecord } from './types';

function decodedPath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  const state = new HubState(options);
  const faults = new FaultBook();
  const requests: RequestRecord[] = [];
  const host = options.host ?? '127.0.0.1';

  function handler(server: 'hub' | 'cdn') {
    return (req: IncomingMessage, res: ServerResponse): void => {
      const url = new URL(req.url ?? '/', 'http://fake-hub.invalid');
      const record: RequestRecord = { server, method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers }, status: 0, bodyBytesSent: 0 };
      requests.push(record);
      const facts: RequestFacts = { server, method: record.method, path: decodedPath(url.pathname) };
      const ctx = { req, res, record, facts, faults, bytesPerSecond: server === 'cdn' ? options.cdnBytesPerSecondPerConnection : undefined };
      void (async () => {
        const early = faults.takeEarly(facts);
        // The Hub's per-resource windows: /api/… is "api", file URLs (resolve, resolve-cache) are "resolvers".
        const resource = facts.path.startsWith('/api/') && !facts.path.startsWith('/api/resolve-cache/') ? 'api' : 'resolvers';
        const window = server === 'hub' && !early ? state.takeRequest(resource) : undefined;
        const windowSeconds = window ? Math.round(window.limit.windowMs / 1000) : 0;
        let reply: Reply;
        try {
          if (window?.limited) reply = rateLimitedReply(resource, window.resetSeconds, window.limit.requests, windowSeconds);
          else reply = early ? faultReply(early, server) : server === 'hub' ? await routeHub(state, req, url) : routeCdn(state, req, url);
        } catch (err) {
          reply = errorReply(500, `fake hub internal error: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (window && !window.limited) {
          reply = { ...reply, headers: { ...reply.headers, ...rateLimitHeaders(resource, window.remaining, window.resetSeconds, window.limit.requests, windowSeconds) } };
        }
        // Drain any request body we did not read, so keep-alive connections stay usable.
        req.resume();
        await send(ctx, reply);
      })().catch(() => {
        res.destroy();
      });
    };
  }

  const hubServer = createServer({ keepAliveTimeout: 5_000 }, handler('hub'));
  const cdnServer = createServer({ keepAliveTimeout: 5_000 }, handler('cdn'));
  const hubPort = await listen(hubServer, host, options.port ?? 0);
  const cdnPort = await listen(cdnServer, host, options.cdnPort ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  state.hubUrl = `http://${urlHost}:${hubPort}`;
  state.cdnUrl = `http://${urlHost}:${cdnPort}`;

  return {
    url: state.hubUrl,
    cdnUrl: state.cdnUrl,
    requests,
    bytesSent(filter = {}) {
      return requests
        .filter((r) => (filter.server === undefined || r.server === filter.server) && (filter.path === undefined || pathMatches(filter.path, decodedPath(r.url.split('?')[0]!))))
        .reduce((sum, r) => sum + r.bodyBytesSent, 0);
    },
    addRepo: (repo) => state.addRepo(repo),
    setFaults: (rules) => faults.set(rules),
    setRateLimits: (limits) => state.setRateLimits(limits),
    commitSha(kind, repoId, revision) {
      const repo = state.repo(kind, repoId);
      const commit = repo && resolveRevision(repo, revision);
      if (!commit) throw new Error(`fake hub: no ${kind} ${repoId}@${revision}`);
      return commit.sha;
    },
    resetStats() {
      requests.length = 0;
    },
    async close() {
      await Promise.all([closeServer(hubServer), closeServer(cdnServer)]);
    },
  };
}
