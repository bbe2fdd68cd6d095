import { describe, expect, it } from 'vitest';
import type { ReadOptions, Transport } from '../drivers/types.js';
import { BusQueue } from './bus-queue.js';

/** A transport that records the order of use and whether two transactions ever overlapped. */
function fakeTransport() {
  const log: string[] = [];
  let busy = 0;
  let overlap = false;
  const t: Transport & { log: string[]; overlap: () => boolean } = {
    description: 'fake',
    isOpen: false,
    log,
    overlap: () => overlap,
    async open() {
      (t as { isOpen: boolean }).isOpen = true;
      log.push('open');
    },
    async write(d: Uint8Array) {
      busy++;
      if (busy > 1) overlap = true;
      log.push(`w${d[0]}`);
    },
    async read(_o: ReadOptions) {
      await new Promise((r) => setTimeout(r, 5));
      busy--;
      return Buffer.from([1]);
    },
    discardInput() {},
    async close() {
      (t as { isOpen: boolean }).isOpen = false;
      log.push('close');
    },
  };
  return t;
}

describe('BusQueue', () => {
  it('runs one transaction at a time in arrival order, with guard time between', async () => {
    const t = fakeTransport();
    const q = new BusQueue(t, { guardTimeMs: 20 });
    const started: number[] = [];
    const jobs = [1, 2, 3].map((n) =>
      q.run(async (tr) => {
        started.push(Date.now());
        await tr.write(Buffer.from([n]));
        return tr.read({ timeoutMs: 100 });
      }),
    );
    expect(q.depth).toBe(3);
    await Promise.all(jobs);
    expect(t.overlap()).toBe(false);
    expect(t.log).toEqual(['open', 'w1', 'w2', 'w3']);
    for (let i = 1; i < started.length; i++) expect(started[i]! - started[i - 1]!).toBeGreaterThanOrEqual(20);
    expect(q.depth).toBe(0);
  });

  it('a failing transaction does not stall the ones behind it', async () => {
    const q = new BusQueue(fakeTransport(), { guardTimeMs: 0 });
    const a = q.run(async () => {
      throw new Error('timeout');
    });
    const b = q.run(async () => 'ok');
    await expect(a).rejects.toThrow('timeout');
    await expect(b).resolves.toBe('ok');
  });

  it('closes after the running transaction', async () => {
    const t = fakeTransport();
    const q = new BusQueue(t, { guardTimeMs: 0 });
    const job = q.run(async (tr) => {
      await tr.write(Buffer.from([9]));
      return tr.read({ timeoutMs: 50 });
    });
    await q.close();
    await job;
    expect(t.log.at(-1)).toBe('close');
    await expect(q.run(async () => 1)).rejects.toThrow(/closed/);
  });
});
