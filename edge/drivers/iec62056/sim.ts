/**
 * Simulated battery heat meter with an optical head (Landis+Gyr UH50-like readout), IEC 62056-21 mode C:
 * answers a sign-on (after any NUL wake-up) with its identification, switches to the acknowledged baud,
 * sends the data message with BCC, falls back to 300 baud. Counters (energy, volume, hours) grow with the
 * simulated substation's hours (../sim/archive.ts). Faults: no answer, BCC error, line noise.
 */
import { SerialPort } from 'serialport';
import { lastClosedHour, simHour } from '../sim/archive.js';
import type { Listen } from '../sim/rtu-server.js';
import { listenTcp, type TcpListener } from '../sim/tcp.js';
import { BAUD_BY_CODE, encodeDataMessage } from './codec.js';

export type IecFault = 'silent' | 'crc' | 'noise';

export interface IecSimOptions {
  /** Device address the meter answers to besides the empty one. */
  address?: string;
  /** Serial number (9.21 / 0.0). */
  serial?: string;
  /** Highest baud code offered in the identification (default '5' = 9600). */
  baudCode?: string;
  now?: () => number;
  seed?: number;
}

const pad = (v: number, width: number, decimals: number) => v.toFixed(decimals).padStart(width, '0');

export class IecSimulator {
  /** Faults applied to every readout while set. */
  faults = new Set<IecFault>();
  /** Completed readouts (for tests and the CLI). */
  readouts = 0;
  /** True while a readout is being sent (the meter ignores requests then). */
  busy = false;
  private serial: SerialPort | undefined;
  private tcp: TcpListener | undefined;
  private readonly now: () => number;
  /** Counters advance hour by hour from construction: [hour reached, MWh, m³, h]. */
  private counted: { hour: number; mwh: number; m3: number; hours: number };

  constructor(readonly o: IecSimOptions = {}) {
    this.now = o.now ?? Date.now;
    this.counted = { hour: lastClosedHour(this.now()), mwh: 1234.567, m3: 45678.9, hours: 30965 };
  }

  /** The data lines of a readout now (UH50 layout: 6.8 energy, 6.26 volume, 6.31 hours, 6.33 flow, 9.4 temperatures). */
  readoutText(): string {
    const newest = lastClosedHour(this.now());
    for (let h = this.counted.hour + 3600; h <= newest; h += 3600) {
      const s = simHour(h, 1, this.o.seed);
      this.counted = { hour: h, mwh: this.counted.mwh + s.qGJ / 3.6, m3: this.counted.m3 + s.m1 / s.rho, hours: this.counted.hours + 1 };
    }
    const cur = simHour(newest, 1, this.o.seed);
    const serial = this.o.serial ?? '66153690';
    return [
      `6.8(${pad(this.counted.mwh, 8, 3)}*MWh)6.26(${pad(this.counted.m3, 8, 2)}*m3)9.21(${serial})`,
      `6.26*01(${pad(this.counted.m3 * 0.9, 8, 2)}*m3)6.8*01(${pad(this.counted.mwh * 0.9, 8, 3)}*MWh)`,
      `F(0)9.20(${serial})6.35(60*m)`,
      `6.6(${pad(cur.qGJ / 3.6 * 1000, 6, 1)}*kW)6.33(${pad(cur.m1 / cur.rho, 7, 3)}*m3ph)9.4(${pad(cur.t1, 5, 1)}*C&${pad(cur.t2, 5, 1)}*C)`,
      `6.31(${pad(this.counted.hours, 7, 0)}*h)6.32(0000000*h)9.22(R)9.6(000&${serial}&0)`,
      `6.8.1()6.8.2()6.8.3()6.8.4()6.8.5()`,
      `9.1(0&1&0&-&CECV&CECV&-&5.16&5.16&F&101008&040404&08&0)`,
      `0.0(${serial})`,
      '!',
      '',
    ].join('\r\n');
  }

  async listen(where: Listen): Promise<number | undefined> {
    if ('serial' in where) {
      const port = new SerialPort({ path: where.serial, baudRate: 300, dataBits: 7, parity: 'even', stopBits: 1, autoOpen: false });
      await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
      this.serial = port;
      this.attach(
        port,
        (b) => new Promise<void>((res) => port.write(b, () => res())),
        // serialport's update() flushes both directions (tcflush TCIOFLUSH): callers wait for the bytes to leave first.
        // (No port.drain: tcdrain blocks a libuv pool thread, and the reader shares the pool in tests.)
        (baud) => new Promise<void>((res) => port.update({ baudRate: baud }, () => res())),
      );
      return undefined;
    }
    this.tcp = await listenTcp(where.tcp, where.host, (sock) => this.attach(sock, (b) => new Promise<void>((res) => sock.write(b, () => res())), () => Promise.resolve()));
    return this.tcp.port;
  }

  private attach(stream: NodeJS.EventEmitter, send: (b: Buffer) => Promise<void>, setBaud: (b: number) => Promise<void>): void {
    let buf = '';
    let state: 'idle' | 'ident-sent' | 'busy' = 'idle';
    const offered = this.o.baudCode ?? '5';
    stream.on('data', (chunk: Buffer) => {
      if (state === 'busy') return;
      buf += chunk.toString('latin1');
      if (state === 'idle') {
        buf = buf.replace(/^[^/]+/, ''); // wake-up NULs and noise before a request
        const m = /^\/\?([^!]*)!\r\n/.exec(buf);
        if (!m) {
          if (buf.length > 64) buf = '';
          return;
        }
        buf = buf.slice(m[0].length);
        if (m[1] !== '' && m[1] !== this.o.address) return;
        if (this.faults.has('silent')) return;
        const noise = this.faults.has('noise') ? '\x7f\x3f\x1c\r\n' : '';
        // Ready for the acknowledgement at once: the reader may answer before our write has drained.
        state = 'ident-sent';
        void send(Buffer.from(`${noise}/LUG${offered}UH50\r\n`, 'latin1'));
        return;
      }
      // ident-sent: ACK V Z Y CR LF (control characters are the protocol's own)
      // eslint-disable-next-line no-control-regex
      const m = /^\x06([0-9])([0-9])([0-9])\r\n/.exec(buf);
      if (!m) {
        // eslint-disable-next-line no-control-regex
        if (buf.length >= 6 || /[^\x06-9\r\n]/.test(buf)) {
          buf = '';
          state = 'idle';
        }
        return;
      }
      buf = '';
      const z = m[2]!;
      const baud = z <= offered ? BAUD_BY_CODE[z] : undefined;
      if (baud === undefined || m[3] !== '0') {
        state = 'idle';
        return;
      }
      state = 'busy';
      this.busy = true;
      const msg = encodeDataMessage(this.readoutText());
      if (this.faults.has('crc')) msg[msg.length - 1] = msg[msg.length - 1]! ^ 0x11;
      void (async () => {
        // The meter switches after the acknowledgement; give the reader time to switch too (§6.3.14: 200 ms ≤ tr).
        await setBaud(baud);
        await new Promise((r) => setTimeout(r, 200));
        await send(msg);
        // Let the message leave the UART at `baud` (10 bits per 7E1 character) before switching back.
        await new Promise((r) => setTimeout(r, Math.ceil((msg.length * 10 * 1000) / baud) + 50));
        await setBaud(300);
        this.readouts++;
        state = 'idle';
        this.busy = false;
      })();
    });
  }

  async close(): Promise<void> {
    await this.tcp?.close();
    const p = this.serial;
    if (p?.isOpen) await new Promise<void>((res) => p.close(() => res()));
  }
}
