/**
 * Serial transport through `serialport`: any baud rate, parity, data and stop bits (M-Bus 2400 8E1,
 * IEC 62056-21 300 7E1, Modbus RTU 9600 8N1 …). Open errors are mapped to codes an installer can act on:
 * port missing, permission denied (the `dialout` group), device busy.
 */
import { SerialPort } from 'serialport';
import { GkhError } from '../../errors.js';
import type { ReadOptions, Transport } from '../types.js';
import { Backoff, ReplyReader, type BackoffOptions } from './reader.js';

/** Line settings of a serial port. Defaults: 2400 baud, 8 data bits, even parity, 1 stop bit (M-Bus, EN 13757-2 §4). */
export interface SerialOptions {
  path: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  backoff?: BackoffOptions;
}

/** Maps a serialport open error to a GkhError with an installer-facing message (Russian and English). */
export function serialOpenError(path: string, e: unknown): GkhError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/No such file or directory|ENOENT/i.test(msg))
    return new GkhError('TRANSPORT_PORT_MISSING', `${path}: serial port does not exist — check the cable/adapter and the path / порт не найден`, { path, os: msg }, { cause: e });
  if (/Permission denied|EACCES/i.test(msg))
    return new GkhError(
      'TRANSPORT_PERMISSION',
      `${path}: permission denied — add the gateway user to the dialout group (sudo usermod -aG dialout <user>, then log in again) / нет прав: добавьте пользователя в группу dialout`,
      { path, os: msg },
      { cause: e },
    );
  if (/Cannot lock port|Resource temporarily unavailable|EBUSY|Device or resource busy/i.test(msg))
    return new GkhError('TRANSPORT_BUSY', `${path}: port is in use by another program (another gateway, minicom, ModemManager?) / порт занят другой программой`, { path, os: msg }, { cause: e });
  return new GkhError('TRANSPORT_IO', `${path}: cannot open serial port: ${msg} / не удалось открыть порт`, { path, os: msg }, { cause: e });
}

/** A Transport over one serial port. Lost links reopen on the next write, paced by the backoff. */
export class SerialTransport implements Transport {
  readonly description: string;
  private port: SerialPort | undefined;
  private readonly reader: ReplyReader;
  private readonly backoff: Backoff;
  private closedByUser = true;
  private lastError: GkhError | undefined;
  private baudRate: number;

  constructor(private readonly o: SerialOptions) {
    this.baudRate = o.baudRate ?? 2400;
    const parity = (o.parity ?? 'even')[0]!.toUpperCase();
    this.description = `${o.path} ${this.baudRate} ${o.dataBits ?? 8}${parity}${o.stopBits ?? 1}`;
    this.reader = new ReplyReader(() => this.description);
    this.backoff = new Backoff(o.backoff);
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Opens the port now (no backoff wait); throws TRANSPORT_PORT_MISSING / _PERMISSION / _BUSY / _IO. */
  async open(): Promise<void> {
    if (this.isOpen) return;
    this.closedByUser = false;
    const port = new SerialPort({
      path: this.o.path,
      baudRate: this.baudRate,
      parity: this.o.parity ?? 'even',
      dataBits: this.o.dataBits ?? 8,
      stopBits: this.o.stopBits ?? 1,
      autoOpen: false,
      lock: true,
    });
    try {
      await new Promise<void>((res, rej) => port.open((err) => (err ? rej(err) : res())));
    } catch (e) {
      const ge = serialOpenError(this.o.path, e);
      this.lastError = ge;
      this.backoff.failed();
      throw ge;
    }
    this.backoff.succeeded();
    this.lastError = undefined;
    this.reader.discard();
    port.on('data', (chunk: Buffer) => this.reader.push(chunk));
    port.on('error', (err) => this.lost(err));
    port.on('close', () => this.lost(new Error('port closed')));
    this.port = port;
  }

  private lost(err: unknown): void {
    const ge = new GkhError('TRANSPORT_CLOSED', `${this.description}: link lost: ${err instanceof Error ? err.message : String(err)} / связь потеряна`, {}, { cause: err });
    if (!this.closedByUser) this.lastError = ge;
    this.port = undefined;
    this.reader.fail(ge);
  }

  /** Reopens a lost link when the backoff allows, else throws the last error with `retryInMs`. */
  private async ensureOpen(): Promise<SerialPort> {
    if (this.port?.isOpen) return this.port;
    if (this.closedByUser) throw new GkhError('TRANSPORT_CLOSED', `${this.description}: transport is closed / порт закрыт`);
    const wait = this.backoff.waitMs();
    if (wait > 0 && this.lastError)
      throw new GkhError(this.lastError.code, `${this.lastError.message}; next reopen in ${wait} ms`, { ...this.lastError.context, retryInMs: wait }, { cause: this.lastError });
    await this.open();
    return this.port!;
  }

  async write(data: Uint8Array): Promise<void> {
    const port = await this.ensureOpen();
    await new Promise<void>((res, rej) => {
      port.write(Buffer.from(data), (err) => {
        if (err) rej(new GkhError('TRANSPORT_IO', `${this.description}: write failed: ${err.message}`, {}, { cause: err }));
      });
      port.drain((err) => (err ? rej(new GkhError('TRANSPORT_IO', `${this.description}: drain failed: ${err.message}`, {}, { cause: err })) : res()));
    });
  }

  read(opts: ReadOptions): Promise<Buffer> {
    if (!this.port?.isOpen) return Promise.reject(this.lastError ?? new GkhError('TRANSPORT_CLOSED', `${this.description}: transport is closed / порт закрыт`));
    return this.reader.read(opts);
  }

  discardInput(): void {
    this.reader.discard();
  }

  /** Switches the line speed (IEC 62056-21 mode C); later reopens use it too. */
  async setBaudRate(baudRate: number): Promise<void> {
    this.baudRate = baudRate;
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((res, rej) => port.update({ baudRate }, (err) => (err ? rej(new GkhError('TRANSPORT_IO', `${this.o.path}: cannot set ${baudRate} baud: ${err.message}`)) : res())));
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    const port = this.port;
    this.port = undefined;
    this.reader.fail(new GkhError('TRANSPORT_CLOSED', `${this.description}: closed while reading / порт закрыт`));
    if (port?.isOpen) await new Promise<void>((res) => port.close(() => res()));
  }
}
