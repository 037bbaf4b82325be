import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import dispatcherMethods from 'undici/lib/api/index.js';

/*
 * The parts of undici the product uses, each loaded from its own module. The package's index also evaluates the mock
 * agents, cache stores, WebSocket, EventSource, cookies, pools and interceptors on load: +20 MB of RSS in a fresh Node
 * process against +14 MB for these parts (measured), in every process that downloads. undici publishes no `exports`
 * map, so these paths are reachable; test/unit/net/undici.test.ts proves each is the object the index exports, so an
 * upgrade that moves one fails there, not in a user's download.
 *
 * The index also copies request/stream/pipeline/connect/upgrade onto Dispatcher.prototype, and undici relies on it
 * internally (ProxyAgent opens its CONNECT tunnel with `client.connect`), so this module does the same.
 */
Object.assign(Dispatcher.prototype, dispatcherMethods);

export { Dispatcher };
export { default as Agent } from 'undici/lib/dispatcher/agent.js';
export { default as EnvHttpProxyAgent } from 'undici/lib/dispatcher/env-http-proxy-agent.js';
export { fetch } from 'undici/lib/web/fetch/index.js';
