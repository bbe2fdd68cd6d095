/**
 * Raw TCP transport for serial-to-Ethernet converters (Moxa NPort, USR-TCP232 … in "TCP server" mode):
 * the converter forwards bytes to the RS-485/M-Bus line unchanged. An unreachable converter is
 * TRANSPORT_UNREACHABLE; a dropped connection reconnects on the next write, paced by the backoff.
 */
import { Socket } from 'node:net';
import { GkhError } from '../../errors.js';
import type { ReadOptions, Transport } from '../types.js';
import { Backoff, ReplyReader, type BackoffOptions } from './reader.js';

/** Where the converter listens. `connectTimeoutMs` default 5000. */
export interface TcpOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
}

/** A Transport over one TCP connection. */
export class TcpTransport implements Transport {
  readonly description: string;
  private sock: Socket | undefined;
  private readonly reader: ReplyReader;
  private readonly backoff: Backoff;
  private closedByUser = true;
  private lastError: GkhError | undefined;

  constructor(private readonly o: TcpOptions) {
    this.description = `tcp ${o.host}:${o.port}`;
    this.reader = new ReplyReader(() => this.description);
    this.backoff = new Backoff(o.backoff);
  }

  get isOpen(): boolean {
    return this.sock !== undefined && !this.sock.destroyed && this.sock.readyState === 'open';
  }

  /** Connects now; throws TRANSPORT_UNREACHABLE (refused, no route, timeout, unknown host). */
  async open(): Promise<void> {
    if (this.isOpen) return;
    this.closedByUser = false;
    const timeoutMs = this.o.connectTimeoutMs ?? 5000;
    const sock = new Socket();
    try {
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => {
          sock.destroy();
          rej(Object.assign(new Error(`connect timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
        }, timeoutMs);
        sock.once('error', (e) => {
          clearTimeout(t);
          rej(e);
        });
        sock.connect(this.o.port, this.o.host, () => {
          clearTimeout(t);
          res();
        });
      });
    } catch (e) {
      sock.destroy();
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const ge = new GkhError(
        'TRANSPORT_UNREACHABLE',
        `${this.description}: converter unreachable (${code || (e as Error).message}) — check power, IP address, port and network / преобразователь недоступен`,
        { host: this.o.host, port: this.o.port, os: code },
        { cause: e },
      );
      this.lastError = ge;
      this.backoff.failed();
      throw ge;
    }
    sock.removeAllListeners('error');
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 10_000);
    this.backoff.succeeded();
    this.lastError = undefined;
    this.reader.discard();
    sock.on('data', (chunk: Buffer) => this.reader.push(chunk));
    sock.on('error', (err) => this.lost(sock, err));
    sock.on('close', () => this.lost(sock, new Error('connection closed by peer')));
    this.sock = sock;
  }

  private lost(sock: Socket, err: unknown): void {
    if (this.sock !== sock) return;
    const ge = new GkhError('TRANSPORT_CLOSED', `${this.description}: connection lost: ${err instanceof Error ? err.message : String(err)} / связь потеряна`, {}, { cause: err });
    if (!this.closedByUser) this.lastError = ge;
    this.sock = undefined;
    sock.destroy();
    this.reader.fail(ge);
  }

  private async ensureOpen(): Promise<Socket> {
    if (this.isOpen) return this.sock!;
    if (this.closedByUser) throw new GkhError('TRANSPORT_CLOSED', `${this.description}: transport is closed / соединение закрыто`);
    const wait = this.backoff.waitMs();
    if (wait > 0 && this.lastError)
      throw new GkhError(this.lastError.code, `${this.lastError.message}; next reconnect in ${wait} ms`, { ...this.lastError.context, retryInMs: wait }, { cause: this.lastError });
    await this.open();
    return this.sock!;
  }

  async write(data: Uint8Array): Promise<void> {
    const sock = await this.ensureOpen();
    await new Promise<void>((res, rej) =>
      sock.write(Buffer.from(data), (err) => (err ? rej(new GkhError('TRANSPORT_IO', `${this.description}: write failed: ${err.message}`, {}, { cause: err })) : res())),
    );
  }

  read(opts: ReadOptions): Promise<Buffer> {
    if (!this.isOpen) return Promise.reject(this.lastError ?? new GkhError('TRANSPORT_CLOSED', `${this.description}: transport is closed / соединение закрыто`));
    return this.reader.read(opts);
  }

  discardInput(): void {
    this.reader.discard();
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    const sock = this.sock;
    this.sock = undefined;
    this.reader.fail(new GkhError('TRANSPORT_CLOSED', `${this.description}: closed while reading / соединение закрыто`));
    if (sock && !sock.destroyed) await new Promise<void>((res) => sock.end(() => res()));
    sock?.destroy();
  }
}
