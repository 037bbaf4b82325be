import type { Dispatcher } from 'undici';
import { Agent, fetch as undiciFetch } from '../net/undici';

let shared: Agent | undefined;

/**
 * One keep-alive Agent for every transfer, so many small files to the same host reuse warm connections instead of
 * paying a TCP/TLS handshake each. No pipelining: a large range body would block the requests queued behind it.
 * The per-origin cap is above what the settings allow by default (4 files × 8 ranges) and keeps a runaway
 * configuration from opening hundreds of sockets to one CDN host.
 */
export function sharedTransferAgent(): Dispatcher {
  shared ??= new Agent({
    connections: 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connect: { timeout: 15_000 },
  });
  return shared;
}

/** Closes the shared Agent's idle sockets (extension deactivate, CLI exit, test teardown). */
export async function closeSharedTransferAgent(): Promise<void> {
  const agent = shared;
  shared = undefined;
  if (agent !== undefined) await agent.close();
}

/**
 * `fetch` on the package's undici and the shared Agent: metadata calls share warm connections with the transfers,
 * and a process that never calls Node's global fetch never loads Node's own copy of undici (+10 MB of RSS).
 */
export const sharedFetch: typeof fetch = (input, init) =>
  undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: sharedTransferAgent() }) as unknown as Promise<Response>;
