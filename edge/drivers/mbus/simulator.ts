/**
 * M-Bus slave simulator: one or more heat meters on one bus, speaking EN 13757-2/-3 byte for byte.
 * Handles SND_NKE, REQ_UD2 with FCB (repeats the last reply on an unchanged FCB, EN 13757-2 §5.5),
 * multi-telegram replies (DIF 1Fh, historic values at storage numbers > 0 in telegram 2), secondary
 * selection (CI 52h to address 253, wildcards), application reset, and set-primary-address (CI 51h).
 * Several slaves answering at once collide like on the wire: M-Bus slaves signal a space (0) by drawing
 * current, so simultaneous bytes combine as bitwise AND (EN 13757-2 §4) — two E5 still read E5, two
 * long frames garble.
 * The clock is injected (`now`) so the demo can run time fast; values follow meter-model.ts.
 */
import { listenTcp, type TcpListener } from '../sim/tcp.js';
import { SerialPort } from 'serialport';
import { GkhError } from '../../errors.js';
import { ACK, encodeFrame, frameLength, parseFrame, type Frame } from './frame.js';
import { encodeLongHeader, decodeSecondaryMask, matchesSecondary } from './header.js';
import { ADDR, C, CI, FCB, FCV } from './link.js';
import { snapshot, type MeterModelOptions } from './meter-model.js';
import { decodeRecords, encodeDateF, encodeDateG, encodeRecord } from './records.js';
import { wallClock } from './tz.js';

/** One simulated meter. */
export interface SimMeterOptions extends MeterModelOptions {
  /** Primary address 0–250 [1]. */
  address?: number;
  /** Identification number, 8 digits ["12345678"]. */
  id?: string;
  /** FLAG code ["OGK"]. */
  manufacturer?: string;
  /** Version [1]. */
  version?: number;
  /** Medium [0x04, heat outlet]. */
  medium?: number;
  /** Historic values: storage numbers 1…N at the last N midnights (UTC wall time of the meter) [3]. */
  historic?: number;
  /** Meter clock offset from the injected clock, ms (meter clock drift) [0]. */
  clockOffsetMs?: number;
  /** IANA zone of the meter's clock (it sends local wall time) ["UTC"]. */
  timeZone?: string;
}

/** A simulated slave's reaction to one request. */
export type SimReply = Buffer | undefined;

/** State machine of one slave. */
export class SimMeter {
  address: number;
  readonly id: string;
  readonly manufacturer: string;
  readonly version: number;
  readonly medium: number;
  selected = false;
  private accessNumber = 0;
  private lastFcb: boolean | undefined;
  private lastReply: Buffer | undefined;
  private nextTelegram = 0;
  /** Requests answered (for tests and the status line). */
  answered = 0;

  constructor(
    private readonly o: SimMeterOptions,
    private readonly now: () => number,
  ) {
    this.address = o.address ?? 1;
    this.id = o.id ?? '12345678';
    this.manufacturer = o.manufacturer ?? 'OGK';
    this.version = o.version ?? 1;
    this.medium = o.medium ?? 0x04;
  }

  /** Reacts to one valid frame from the master; undefined = stays silent. */
  handle(f: Frame): SimReply {
    if (f.kind === 'ack') return undefined;
    const forMe = f.a === this.address || (f.a === ADDR.NETWORK && this.selected) || f.a === ADDR.TEST;
    const fn = f.c & 0x4f;
    if (f.kind === 'short') {
      if (fn === C.SND_NKE) {
        if (f.a === ADDR.BROADCAST) {
          this.reset();
          return undefined;
        }
        if (f.a === ADDR.NETWORK) {
          // SND_NKE to 253 deselects (EN 13757-3 §7.1); a selected slave confirms.
          const was = this.selected;
          this.selected = false;
          if (was) this.reset();
          return was ? Buffer.from([ACK]) : undefined;
        }
        if (!forMe) return undefined;
        this.reset();
        return Buffer.from([ACK]);
      }
      if (fn === (C.REQ_UD2 & 0x4f)) {
        if (!forMe || f.a === ADDR.BROADCAST) return undefined;
        return this.respond(f.c);
      }
      return undefined;
    }
    if (fn !== (C.SND_UD & 0x4f)) return undefined;
    if (f.ci === CI.SELECT && f.a === ADDR.NETWORK) {
      if (f.data.length !== 8) return undefined;
      const mask = decodeSecondaryMask(f.data);
      this.selected = matchesSecondary(mask, { id: this.id, manufacturer: this.manufacturer, version: this.version, medium: this.medium });
      if (this.selected) this.reset();
      return this.selected ? Buffer.from([ACK]) : undefined;
    }
    if (!forMe && f.a !== ADDR.BROADCAST) return undefined;
    const reply = f.a === ADDR.BROADCAST ? undefined : Buffer.from([ACK]);
    if (f.ci === CI.APP_RESET) this.reset();
    else if (f.ci === CI.DATA_SEND) {
      // Set primary address: DIF 01, VIF 7A (EN 13757-3 §6.4, bus address).
      try {
        for (const r of decodeRecords(f.data, 0, 7).records) if (r.vif === 0x7a && typeof r.value === 'number' && r.value <= ADDR.MAX_SLAVE) this.address = r.value;
      } catch {
        return undefined;
      }
    }
    return reply;
  }

