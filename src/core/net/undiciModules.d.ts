// Types for the undici modules src/core/net/undici.ts loads one by one. Each is the very object the package's index
// re-exports (test/unit/net/undici.test.ts checks that), so the index's published types describe them.
declare module 'undici/lib/dispatcher/dispatcher.js' {
  import { Dispatcher } from 'undici';
  export = Dispatcher;
}
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export = Agent;
}
declare module 'undici/lib/dispatcher/env-http-proxy-agent.js' {
  import { EnvHttpProxyAgent } from 'undici';
  export = EnvHttpProxyAgent;
}
declare module 'undici/lib/api/index.js' {
  /** request, stream, pipeline, connect, upgrade: the methods the index copies onto Dispatcher.prototype. */
  const api: Readonly<Record<string, unknown>>;
  export = api;
}
declare module 'undici/lib/web/fetch/index.js' {
  export { fetch } from 'undici';
}
