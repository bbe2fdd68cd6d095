/**
 * The slave side of a simulated Modbus RTU device: listens on a serial port (e.g. one end of a socat
 * pty pair) or a TCP port (like an RS-485-to-Ethernet converter), frames requests by their known length
 * (else by 20 ms silence), answers through the device, and passes replies through the fault injector.
 */
import { SerialPort } from 'serialport';
import { crcOk, withCrc } from '../modbus/crc.js';
import { FaultInjector } from './faults.js';
import { listenTcp, type TcpListener } from './tcp.js';

/** A simulated device: given a request (address, fc, payload), the reply PDU (fc + data) or undefined (no answer). */
export interface RtuDevice {
  address: number;
  handle(fc: number, payload: Buffer): Buffer | undefined;
}

/** Length of a complete request from its first bytes, or undefined when unknown/not yet known. */
export function requestLength(b: Buffer): number | undefined {
  if (b.length < 2) return undefined;
  switch (b[1]) {
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
      return 8;
    case 0x10:
      return b.length >= 7 ? 9 + b[6]! : undefined;
    case 0x11:
      return 4;
    case 0x41:
      return b.length >= 7 ? (b[6] === 1 ? 15 : 11) : undefined;
    default:
      return undefined;
  }
}

/** Where a simulator listens. */
export type Listen = { serial: string; baudRate?: number; dataBits?: 7 | 8; parity?: 'none' | 'even' | 'odd' } | { tcp: number; host?: string };

/** Serves one or more devices on one line. `faults` is shared and may be changed while running. */
export class RtuServer {
  readonly faults: FaultInjector;
  /** Requests answered (for tests and the CLI's status line). */
  requests = 0;
  private serial: SerialPort | undefined;
  private tcp: TcpListener | undefined;

  constructor(
    private readonly devices: RtuDevice[],
    faults: FaultInjector = new FaultInjector(),
  ) {
    this.faults = faults;
  }

  /** Starts listening; resolves when ready. For TCP, returns the port actually bound. */
  async listen(where: Listen): Promise<number | undefined> {
    if ('serial' in where) {
      const port = new SerialPort({ path: where.serial, baudRate: where.baudRate ?? 9600, dataBits: where.dataBits ?? 8, parity: where.parity ?? 'none', stopBits: 1, autoOpen: false });
      await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
      this.serial = port;
      this.attach(port, (b) => port.write(b));
      return undefined;
    }
    this.tcp = await listenTcp(where.tcp, where.host, (sock) => this.attach(sock, (b) => sock.write(b)));
    return this.tcp.port;
  }

  private attach(stream: NodeJS.EventEmitter, send: (b: Buffer) => void): void {
    let buf = Buffer.alloc(0);
    let silence: NodeJS.Timeout | undefined;
    stream.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (silence) clearTimeout(silence);
      for (;;) {
        const n = requestLength(buf);
        if (n === undefined || buf.length < n) break;
        const req = buf.subarray(0, n);
        buf = buf.subarray(n);
        this.onRequest(Buffer.from(req), send);
      }
      // Unknown or broken request: drop it after the line falls silent (Modbus: 3.5 characters).
      if (buf.length > 0) silence = setTimeout(() => (buf = Buffer.alloc(0)), 20);
    });
  }

  private onRequest(req: Buffer, send: (b: Buffer) => void): void {
    if (!crcOk(req)) return; // a slave ignores frames with a bad CRC (Modbus over Serial Line §2.4.1)
    const device = this.devices.find((d) => d.address === req[0]);
    if (!device) return;
    const pdu = device.handle(req[1]!, req.subarray(2, req.length - 2));
    if (!pdu) return;
    this.requests++;
    const frame = this.faults.apply(withCrc(Buffer.concat([Buffer.from([device.address]), pdu])));
    if (frame) send(frame);
  }

  async close(): Promise<void> {
    await this.tcp?.close();
    const p = this.serial;
    if (p?.isOpen) await new Promise<void>((res) => p.close(() => res()));
  }
}
