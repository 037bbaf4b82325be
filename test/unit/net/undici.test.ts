import { describe, expect, it } from 'vitest';
import * as parts from '../../../src/core/net/undici';

// Runs in declaration order: the first test must see the prototype before anything loads undici's index (which
// installs the same methods), so the index is imported only in the second.
describe('undici parts loaded one module each', () => {
  it('give every dispatcher the API methods the index would install', () => {
    for (const method of ['request', 'stream', 'pipeline', 'connect', 'upgrade'] as const) {
      expect(typeof parts.Dispatcher.prototype[method], method).toBe('function');
    }
  });

  it('are the very objects the package index exports (an upgrade that moves a file fails here)', async () => {
    const undiciIndex = await import('undici');
    expect(parts.Dispatcher).toBe(undiciIndex.Dispatcher);
    expect(parts.Agent).toBe(undiciIndex.Agent);
    expect(parts.EnvHttpProxyAgent).toBe(undiciIndex.EnvHttpProxyAgent);
    // The index wraps fetch only to add its own frame to error stacks; the implementation is the one it wraps.
    expect(parts.fetch.name).toBe('fetch');
  });
});
