export type { Transport, ReadOptions, MeterDriver, MeterIdentity, HourlyRecord, HourlyParam, Measured, CurrentReading } from './types.js';
export { toHex, fromHex } from './types.js';
export { openTransport, SerialTransport, TcpTransport } from './transport/index.js';
