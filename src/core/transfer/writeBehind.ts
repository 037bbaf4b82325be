/**
 * Writes one response's bytes to consecutive file positions without making the network wait for each write:
 * chunks that arrive while a write is in flight are gathered and written together in the next one — handed over as
 * they came (one writev), not copied into one buffer: a copy per batch was CPU and garbage waiting for the GC. Memory stays
 * bounded: `push` waits once `maxQueuedBytes` are queued, which backs pressure up to the socket.
 */
export class WriteBehind {
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private nextPosition: number;
  private current: Promise<void> | undefined;
  private pumping: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(
    start: number,
    /** Writes `chunks` (`bytes` in all) at `position`; resolves once they are on their way to disk and accounted for. */
    private readonly write: (position: number, chunks: readonly Buffer[], bytes: number) => Promise<void>,
    private readonly maxQueuedBytes: number,
  ) {
    this.nextPosition = start;
  }

  /** Queues `chunk` for the next position; throws a previous write's failure. */
  async push(chunk: Buffer): Promise<void> {
    this.throwIfFailed();
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
    this.pumping ??= this.pump();
    while (this.queuedBytes >= this.maxQueuedBytes && this.current !== undefined) {
      await this.current.catch(() => undefined);
      this.throwIfFailed();
    }
  }

  /** Waits until everything queued is written; throws a write failure. */
  async flush(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
    this.throwIfFailed();
  }

  /** Waits until no write is in flight, without throwing (before giving up on a response). */
  async settle(): Promise<unknown> {
    while (this.pumping !== undefined) await this.pumping;
    return this.failure?.error;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queued.length > 0 && this.failure === undefined) {
        const batch = this.queued;
        const bytes = this.queuedBytes;
        const position = this.nextPosition;
        this.nextPosition += bytes;
        this.queued = [];
        this.queuedBytes = 0;
        this.current = this.write(position, batch, bytes);
        await this.current;
      }
    } catch (error) {
      this.failure = { error };
      this.queued = [];
      this.queuedBytes = 0;
    } finally {
      this.current = undefined;
      this.pumping = undefined;
    }
  }
}
