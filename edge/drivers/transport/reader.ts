/**
 * The receive side shared by the serial and TCP transports: bytes arrive in chunks, `read()` cuts one reply
 * out of them by frame length (M-Bus, IEC 62056-21) or by inter-byte silence (Modbus RTU), under an
 * overall deadline. Bytes after a complete frame stay queued for the next read (or `discard()`).
 */
import { GkhError } from '../../errors.js';
import type { ReadOptions } from '../types.js';
import { toHex } from '../types.js';

interface Pending {
  opts: ReadOptions;
  resolve: (b: Buffer) => void;
  reject: (e: unknown) => void;
  overall: NodeJS.Timeout;
  interByte?: NodeJS.Timeout;
}

/** A byte queue with one pending `read` at a time. `where` names the port in error messages. */
export class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;

  constructor(private readonly where: () => string) {}

  /** Bytes received and not yet consumed (for tests and diagnostics). */
  get buffered(): number {
    return this.buf.length;
  }

  /** Feeds received bytes (from the port's `data` event). */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const p = this.pending;
    if (!p) return;
    if (this.tryComplete(p)) return;
    if (p.opts.interByteTimeoutMs !== undefined && this.buf.length > 0) {
      if (p.interByte) clearTimeout(p.interByte);
      p.interByte = setTimeout(() => this.onSilence(p), p.opts.interByteTimeoutMs);
    }
  }

  /** Drops everything buffered. */
  discard(): void {
    this.buf = Buffer.alloc(0);
  }

  /** Fails a pending read (port closed or broke). */
  fail(err: unknown): void {
    const p = this.pending;
    if (!p) return;
    this.finish(p);
    p.reject(err);
  }

  /** One reply; see ReadOptions. Rejects TRANSPORT_TIMEOUT (context: timeoutMs, partial hex) or TRANSPORT_BUSY_READ. */
  read(opts: ReadOptions): Promise<Buffer> {
    if (this.pending) return Promise.reject(new GkhError('TRANSPORT_READ_PENDING', `${this.where()}: a read is already pending (one transaction at a time)`));
    return new Promise<Buffer>((resolve, reject) => {
      const p: Pending = {
        opts,
        resolve,
        reject,
        overall: setTimeout(() => {
          this.finish(p);
          const partial = this.buf.length > 0 ? toHex(this.buf) : '';
          reject(
            new GkhError(
              'TRANSPORT_TIMEOUT',
              partial
                ? `${this.where()}: incomplete reply after ${opts.timeoutMs} ms (${this.buf.length} bytes) / неполный ответ`
                : `${this.where()}: no reply within ${opts.timeoutMs} ms / нет ответа`,
              { timeoutMs: opts.timeoutMs, received: this.buf.length, partial },
            ),
          );
        }, opts.timeoutMs),
      };
      this.pending = p;
      if (this.tryComplete(p)) return;
      if (opts.interByteTimeoutMs !== undefined && this.buf.length > 0) p.interByte = setTimeout(() => this.onSilence(p), opts.interByteTimeoutMs);
    });
  }

  private finish(p: Pending): void {
    clearTimeout(p.overall);
    if (p.interByte) clearTimeout(p.interByte);
    if (this.pending === p) this.pending = undefined;
  }

  /** Completes `p` when the frame-length function says the frame is whole. */
  private tryComplete(p: Pending): boolean {
    const fl = p.opts.frameLength;
    if (!fl || this.buf.length === 0) return false;
    let n: number | undefined;
    try {
      n = fl(this.buf);
    } catch (e) {
      this.finish(p);
      p.reject(e);
      return true;
    }
    if (n === undefined || n > this.buf.length) return false;
    const frame = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    this.finish(p);
    p.resolve(frame);
    return true;
  }

  /** Inter-byte silence: without a frame-length function the reply is what arrived; with one, the frame is cut short. */
  private onSilence(p: Pending): void {
    if (this.pending !== p) return;
    if (p.opts.frameLength) {
      this.finish(p);
      const partial = toHex(this.buf);
      const received = this.buf.length;
      this.buf = Buffer.alloc(0);
      p.reject(
        new GkhError('TRANSPORT_TIMEOUT', `${this.where()}: reply broke off after ${received} bytes (${p.opts.interByteTimeoutMs} ms silence) / ответ оборвался`, {
          interByteTimeoutMs: p.opts.interByteTimeoutMs,
          received,
          partial,
        }),
      );
      return;
    }
    const frame = this.buf;
    this.buf = Buffer.alloc(0);
    this.finish(p);
    p.resolve(frame);
  }
}

/** Reconnect pacing: after a failed open the next attempt waits `initialMs`, doubling up to `maxMs`. */
export interface BackoffOptions {
  /** First wait after a failure, ms (default 1000). */
  initialMs?: number;
  /** Longest wait, ms (default 60000). */
  maxMs?: number;
  /** Clock, ms (default Date.now; tests inject one). */
  now?: () => number;
}

/** Tracks when the next (re)open may be tried; a transport asks it before reopening a lost link. */
export class Backoff {
  private failures = 0;
  private nextAt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 1000;
    this.maxMs = o.maxMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds until the next attempt is allowed (0: now). */
  waitMs(): number {
    return Math.max(0, this.nextAt - this.now());
  }

  failed(): void {
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    this.nextAt = this.now() + delay;
  }

  succeeded(): void {
    this.failures = 0;
    this.nextAt = 0;
  }
}
