import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isGkhError } from '../../errors.js';
import { freePort } from '../../testing.js';
import { Backoff, ReplyReader, SerialTransport, TcpTransport, openTransport, serialOpenError } from './index.js';
import { socatPair, type PtyPair } from './socat.js';

/** M-Bus style framing: 0xE5 = 1 byte, 0x10 = 5 bytes, 0x68 L L 0x68 = L + 6 bytes. */
const mbusLen = (b: Buffer): number | undefined => (b[0] === 0xe5 ? 1 : b[0] === 0x10 ? 5 : b[0] === 0x68 && b.length >= 2 ? b[1]! + 6 : b.length >= 1 ? 1 : undefined);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('ReplyReader', () => {
  it('cuts frames by length and keeps the rest for the next read', async () => {
    const r = new ReplyReader(() => 'test');
    r.push(Buffer.from([0xe5, 0x10, 0x5b]));
    expect([...(await r.read({ timeoutMs: 100, frameLength: mbusLen }))]).toEqual([0xe5]);
    const next = r.read({ timeoutMs: 1000, frameLength: mbusLen });
    r.push(Buffer.from([0xfe, 0x59, 0x16]));
    expect([...(await next)]).toEqual([0x10, 0x5b, 0xfe, 0x59, 0x16]);
    expect(r.buffered).toBe(0);
  });

  it('ends a reply on inter-byte silence and times out with the partial bytes (fake timers)', async () => {
    vi.useFakeTimers();
    try {
      const r = new ReplyReader(() => 'test');
      const p = r.read({ timeoutMs: 2000, interByteTimeoutMs: 30 });
      r.push(Buffer.from([1, 2]));
      vi.advanceTimersByTime(29); // 29 ms of silence: still one reply
      r.push(Buffer.from([3]));
      vi.advanceTimersByTime(29);
      r.push(Buffer.from([4]));
      vi.advanceTimersByTime(30); // 30 ms of silence ends it
      expect([...(await p)]).toEqual([1, 2, 3, 4]);
      const broken = r.read({ timeoutMs: 2000, interByteTimeoutMs: 30, frameLength: mbusLen });
      r.push(Buffer.from([0x68, 0x10, 0x10]));
      vi.advanceTimersByTime(30);
      const e = await rejection(broken);
      expect(isGkhError(e, 'TRANSPORT_TIMEOUT')).toBe(true);
      expect((e as { context: { partial: string } }).context.partial).toBe('68 10 10');
      const none = r.read({ timeoutMs: 20 });
      vi.advanceTimersByTime(19);
      vi.advanceTimersByTime(1);
      expect(isGkhError(await rejection(none), 'TRANSPORT_TIMEOUT')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('allows one pending read at a time', async () => {
    const r = new ReplyReader(() => 'test');
    const first = r.read({ timeoutMs: 50 });
    const e = await rejection(r.read({ timeoutMs: 50 }));
    expect(isGkhError(e, 'TRANSPORT_READ_PENDING')).toBe(true);
    expect(isGkhError(await rejection(first), 'TRANSPORT_TIMEOUT')).toBe(true);
  });
});

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs and resets on success', () => {
    let now = 0;
    const b = new Backoff({ initialMs: 100, maxMs: 350, now: () => now });
    expect(b.waitMs()).toBe(0);
    b.failed();
    expect(b.waitMs()).toBe(100);
    b.failed();
    expect(b.waitMs()).toBe(200);
    b.failed();
    expect(b.waitMs()).toBe(350);
    now = 1000;
    expect(b.waitMs()).toBe(0);
    b.succeeded();
    b.failed();
    expect(b.waitMs()).toBe(100);
  });
});

