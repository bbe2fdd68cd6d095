/**
 * An in-memory Transport wired to simulated RTU devices (no pty, no timers beyond the read timeout): for
 * fast unit tests of sessions and drivers. Requests go through the same device handlers and fault injector
 * as the RtuServer; a dropped reply rejects TRANSPORT_TIMEOUT after `timeoutMs`.
 */
import { GkhError } from '../../errors.js';
import { withCrc } from '../modbus/crc.js';
import type { ReadOptions, Transport } from '../types.js';
import { FaultInjector } from './faults.js';
import type { RtuDevice } from './rtu-server.js';

export class LoopbackTransport implements Transport {
  readonly description = 'loopback';
  isOpen = false;
  /** Every request written, in order (for assertions). */
  readonly sent: Buffer[] = [];
  private pending: Buffer | undefined;

  constructor(
    private readonly devices: RtuDevice[],
    readonly faults = new FaultInjector(),
  ) {}

  open(): Promise<void> {
    this.isOpen = true;
    return Promise.resolve();
  }

  write(data: Uint8Array): Promise<void> {
    const req = Buffer.from(data);
    this.sent.push(req);
    const dev = this.devices.find((d) => d.address === req[0]);
    const pdu = dev?.handle(req[1]!, req.subarray(2, req.length - 2));
    this.pending = dev && pdu ? this.faults.apply(withCrc(Buffer.concat([Buffer.from([dev.address]), pdu]))) : undefined;
    return Promise.resolve();
  }

  read(opts: ReadOptions): Promise<Buffer> {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return new Promise((_, rej) => setTimeout(() => rej(new GkhError('TRANSPORT_TIMEOUT', `loopback: no reply within ${opts.timeoutMs} ms`, { timeoutMs: opts.timeoutMs })), opts.timeoutMs));
    if (opts.frameLength) {
      const n = opts.frameLength(p); // may throw (noise), as the real reader does
      if (n !== undefined && n <= p.length) return Promise.resolve(p.subarray(0, n));
    }
    return Promise.resolve(p);
  }

  discardInput(): void {
    this.pending = undefined;
  }

  close(): Promise<void> {
    this.isOpen = false;
    return Promise.resolve();
  }
}
