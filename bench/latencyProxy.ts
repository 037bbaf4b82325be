import * as net from 'node:net';

export interface LatencyProxy {
  /** http://127.0.0.1:<port>, forwarding to the target. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A TCP proxy that delays every byte by half the round-trip time in each direction, as a network path would, without
 * limiting throughput (chunks are forwarded in order as they come due). Lets a loopback benchmark show what latency
 * does to a downloader that asks for files one after another. TCP handshakes themselves are not delayed.
 */
export async function startLatencyProxy(targetUrl: string, roundTripMs: number): Promise<LatencyProxy> {
  const target = new URL(targetUrl);
  const oneWay = roundTripMs / 2;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    delayedPipe(client, upstream, oneWay);
    delayedPipe(upstream, client, oneWay);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Forwards `from` to `to`, each chunk `delayMs` after it arrived; the end of stream is delayed the same way. */
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: Array<{ due: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else if (!to.write(chunk)) from.pause();
    }
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
  };
  const enqueue = (chunk: Buffer | null): void => {
    queue.push({ due: performance.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  };
  to.on('drain', () => from.resume());
  from.on('data', (chunk: Buffer) => enqueue(chunk));
  from.on('end', () => enqueue(null));
}
