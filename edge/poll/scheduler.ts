/**
 * Hourly cycle: each meter is read `hourlyOffsetMinutes` after every hour (the calculator has closed
 * its archive record by then), once at start (backfill after any outage), and — after a failure —
 * again with a bounded back-off so a returning meter is backfilled without waiting for the next hour.
 * Current values are read on their own interval for the status page.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { MeterPoller } from './meter-poller.js';

const HOUR_MS = 3_600_000;

/** Back-off after consecutive failures, real ms: 5 s doubling, at most 5 min. */
export function backoffMs(failures: number): number {
  return Math.min(300_000, 5_000 * 2 ** Math.max(0, failures - 1));
}

/** The next cycle time (clock ms) strictly after `now` for an offset in minutes. */
export function nextCycleAt(now: number, offsetMinutes: number): number {
  const offset = offsetMinutes * 60_000;
  let t = Math.floor(now / HOUR_MS) * HOUR_MS + offset;
  if (t <= now) t += HOUR_MS;
  return t;
}

export class Scheduler {
  private readonly abort = new AbortController();
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly pollers: MeterPoller[],
    private readonly clock: Clock,
    private readonly log: Logger,
    /** When false, no current-value loop (tests). */
    private readonly currentValues = true,
  ) {}

  start(): void {
    for (const p of this.pollers) {
      this.running.push(this.hourlyLoop(p));
      if (this.currentValues) this.running.push(this.currentLoop(p));
    }
  }

  /** Stops timers and waits for the transactions in progress to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.running);
  }

  private async hourlyLoop(p: MeterPoller): Promise<void> {
    while (!this.abort.signal.aborted) {
      await p.cycle();
      if (this.abort.signal.aborted) return;
      const next = nextCycleAt(this.clock.now(), p.meter.poll.hourlyOffsetMinutes);
      let delay = this.clock.realDelayUntil(next);
      if (p.state.link === 'lost') delay = Math.min(delay, backoffMs(p.state.consecutiveFailures));
      await this.sleep(delay);
    }
  }

  private async currentLoop(p: MeterPoller): Promise<void> {
    const interval = p.meter.poll.currentIntervalSeconds * 1000;
    await this.sleep(Math.min(interval, 2_000));
    while (!this.abort.signal.aborted) {
      if (p.state.link !== 'lost') await p.readCurrent();
      await this.sleep(interval);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve();
      const signal = this.abort.signal;
      const t = setTimeout(done, ms);
      // Remove the listener when the timer fires: a `once` listener stays until abort, and one is added
      // per sleep (32 meters × a current read a minute ≈ 47 000 a day, ~550 B each: a 25 MB/day leak).
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
