/**
 * One RS-485 line is one half-duplex bus: exactly one transaction at a time, and a guard time of
 * silence after each reply before the next request (DESIGN.md "Drivers"). BusQueue serialises the
 * transactions of every meter on one bus, in arrival order, so a silent meter costs only its own
 * bounded timeouts and never blocks the queue.
 */
import type { Transport } from '../drivers/types.js';

export interface BusQueueOptions {
  /** Silence after one transaction before the next starts, ms. */
  guardTimeMs: number;
}

export class BusQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private closed = false;

  constructor(
    readonly transport: Transport,
    private readonly opts: BusQueueOptions,
  ) {}

  /** Transactions waiting or running. */
  get depth(): number {
    return this.pending;
  }

  /**
   * Runs `fn` with exclusive use of the bus. Opens the transport when closed (a converter that went
   * away is reconnected here). Rejections of `fn` reach the caller; the queue moves on.
   */
  run<T>(fn: (t: Transport) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('bus queue closed'));
    this.pending++;
    const job = this.tail.then(async () => {
      try {
        if (!this.transport.isOpen) await this.transport.open();
        this.transport.discardInput();
        return await fn(this.transport);
      } finally {
        await sleep(this.opts.guardTimeMs);
        this.pending--;
      }
    });
    this.tail = job.catch(() => undefined);
    return job;
  }

  /** Waits for the running transaction, then closes the transport. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    if (this.transport.isOpen) await this.transport.close();
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