  private reset(): void {
    this.lastFcb = undefined;
    this.lastReply = undefined;
    this.nextTelegram = 0;
  }

  private respond(c: number): Buffer {
    const fcv = (c & FCV) !== 0;
    const fcb = (c & FCB) !== 0;
    if (fcv && this.lastFcb === fcb && this.lastReply) return this.lastReply; // repeat: the master did not get it
    const t = this.nextTelegram;
    const { frame, more } = this.telegram(t);
    this.nextTelegram = more ? t + 1 : 0;
    this.lastFcb = fcv ? fcb : undefined;
    this.lastReply = frame;
    this.answered++;
    return frame;
  }

  /** Builds telegram `n` (0 = current values, 1 = historic values). */
  telegram(n: number): { frame: Buffer; more: boolean } {
    const t = this.now() + (this.o.clockOffsetMs ?? 0);
    const s = snapshot(t, this.o);
    this.accessNumber = (this.accessNumber + 1) & 0xff;
    const header = encodeLongHeader({ id: this.id, manufacturer: this.manufacturer, version: this.version, medium: this.medium, accessNumber: this.accessNumber, status: 0, signature: 0 });
    const recs: Buffer[] = [];
    const historic = this.o.historic ?? 3;
    if (n === 0) {
      recs.push(
        encodeRecord({ field: 0x0c, vif: 0x78, value: BigInt(this.id) }), // fabrication number
        encodeRecord({ field: 0x04, vif: 0x04, value: s.energy10Wh }), // energy, 10 Wh
        encodeRecord({ field: 0x04, vif: 0x13, value: s.volumeL }), // volume, l
        encodeRecord({ field: 0x04, vif: 0x3b, value: s.flowLh }), // volume flow, l/h
        encodeRecord({ field: 0x04, vif: 0x2b, value: s.powerW }), // power, W
        encodeRecord({ field: 0x02, vif: 0x59, value: s.t1c }), // flow temperature, 0.01 °C
        encodeRecord({ field: 0x02, vif: 0x5d, value: s.t2c }), // return temperature, 0.01 °C
        encodeRecord({ field: 0x02, vif: 0x61, value: s.dtc }), // temperature difference, 0.01 K
        encodeRecord({ field: 0x04, vif: 0x26, value: s.hours }), // operating time, h
        encodeRecord({ field: 0x04, vif: 0x6d, value: encodeDateF(wallClock(t, this.o.timeZone ?? 'UTC')) }), // meter clock, type F, local time
        encodeRecord({ field: 0x02, vif: 0xfd, vife: [0x17], value: 0 }), // error flags
      );
      if (historic > 0) recs.push(Buffer.from([0x1f]));
    } else {
      for (let k = 1; k <= historic; k++) {
        const midnight = Math.floor(t / 86_400_000 - (k - 1)) * 86_400_000;
        const h = snapshot(midnight, this.o);
        recs.push(
          encodeRecord({ field: 0x02, vif: 0x6c, storage: k, value: encodeDateG(new Date(midnight)) }),
          encodeRecord({ field: 0x04, vif: 0x04, storage: k, value: h.energy10Wh }),
          encodeRecord({ field: 0x04, vif: 0x13, storage: k, value: h.volumeL }),
        );
      }
    }
    const frame = encodeFrame({ kind: 'long', c: C.RSP_UD, a: this.address, ci: CI.RSP_LONG, data: Buffer.concat([header, ...recs]) });
    return { frame, more: n === 0 && historic > 0 };
  }
}

