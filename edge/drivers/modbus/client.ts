/**
 * Standard Modbus functions (FC 3, 4, 16) through `modbus-serial` over the project's Transport.
 * modbus-serial accepts any port object with open/close/write/isOpen that emits 'data' with a whole
 * reply frame; `TransportPort` is that object: it writes the request on our transport, reads one frame
 * (length from the header, else inter-byte silence) and hands it to modbus-serial. Our own codec checks
 * the same frame first, so every failure surfaces as a typed GkhError (timeouts, CRC, another address,
 * exceptions), retried within the session's bound; modbus-serial's own timer is off (our transport times out).
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { GkhError, isGkhError } from '../../errors.js';
import { toHex } from '../types.js';
import { decodeReply, encodeRequest, readRegistersPayload } from './rtu.js';
import { isRetryable, type RtuSession } from './session.js';

const require = createRequire(import.meta.url);
// modbus-serial is CommonJS: module.exports is the ModbusRTU class.
const ModbusRTU = require('modbus-serial') as typeof import('modbus-serial').default;

/** A reply from a register function, with the raw reply frame. */
export interface RegisterReply {
  /** The register bytes as on the wire (2 per register). */
  data: Buffer;
  raw: string;
  tries: number;
}

/** The port object modbus-serial drives: one request → one reply frame from our transport. */
class TransportPort extends EventEmitter {
  /** Set by modbus-serial on open (RTU ports keep both at 1). */
  _transactionIdRead = 1;
  _transactionIdWrite = 1;
  /** Called with the typed error of the exchange (or undefined on a good frame) before 'data' is emitted. */
  onExchange: ((fault: unknown, frame?: Buffer) => void) | undefined;

  constructor(private readonly session: RtuSession) {
    super();
  }

  get isOpen(): boolean {
    return this.session.transport.isOpen;
  }

  open(cb: (err: Error | null) => void): void {
    const t = this.session.transport;
    (t.isOpen ? Promise.resolve() : t.open()).then(
      () => cb(null),
      (e: unknown) => cb(e as Error),
    );
  }

  close(cb?: (err: Error | null) => void): void {
    this.session.transport.close().then(
      () => cb?.(null),
      (e: unknown) => cb?.(e as Error),
    );
  }

  write(request: Buffer): void {
    const address = request[0]!;
    const fc = request[1]!;
    this.session.once(request).then(
      (frame) => {
        let fault: unknown;
        try {
          decodeReply(frame, address, fc);
        } catch (e) {
          fault = e;
        }
        this.onExchange?.(fault, frame);
        // modbus-serial decodes the good frame; a faulty one has already been reported.
        if (fault === undefined) this.emit('data', frame);
      },
      (e: unknown) => this.onExchange?.(e),
    );
  }
}

/** FC 3/4/16 master on one RtuSession's transport (shares its timing and retry bound). */
export class ModbusClient {
  private readonly port: TransportPort;
  private readonly client: InstanceType<typeof ModbusRTU>;
  private opened = false;

  constructor(readonly session: RtuSession) {
    this.port = new TransportPort(session);
    this.client = new ModbusRTU(this.port);
  }

  private async ensureOpen(): Promise<void> {
    if (this.opened && this.client.isOpen) return;
    await new Promise<void>((res, rej) => this.client.open((e: Error | null) => (e ? rej(e) : res())));
    this.opened = true;
  }

  /** One try of a modbus-serial call; resolves with its result and the raw reply frame. */
  private async try<T>(address: number, call: () => Promise<T>): Promise<{ result: T; raw: string }> {
    await this.ensureOpen();
    this.client.setID(address);
    let raw = '';
    const fault = new Promise<never>((_, rej) => {
      this.port.onExchange = (e, frame) => {
        if (frame) raw = toHex(frame);
        if (e !== undefined) rej(e);
      };
    });
    fault.catch(() => undefined);
    try {
      const result = await Promise.race([call(), fault]);
      return { result, raw };
    } catch (e) {
      if (isGkhError(e)) throw e;
      // modbus-serial rejected a frame our codec accepted (e.g. a length it did not expect).
      throw new GkhError('FRAME_INVALID', `modbus-serial: ${(e as Error).message}`, { raw }, { cause: e });
    } finally {
      this.port.onExchange = undefined;
    }
  }

  private async withRetries<T>(address: number, what: string, call: () => Promise<T>): Promise<{ result: T; raw: string; tries: number }> {
    let last: unknown;
    let tries = 0;
    while (tries <= this.session.retries) {
      tries++;
      try {
        return { ...(await this.try(address, call)), tries };
      } catch (e) {
        last = e;
        if (!isRetryable(e)) break;
      }
    }
    if (isGkhError(last)) throw new GkhError(last.code, `${what}: ${last.message} (${tries} ${tries === 1 ? 'try' : 'tries'}; ${this.session.transport.description})`, { ...last.context, tries }, { cause: last });
    throw last;
  }

  /** FC 3 (holding) or FC 4 (input registers): `count` registers from `start`. */
  async readRegisters(address: number, fc: 3 | 4, start: number, count: number): Promise<RegisterReply> {
    const what = `FC ${fc} ${start}+${count} @${address}`;
    const { result, raw, tries } = await this.withRetries(address, what, () => (fc === 3 ? this.client.readHoldingRegisters(start, count) : this.client.readInputRegisters(start, count)));
    if (result.buffer.length !== count * 2) throw new GkhError('FRAME_LENGTH', `${what}: ${result.buffer.length} data bytes, expected ${count * 2}`, { expected: count * 2, got: result.buffer.length, raw });
    return { data: Buffer.from(result.buffer), raw, tries };
  }

  /** FC 16: writes `data` (whole registers, bytes as on the wire) from `start`. */
  async writeRegisters(address: number, start: number, data: Buffer): Promise<{ raw: string; tries: number }> {
    const words: number[] = [];
    for (let i = 0; i + 1 < data.length; i += 2) words.push(data.readUInt16BE(i));
    const { raw, tries } = await this.withRetries(address, `FC 16 ${start}+${words.length} @${address}`, () => this.client.writeRegisters(start, words));
    return { raw, tries };
  }

  /** The request frame FC 3/4 would send (for logs and tests). */
  static readRequest(address: number, fc: 3 | 4, start: number, count: number): Buffer {
    return encodeRequest(address, fc, readRegistersPayload(start, count));
  }
}
