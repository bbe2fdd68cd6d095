/** Transports: serial (serialport) and raw TCP behind one `Transport` interface, built from a bus config. */
import type { BusConfig } from '../../config/types.js';
import type { Transport } from '../types.js';
import type { BackoffOptions } from './reader.js';
import { SerialTransport } from './serial.js';
import { TcpTransport } from './tcp.js';

export { SerialTransport, serialOpenError, type SerialOptions } from './serial.js';
export { TcpTransport, type TcpOptions } from './tcp.js';
export { ReplyReader, Backoff, type BackoffOptions } from './reader.js';

/**
 * The transport for one configured bus, not yet opened (call `open()`). TCP connect timeout = the bus's
 * `timeoutMs` (at least 1000 ms). `backoff` paces reopening after a lost link (default 1 s doubling to 60 s).
 */
export function openTransport(bus: BusConfig, backoff?: BackoffOptions): Transport {
  if (bus.type === 'serial')
    return new SerialTransport({ path: bus.path, baudRate: bus.baudRate, parity: bus.parity, dataBits: bus.dataBits, stopBits: bus.stopBits, backoff });
  return new TcpTransport({ host: bus.host, port: bus.port, connectTimeoutMs: Math.max(1000, bus.timeoutMs), backoff });
}
