import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubNetwork, proxyDispatcher } from '../../../src/host/network';
import type { ProxyConfig } from '../../../src/host/config';

const NO_PROXY: ProxyConfig = { proxy: '', strictSSL: true, noProxy: [], authorization: undefined };

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

let target: Server;
let targetUrl: string;
let proxy: Server;
let proxyUrl: string;
/** What the proxy was asked to reach, and with which Proxy-Authorization. */
let proxied: Array<{ to: string; auth: string | undefined }>;
const sockets = new Set<Socket>();

beforeEach(async () => {
  proxied = [];
  target = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const body = Buffer.concat(chunks).toString();
      res.end(JSON.stringify(req.method === 'POST' ? { path: req.url, method: req.method, body } : { path: req.url }));
    });
  });
  targetUrl = `http://127.0.0.1:${await listen(target)}`;
  proxy = createServer((req: IncomingMessage, res) => {
    // Plain forward-proxy form (absolute URL in the request line).
    proxied.push({ to: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const upstream = httpRequest(req.url ?? '', { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    proxied.push({ to: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream).add(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
});

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all([close(target), close(proxy)]);
});

async function fetchJson(network: HubNetwork, p: string): Promise<unknown> {
  const response = await network.fetch(`${targetUrl}${p}`, { headers: { accept: 'application/json' } });
  expect(response.status).toBe(200);
  return response.json();
}

async function bytesVia(network: HubNetwork, p: string): Promise<string> {
  // Through the dispatcher the engine gets, and without undici's index in this file: ProxyAgent's tunnel needs the
  // prototype methods src/core/net/undici.ts installs.
  const { body } = await network.dispatcher.request({ origin: targetUrl, path: p, method: 'GET' });
  return body.text();
}

describe('HubNetwork', () => {
  it('connects directly when no proxy is configured', async () => {
    const network = new HubNetwork(NO_PROXY, {});
    expect(network.proxied).toBe(false);
    expect(await fetchJson(network, '/a')).toEqual({ path: '/a' });
    expect(await bytesVia(network, '/b')).toBe('{"path":"/b"}');
    expect(proxied).toEqual([]);
    await network.dispose();
  });

  it('sends metadata and file bytes through http.proxy, with its Proxy-Authorization', async () => {
    const network = new HubNetwork({ ...NO_PROXY, proxy: proxyUrl, authorization: 'Basic dTpw' }, {});
    expect(await fetchJson(network, '/meta')).toEqual({ path: '/meta' });
    expect(await bytesVia(network, '/blob')).toBe('{"path":"/blob"}');
    expect(proxied.length).toBeGreaterThanOrEqual(1);
    expect(proxied.every((p) => p.to.includes(new URL(targetUrl).host))).toBe(true);
    expect(proxied.every((p) => p.auth === 'Basic dTpw')).toBe(true);
    await network.dispose();
  });

  it('bypasses the proxy for http.noProxy hosts', async () => {
    const network = new HubNetwork({ ...NO_PROXY, proxy: proxyUrl, noProxy: ['127.0.0.1'] }, {});
    expect(await fetchJson(network, '/direct')).toEqual({ path: '/direct' });
    expect(proxied).toEqual([]);
    await network.dispose();
  });

  it('uses HTTP(S)_PROXY from the environment when http.proxy is empty', async () => {
    const network = new HubNetwork(NO_PROXY, { HTTP_PROXY: proxyUrl });
    expect(network.proxied).toBe(true);
    expect(await fetchJson(network, '/env')).toEqual({ path: '/env' });
    expect(proxied).toHaveLength(1);
    await network.dispose();
  });

  it('applies a settings change to the next request', async () => {
    const network = new HubNetwork(NO_PROXY, {});
    await fetchJson(network, '/1');
    network.configure({ ...NO_PROXY, proxy: proxyUrl });
    await fetchJson(network, '/2');
    await bytesVia(network, '/3');
    const viaProxy = proxied.length;
    expect(viaProxy).toBeGreaterThanOrEqual(1);
    network.configure(NO_PROXY);
    await fetchJson(network, '/4');
    expect(proxied.length).toBe(viaProxy);
    await network.dispose();
  });

  it('passes a POST Request object with its body through the proxy', async () => {
    const network = new HubNetwork({ ...NO_PROXY, proxy: proxyUrl }, {});
    const response = await network.fetch(new Request(`${targetUrl}/post`, { method: 'POST', body: 'paths=a', headers: { 'content-type': 'text/plain' } }));
    expect(await response.json()).toEqual({ path: '/post', method: 'POST', body: 'paths=a' });
    await network.dispose();
  });

  it('passes a Request object through the proxy intact', async () => {
    const network = new HubNetwork({ ...NO_PROXY, proxy: proxyUrl }, {});
    const response = await network.fetch(new Request(`${targetUrl}/req`, { headers: { accept: 'application/json' } }));
    expect(await response.json()).toEqual({ path: '/req' });
    await network.dispose();
  });
});

describe('proxyDispatcher', () => {
  it('is undefined without a proxy setting or proxy environment', () => {
    expect(proxyDispatcher(NO_PROXY, {})).toBeUndefined();
    expect(proxyDispatcher(NO_PROXY, { NO_PROXY: '*' })).toBeUndefined();
  });
});
