/**
 * Session, scan and simulator end to end: the master uses the real serial transport on one end of a
 * socat pty pair, the simulator serves the other end (and a TCP port) — the same bytes as on a wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../../errors.js';
import { SerialTransport, TcpTransport } from '../transport/index.js';
import { socatPair, type PtyPair } from '../transport/socat.js';
import { encodeFrame, parseFrame } from './frame.js';
import { ADDR, C, CI, reqUd2, sndNke } from './link.js';
import { scanPrimary, scanSecondary } from './scan.js';
import { MbusSession } from './session.js';
import { SimBus, SimMeter, collide, serveSerial, serveTcp, type SimEndpoint } from './simulator.js';
import { snapshot } from './meter-model.js';

const T0 = Date.UTC(2026, 10, 28, 7, 30, 0);

describe('simulated slave state machine', () => {
  it('repeats its last reply on an unchanged FCB and advances on a toggled one', () => {
    let now = T0;
    const m = new SimMeter({ address: 5, id: '00000005' }, () => now);
    const ask = (fcb: boolean): Buffer => m.handle(parseFrame(reqUd2(5, fcb)))!;
    expect(m.handle(parseFrame(sndNke(5)))).toEqual(Buffer.from([0xe5]));
    const first = ask(true);
    now += 3_600_000;
    expect(ask(true)).toEqual(first); // master lost it: same FCB → same bytes
    const second = ask(false); // telegram 2 (historic values)
    expect(second).not.toEqual(first);
    const third = ask(true); // back to telegram 1, values of the new time
    expect(third).not.toEqual(first);
    expect(m.handle(parseFrame(reqUd2(6, true)))).toBeUndefined();
  });

  it('answers selection by secondary address with wildcards and deselects on SND_NKE 253', () => {
    const m = new SimMeter({ id: '12345678', manufacturer: 'OGK' }, () => T0);
    const sel = (mask: number[]): Buffer | undefined => m.handle({ kind: 'long', c: C.SND_UD, a: ADDR.NETWORK, ci: CI.SELECT, data: Buffer.from(mask) });
    expect(sel([0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff])).toEqual(Buffer.from([0xe5]));
    expect(m.selected).toBe(true);
    expect(sel([0xff, 0xff, 0x34, 0x13, 0xff, 0xff, 0xff, 0xff])).toBeUndefined();
    expect(m.selected).toBe(false);
    expect(sel([0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0xff, 0xff])).toEqual(Buffer.from([0xe5]));
    expect(m.handle(parseFrame(sndNke(ADDR.NETWORK)))).toEqual(Buffer.from([0xe5]));
    expect(m.selected).toBe(false);
  });

  it('collides simultaneous replies as a bitwise AND (two E5 stay E5, two frames garble)', () => {
    expect(collide([Buffer.from([0xe5]), Buffer.from([0xe5])])).toEqual(Buffer.from([0xe5]));
    const a = new SimMeter({ address: 1, id: '11111111' }, () => T0).telegram(0).frame;
    const b = new SimMeter({ address: 1, id: '22222222' }, () => T0).telegram(0).frame;
    expect(() => parseFrame(collide([a, b]))).toThrow();
  });

  it('changes its primary address on SND_UD CI 51 with VIF 7A', () => {
    const m = new SimMeter({ address: 1 }, () => T0);
    expect(m.handle(parseFrame(encodeFrame({ kind: 'long', c: C.SND_UD, a: 1, ci: CI.DATA_SEND, data: Buffer.from([0x01, 0x7a, 0x09]) })))).toEqual(Buffer.from([0xe5]));
    expect(m.address).toBe(9);
  });
});

describe('over a socat pty pair with the real serial transport', () => {
  let pair: PtyPair;
  let sim: SimEndpoint;
  let master: SerialTransport;
  let session: MbusSession;
  let now = T0;
  const ids = ['31000000', '32000000', '41000000'];
  beforeAll(async () => {
    pair = await socatPair();
    const bus = new SimBus({
      now: () => now,
      meters: [
        { address: 1, id: ids[0], historic: 3 },
        { address: 2, id: ids[1], volumeOffsetM3: 500 },
        { address: 3, id: ids[2], manufacturer: 'KAM' },
        // Two meters wrongly set to the same primary address 7 (a classic commissioning fault).
        { address: 7, id: '71000000', historic: 0 },
        { address: 7, id: '72000000', historic: 0 },
      ],
    });
    sim = await serveSerial(bus, pair.b);
    master = new SerialTransport({ path: pair.a });
    await master.open();
    session = new MbusSession(master, { timeoutMs: 250, interByteTimeoutMs: 50, retries: 1 });
  });
  afterAll(async () => {
    await master?.close();
    await sim?.close();
    await pair?.close();
  });

  it('reads all telegrams of a meter (current + historic storage numbers) with values from the simulated clock', async () => {
    now = T0;
    expect(await session.sndNke(1)).toBe(true);
    const r = await session.readAll(1);
    expect(r.telegrams.length).toBe(2);
    expect(r.rawFrames.length).toBe(2);
    const recs = r.telegrams.flatMap((t) => t.records);
    const snap = snapshot(T0, { volumeOffsetM3: undefined });
    const energy = recs.find((x) => x.quantity === 'Energy' && x.storage === 0);
    expect(energy?.value).toBe(Number(`${snap.energy10Wh}e1`));
    expect(recs.find((x) => x.quantity === 'Time point (date & time)')?.value).toBe('2026-11-28T07:30:00');
    expect(new Set(recs.filter((x) => x.storage > 0).map((x) => x.storage))).toEqual(new Set([1, 2, 3]));
    expect(r.telegrams[0]!.header.id).toBe(ids[0]);
    // Time moves on: the registers advance.
    now = T0 + 3 * 3_600_000;
    const later = await session.readAll(1);
    const e2 = later.telegrams[0]!.records.find((x) => x.quantity === 'Energy' && x.storage === 0)!.value as number;
    expect(e2).toBeGreaterThan(energy!.value as number);
  });

  it('reads a meter by secondary address through selection and 253', async () => {
    const r = await session.readAll({ id: ids[2]! });
    expect(r.telegrams[0]!.header).toMatchObject({ id: ids[2], manufacturer: 'KAM' });
    await session.deselect();
  });

  it('reports silence with a typed error', async () => {
    await expect(session.reqUd2(99)).rejects.toSatisfy((e: unknown) => isGkhError(e, 'TRANSPORT_TIMEOUT'));
  });

  it('primary scan finds the meters and flags two meters on one address', async () => {
    const res = await scanPrimary(session, { from: 0, to: 8 });
    expect(res.meters.map((m) => [m.address, m.id])).toEqual([
      [1, ids[0]],
      [2, ids[1]],
      [3, ids[2]],
    ]);
    expect(res.problems.map((p) => p.where)).toEqual(['primary 7']);
  });

  it('secondary wildcard search resolves collisions and finds every meter', async () => {
    const res = await scanSecondary(session);
    expect(res.meters.map((m) => m.id).sort()).toEqual([...ids, '71000000', '72000000'].sort());
    expect(res.problems).toEqual([]);
    expect(res.meters.find((m) => m.id === ids[2])?.manufacturer).toBe('KAM');
  });
});

describe('over TCP (serial-to-Ethernet converter)', () => {
  it('reads a simulated meter through the TCP transport', async () => {
    const sim = await serveTcp(new SimBus({ now: () => T0, meters: [{ address: 4, id: '00000004' }] }), 0);
    const t = new TcpTransport({ host: '127.0.0.1', port: sim.port });
    try {
      await t.open();
      const s = new MbusSession(t, { timeoutMs: 500 });
      const r = await s.readAll(4);
      expect(r.telegrams[0]!.header.id).toBe('00000004');
      expect(r.telegrams.length).toBe(2);
    } finally {
      await t.close();
      await sim.close();
    }
  });
});

describe('retries over a lossy link', () => {
  it('skips the echo of a converter that echoes the master', async () => {
    const { ReplyReader } = await import('../transport/reader.js');
    const reader = new ReplyReader(() => 'echoing converter');
    const bus = new SimBus({ now: () => T0, meters: [{ address: 3, id: '00000003', historic: 0 }], responseDelayMs: 0 });
    const feed = bus.attach((b) => reader.push(b));
    const transport = {
      description: 'echoing converter',
      isOpen: true,
      open: async () => undefined,
      close: async () => undefined,
      discardInput: () => reader.discard(),
      read: (o: Parameters<typeof reader.read>[0]) => reader.read(o),
      write: async (b: Uint8Array) => {
        reader.push(Buffer.from(b)); // the converter echoes every byte
        feed(Buffer.from(b));
      },
    };
    const s = new MbusSession(transport, { timeoutMs: 200, echo: true });
    expect(await s.sndNke(3)).toBe(true);
    expect((await s.readAll(3)).telegrams[0]!.header.id).toBe('00000003');
  });

  it('repeats the same FCB after a lost reply, so the slave resends instead of skipping a telegram', async () => {
    const { ReplyReader } = await import('../transport/reader.js');
    const sent: Buffer[] = [];
    let dropNext = 0;
    const reader = new ReplyReader(() => 'memory');
    const bus = new SimBus({ now: () => T0, meters: [{ address: 1, id: '00000001', historic: 2 }], responseDelayMs: 0 });
    const feed = bus.attach((b) => {
      if (dropNext > 0) dropNext--;
      else reader.push(b);
    });
    const transport = {
      description: 'memory',
      isOpen: true,
      open: async () => undefined,
      close: async () => undefined,
      discardInput: () => reader.discard(),
      read: (o: Parameters<typeof reader.read>[0]) => reader.read(o),
      write: async (b: Uint8Array) => {
        sent.push(Buffer.from(b));
        feed(Buffer.from(b));
      },
    };
    const s = new MbusSession(transport, { timeoutMs: 50, retries: 2 });
    expect(await s.sndNke(1)).toBe(true);
    dropNext = 1; // the first RSP_UD is lost on the line
    const r = await s.readAll(1);
    const reqs = sent.filter((b) => b[0] === 0x10 && (b[1]! & 0x4f) === 0x4b).map((b) => b[1]!.toString(16));
    // FCB=1 (lost), FCB=1 again (repeat), then FCB=0 for telegram 2.
    expect(reqs).toEqual(['7b', '7b', '5b']);
    expect(r.telegrams.map((t) => t.records.some((x) => x.storage > 0))).toEqual([false, true]);
    expect(r.telegrams.map((t) => t.header.accessNumber)).toEqual([1, 2]);
  });
});