/** Bitwise AND of simultaneous replies, padded with idle (FF) — what the master sees on a collision. */
export function collide(replies: Buffer[]): Buffer {
  if (replies.length === 1) return replies[0]!;
  const n = Math.max(...replies.map((r) => r.length));
  const out = Buffer.alloc(n, 0xff);
  for (const r of replies) for (let i = 0; i < n; i++) out[i]! &= i < r.length ? r[i]! : 0xff;
  return out;
}

/** Options of a simulated bus. */
export interface SimBusOptions {
  /** The meters; see SimMeterOptions. */
  meters: SimMeterOptions[];
  /** Clock, unix ms [Date.now]. */
  now?: () => number;
  /** Delay before a reply, ms (EN 13757-2: 11 to 330 bit times + 50 ms) [2]. */
  responseDelayMs?: number;
  /** Called for each request/reply, for logs. */
  onTraffic?: (dir: 'rx' | 'tx', bytes: Buffer) => void;
}

/** Frames requests out of a byte stream and lets every meter react; `write` sends the (collided) reply. */
export class SimBus {
  readonly meters: SimMeter[];
  private readonly delay: number;

  constructor(private readonly o: SimBusOptions) {
    const now = o.now ?? Date.now;
    this.meters = o.meters.map((m) => new SimMeter(m, now));
    this.delay = o.responseDelayMs ?? 2;
  }

  /** A per-connection byte handler. */
  attach(write: (b: Buffer) => void): (chunk: Buffer) => void {
    let buf = Buffer.alloc(0);
    return (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const n = frameLength(buf);
        if (n === undefined || n > buf.length) return;
        const bytes = buf.subarray(0, n);
        buf = buf.subarray(n);
        let f: Frame;
        try {
          f = parseFrame(bytes);
        } catch {
          continue; // a slave ignores a frame with a bad checksum or framing (EN 13757-2 §5.2)
        }
        this.o.onTraffic?.('rx', Buffer.from(bytes));
        const replies = this.meters.map((m) => m.handle(f)).filter((r): r is Buffer => r !== undefined);
        if (replies.length === 0) continue;
        const out = collide(replies);
        setTimeout(() => {
          this.o.onTraffic?.('tx', out);
          write(out);
        }, this.delay);
      }
    };
  }
}

/** A running simulator endpoint. */
export interface SimEndpoint {
  bus: SimBus;
  description: string;
  close(): Promise<void>;
}

/** Serves the simulated bus on a TCP port (each connection sees the same meters). Port 0 picks a free one. */
export async function serveTcp(bus: SimBus, port: number, host = '127.0.0.1'): Promise<SimEndpoint & { port: number }> {
  let tcp: TcpListener;
  try {
    tcp = await listenTcp(port, host, (s) => {
      s.setNoDelay(true);
      s.on('data', bus.attach((b) => s.write(b)));
    });
  } catch (e) {
    throw new GkhError('TRANSPORT_BUSY', `cannot listen on ${host}:${port}: ${(e as Error).message}`, { port }, { cause: e });
  }
  return { bus, port: tcp.port, description: `tcp ${host}:${tcp.port}`, close: () => tcp.close() };
}

/** Serves the simulated bus on a serial device (or one end of a socat pty pair). Default line: 2400 8E1. */
export async function serveSerial(bus: SimBus, path: string, line: { baudRate?: number; parity?: 'none' | 'even' | 'odd'; dataBits?: 7 | 8; stopBits?: 1 | 2 } = {}): Promise<SimEndpoint> {
  const port = new SerialPort({ path, baudRate: line.baudRate ?? 2400, parity: line.parity ?? 'even', dataBits: line.dataBits ?? 8, stopBits: line.stopBits ?? 1, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(new GkhError('TRANSPORT_IO', `simulator cannot open ${path}: ${e.message}`, { path }, { cause: e })) : res())));
  port.on('data', bus.attach((b) => port.write(b)));
  port.on('error', () => undefined);
  return {
    bus,
    description: `${path} ${line.baudRate ?? 2400}`,
    close: async () => {
      if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
    },
  };
}

/** Meter options for `count` meters from a first address and id (ids count up in decimal). */
export function meterSeries(count: number, first: SimMeterOptions = {}): SimMeterOptions[] {
  const addr = first.address ?? 1;
  const id = Number(first.id ?? '12345678');
  return Array.from({ length: count }, (_, i) => ({ ...first, address: addr + i, id: String(id + i).padStart(8, '0'), volumeOffsetM3: (first.volumeOffsetM3 ?? 1000) + 137 * i }));
}