describe('serial transport over a socat pty pair', () => {
  let pair: PtyPair;
  const open: SerialTransport[] = [];
  beforeEach(async () => {
    pair = await socatPair();
  });
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
    await pair.close();
  });
  const mk = async (path: string, o: Partial<ConstructorParameters<typeof SerialTransport>[0]> = {}): Promise<SerialTransport> => {
    const t = new SerialTransport({ path, ...o });
    await t.open();
    open.push(t);
    return t;
  };

  it('carries an M-Bus request and reply at 2400 8E1', async () => {
    const master = await mk(pair.a);
    const slave = await mk(pair.b);
    expect(master.description).toBe(`${pair.a} 2400 8E1`);
    const req = Buffer.from([0x10, 0x5b, 0xfe, 0x59, 0x16]);
    const got = slave.read({ timeoutMs: 5000, frameLength: mbusLen });
    await master.write(req);
    expect(Buffer.compare(await got, req)).toBe(0);
    const reply = master.read({ timeoutMs: 5000, interByteTimeoutMs: 200, frameLength: mbusLen });
    await slave.write(Buffer.from([0xe5]));
    expect([...(await reply)]).toEqual([0xe5]);
  });

  it('opens 300 7E1 and switches baud rate (IEC 62056-21 mode C)', async () => {
    const t = await mk(pair.a, { baudRate: 300, dataBits: 7, parity: 'even', stopBits: 1 });
    const peer = await mk(pair.b, { baudRate: 300, dataBits: 7 });
    expect(t.description).toBe(`${pair.a} 300 7E1`);
    await t.setBaudRate(9600);
    const got = peer.read({ timeoutMs: 5000, interByteTimeoutMs: 100 });
    await t.write(Buffer.from('/?!\r\n'));
    expect((await got).toString()).toBe('/?!\r\n');
  });

  it('times out when nobody answers', async () => {
    const t = await mk(pair.a);
    t.discardInput();
    const e = await rejection(t.read({ timeoutMs: 100 }));
    expect(isGkhError(e, 'TRANSPORT_TIMEOUT')).toBe(true);
  });

  it('says busy when another program holds the port', async () => {
    await mk(pair.a);
    const e = await rejection(new SerialTransport({ path: pair.a }).open());
    expect(isGkhError(e, 'TRANSPORT_BUSY')).toBe(true);
  });

  it('says the port is missing, and refuses writes after close', async () => {
    const t = new SerialTransport({ path: `${pair.a}-nope` });
    const e = await rejection(t.open());
    expect(isGkhError(e, 'TRANSPORT_PORT_MISSING')).toBe(true);
    const ok = await mk(pair.a);
    await ok.close();
    expect(isGkhError(await rejection(ok.write(Buffer.from([1]))), 'TRANSPORT_CLOSED')).toBe(true);
  });

  it('openTransport builds a serial transport from a bus config', async () => {
    const t = openTransport({ id: 'b1', type: 'serial', path: pair.a, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, timeoutMs: 1000, interByteTimeoutMs: 50, guardTimeMs: 50, retries: 1 });
    expect(t.description).toBe(`${pair.a} 9600 8N1`);
    await t.open();
    expect(t.isOpen).toBe(true);
    await t.close();
    expect(t.isOpen).toBe(false);
  });
});

describe('serial open errors', () => {
  it('maps permission denied to the dialout hint (message as serialport bindings print it)', () => {
    const e = serialOpenError('/dev/ttyS0', new Error('Error: Permission denied, cannot open /dev/ttyS0'));
    expect(e.code).toBe('TRANSPORT_PERMISSION');
    expect(e.message).toContain('dialout');
    expect(serialOpenError('/dev/x', new Error('Error Resource temporarily unavailable Cannot lock port')).code).toBe('TRANSPORT_BUSY');
    expect(serialOpenError('/dev/x', new Error('Error: No such file or directory, cannot open /dev/x')).code).toBe('TRANSPORT_PORT_MISSING');
  });
});

describe('tcp transport', () => {
  let server: Server;
  let port: number;
  const conns: Socket[] = [];
  beforeEach(async () => {
    port = await freePort();
    server = createServer((s) => {
      conns.push(s);
      // An M-Bus slave that ACKs every SND_NKE.
      s.on('data', (d) => {
        if (d[0] === 0x10 && d[1] === 0x40) s.write(Buffer.from([0xe5]));
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('runs a transaction and reconnects after the converter drops the link', async () => {
    let now = 0;
    const t = new TcpTransport({ host: '127.0.0.1', port, backoff: { initialMs: 1000, now: () => now } });
    await t.open();
    const nke = Buffer.from([0x10, 0x40, 0x01, 0x41, 0x16]);
    await t.write(nke);
    expect([...(await t.read({ timeoutMs: 5000, frameLength: mbusLen }))]).toEqual([0xe5]);
    // The converter drops the connection: the pending read fails, the next write reconnects.
    const pending = t.read({ timeoutMs: 5000, frameLength: mbusLen });
    conns[0]!.destroy();
    expect(isGkhError(await rejection(pending), 'TRANSPORT_CLOSED')).toBe(true);
    await t.write(nke);
    expect([...(await t.read({ timeoutMs: 5000, frameLength: mbusLen }))]).toEqual([0xe5]);
    expect(conns.length).toBe(2);
    // Converter gone: unreachable, then the backoff holds further attempts until its time.
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise((r) => setTimeout(r, 50));
    const e1 = await rejection(t.write(nke));
    expect(isGkhError(e1, 'TRANSPORT_UNREACHABLE')).toBe(true);
    const e2 = await rejection(t.write(nke));
    expect(isGkhError(e2, 'TRANSPORT_UNREACHABLE')).toBe(true);
    expect((e2 as { context: { retryInMs: number } }).context.retryInMs).toBe(1000);
    now = 1000;
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    await t.write(nke);
    expect([...(await t.read({ timeoutMs: 5000, frameLength: mbusLen }))]).toEqual([0xe5]);
    await t.close();
  });

  it('reports an unreachable converter', async () => {
    const closed = await freePort();
    const t = openTransport({ id: 'b', type: 'tcp', host: '127.0.0.1', port: closed, timeoutMs: 1000, interByteTimeoutMs: 50, guardTimeMs: 50, retries: 1 });
    expect(t.description).toBe(`tcp 127.0.0.1:${closed}`);
    const e = await rejection(t.open());
    expect(isGkhError(e, 'TRANSPORT_UNREACHABLE')).toBe(true);
  });
});
