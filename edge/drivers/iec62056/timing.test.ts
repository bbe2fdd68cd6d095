import { afterEach, describe, expect, it, vi } from 'vitest';
import { GkhError } from '../../errors.js';
import type { ReadOptions, Transport } from '../types.js';
import { encodeDataMessage } from './codec.js';
import { readout } from './driver.js';

/** A scripted optical head: records writes and baud changes with the (fake) time they happened. */
class ScriptedHead implements Transport {
  readonly description = 'scripted';
  isOpen = true;
  log: string[] = [];
  nulBytes = 0;
  private replies: Buffer[] = [Buffer.from('/LUG5UH50\r\n', 'latin1'), encodeDataMessage('6.8(0029.055*MWh)\r\n!\r\n')];
  open(): Promise<void> {
    return Promise.resolve();
  }
  write(d: Uint8Array): Promise<void> {
    const b = Buffer.from(d);
    if (b.every((x) => x === 0)) this.nulBytes += b.length;
    this.log.push(`${Date.now()} write ${b.every((x) => x === 0) ? `${b.length}×NUL` : JSON.stringify(b.toString('latin1'))}`);
    return Promise.resolve();
  }
  read(o: ReadOptions): Promise<Buffer> {
    const r = this.replies.shift();
    this.log.push(`${Date.now()} read`);
    return r ? Promise.resolve(r) : Promise.reject(new GkhError('TRANSPORT_TIMEOUT', `no reply within ${o.timeoutMs} ms`));
  }
  discardInput(): void {}
  setBaudRate(b: number): Promise<void> {
    this.log.push(`${Date.now()} baud ${b}`);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

afterEach(() => vi.useRealTimers());

describe('IEC 62056-21 mode C timing (fake timers)', () => {
  it('2.2 s of NULs at 300 baud before the sign-on, ACK 0 5 0, switch 50 ms later, back to 300 after the readout', async () => {
    vi.useFakeTimers({ now: 0 });
    const head = new ScriptedHead();
    const p = readout(head, { readoutBaudRate: 9600 });
    await vi.advanceTimersByTimeAsync(3000);
    const r = await p;
    expect(r.baudRate).toBe(9600);
    expect(r.dataSets).toEqual([{ address: '6.8', raw: '0029.055*MWh', parts: [{ value: '0029.055', unit: 'MWh' }] }]);
    expect(head.nulBytes).toBe(66); // 2.2 s × 30 characters/s at 300 baud 7E1
    expect(head.log).toEqual([
      '0 baud 300',
      '0 write 66×NUL',
      '2200 write "/?!\\r\\n"',
      '2200 read',
      '2200 write "\\u0006050\\r\\n"',
      '2250 baud 9600',
      '2250 read',
      '2250 baud 300',
    ]);
  });
});
