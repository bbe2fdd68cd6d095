/** TypeScript shape of a device profile (profile.schema.json is the authority). */
import type { HourlyParam } from '../types.js';
import type { Order, ValueType } from '../modbus/values.js';

export interface ProfileSource {
  id: string;
  kind: 'open-source-driver' | 'public-document' | 'standard' | 'assumption';
  ref: string;
  note?: string;
}

export interface RegisterDef {
  name: string;
  role: 'serial' | 'clock' | 'current';
  system: number;
  function: 3 | 4;
  address: number;
  type: ValueType | 'ascii';
  length?: number;
  wordOrder: Order;
  byteOrder: Order;
  exponent?: number;
  divisor?: number;
  unit: string;
  source: string;
}

export interface RecordField {
  param: HourlyParam;
  offset: number;
  type: 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
  exponent?: number;
  divisor?: number;
  unit: string;
  note?: string;
}

export interface TsrvArchiveDef {
  function: number;
  identifyFunction: number;
  byteOrder: Order;
  recordLength: number;
  maxRecordsPerRequest: number;
  timestamp: { offset: number; marks: 'start' | 'end' | 'last-second'; clock: 'utc' | 'meter-local' };
  hourArchives: { system: number; number: number }[];
  fields: RecordField[];
  source: string;
}

export interface KaratCode {
  code: number;
  param?: HourlyParam;
  flags?: boolean;
  system?: number;
  type?: 'float32' | 'uint32';
  divisor?: number;
  unit: string;
  note?: string;
}

export interface KaratArchiveDef {
  pointerRegister: number;
  hourArea: number;
  dayArea?: number;
  monthArea?: number;
  nextOffset: number;
  readRegisters: number;
  headerLength: number;
  dateOffset: number;
  paramListRegister: number;
  paramListRegisters: number;
  paramListSkip: number;
  wordOrder: Order;
  byteOrder: Order;
  timestamp: { marks: 'start' | 'end' };
  codes: KaratCode[];
  source: string;
}

export interface IecReadoutDef {
  id: string;
  key: string;
  system: number;
  unit: string;
  role: 'serial' | 'current';
  note?: string;
}

export interface DeviceProfile {
  name: string;
  protocol: 'modbus' | 'tsrv' | 'karat' | 'iec62056';
  manufacturer: string;
  model: string;
  description?: string;
  line: { baudRate: number; dataBits: 7 | 8; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2; readoutBaudRate?: number };
  sources: ProfileSource[];
  registers?: RegisterDef[];
  tsrvArchive?: TsrvArchiveDef;
  karatArchive?: KaratArchiveDef;
  iecReadout?: IecReadoutDef[];
}
