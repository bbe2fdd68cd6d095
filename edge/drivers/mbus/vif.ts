/**
 * Value information tables of EN 13757-3 (§6.4, Tables 10–16): the primary VIF table, the extension
 * tables behind VIF 0xFD and 0xFB, and the combinable (orthogonal) VIFE table. Data, not code: each
 * entry is a quantity, a normalised unit and how to scale the stored number into that unit — a power of
 * ten (`exp`, applied exactly to the decimal mantissa) or an integer factor (`mult`, for minutes, hours …).
 * Quantity wording follows libmbus's normalised output where libmbus names the standard's entry.
 */

/** One table entry. `date`: the value is a time point (data types F, G, I, J by the DIF's length). */
export interface VifInfo {
  quantity: string;
  unit: string;
  exp?: number;
  mult?: number;
  date?: boolean;
}

const R: VifInfo = { quantity: 'Reserved', unit: 'Reserved' };
const T = [1, 60, 3600, 86400];

function primary(v: number): VifInfo {
  const n = v & 0x07;
  const nn = v & 0x03;
  switch (v >> 3) {
    case 0x00: return { quantity: 'Energy', unit: 'Wh', exp: n - 3 }; // E000 0nnn 10^(nnn-3) Wh
    case 0x01: return { quantity: 'Energy', unit: 'J', exp: n }; // E000 1nnn 10^(nnn) J
    case 0x02: return { quantity: 'Volume', unit: 'm³', exp: n - 6 }; // E001 0nnn 10^(nnn-6) m³
    case 0x03: return { quantity: 'Mass', unit: 'kg', exp: n - 3 }; // E001 1nnn 10^(nnn-3) kg
    case 0x04: return v < 0x24 ? { quantity: 'On time', unit: 's', mult: T[nn]! } : { quantity: 'Operating time', unit: 's', mult: T[nn]! }; // E010 0xnn
    case 0x05: return { quantity: 'Power', unit: 'W', exp: n - 3 }; // E010 1nnn 10^(nnn-3) W
    case 0x06: return { quantity: 'Power', unit: 'J/h', exp: n }; // E011 0nnn 10^(nnn) J/h
    case 0x07: return { quantity: 'Volume flow', unit: 'm³/h', exp: n - 6 }; // E011 1nnn 10^(nnn-6) m³/h
    case 0x08: return { quantity: 'Volume flow', unit: 'm³/min', exp: n - 7 }; // E100 0nnn 10^(nnn-7) m³/min
    case 0x09: return { quantity: 'Volume flow', unit: 'm³/s', exp: n - 9 }; // E100 1nnn 10^(nnn-9) m³/s
    case 0x0a: return { quantity: 'Mass flow', unit: 'kg/h', exp: n - 3 }; // E101 0nnn 10^(nnn-3) kg/h
    case 0x0b: return v < 0x5c ? { quantity: 'Flow temperature', unit: '°C', exp: nn - 3 } : { quantity: 'Return temperature', unit: '°C', exp: nn - 3 };
    case 0x0c: return v < 0x64 ? { quantity: 'Temperature difference', unit: 'K', exp: nn - 3 } : { quantity: 'External temperature', unit: '°C', exp: nn - 3 };
    case 0x0d:
      if (v < 0x6c) return { quantity: 'Pressure', unit: 'bar', exp: nn - 3 }; // E110 10nn 10^(nn-3) bar
      if (v === 0x6c) return { quantity: 'Time point (date)', unit: '-', date: true }; // type G
      if (v === 0x6d) return { quantity: 'Time point (date & time)', unit: '-', date: true }; // type F (or I, J)
      if (v === 0x6e) return { quantity: 'H.C.A.', unit: 'Units for H.C.A.', exp: 0 };
      return R;
    case 0x0e: return v < 0x74 ? { quantity: 'Averaging Duration', unit: 's', mult: T[nn]! } : { quantity: 'Actuality Duration', unit: 's', mult: T[nn]! };
    default:
      if (v === 0x78) return { quantity: 'Fabrication No', unit: '', exp: 0 };
      if (v === 0x79) return { quantity: '(Enhanced) Identification', unit: '', exp: 0 };
      if (v === 0x7a) return { quantity: 'Bus Address', unit: '', exp: 0 };
      if (v === 0x7e) return { quantity: 'Any VIF', unit: '', exp: 0 };
      if (v === 0x7f) return { quantity: 'Manufacturer specific', unit: '', exp: 0 };
      return R;
  }
}

const FD_NAMED: Readonly<Record<number, VifInfo>> = {
  0x08: { quantity: 'Access Number (transmission count)', unit: '', exp: 0 },
  0x09: { quantity: 'Medium', unit: '', exp: 0 },
  0x0a: { quantity: 'Manufacturer', unit: '', exp: 0 },
  0x0b: { quantity: 'Parameter set identification', unit: '', exp: 0 },
  0x0c: { quantity: 'Model / Version', unit: '', exp: 0 },
  0x0d: { quantity: 'Hardware version', unit: '', exp: 0 },
  0x0e: { quantity: 'Firmware version', unit: '', exp: 0 },
  0x0f: { quantity: 'Software version', unit: '', exp: 0 },
  0x10: { quantity: 'Customer location', unit: '', exp: 0 },
  0x11: { quantity: 'Customer', unit: '', exp: 0 },
  0x12: { quantity: 'Access Code User', unit: '', exp: 0 },
  0x13: { quantity: 'Access Code Operator', unit: '', exp: 0 },
  0x14: { quantity: 'Access Code System Operator', unit: '', exp: 0 },
  0x15: { quantity: 'Access Code Developer', unit: '', exp: 0 },
  0x16: { quantity: 'Password', unit: '', exp: 0 },
  0x17: { quantity: 'Error flags', unit: '', exp: 0 },
  0x18: { quantity: 'Error mask', unit: '', exp: 0 },
  0x1a: { quantity: 'Digital Output', unit: '', exp: 0 },
  0x1b: { quantity: 'Digital Input', unit: '', exp: 0 },
  0x1c: { quantity: 'Baudrate', unit: 'Baud', exp: 0 },
  0x1d: { quantity: 'Response delay time', unit: 'Bittimes', exp: 0 },
  0x1e: { quantity: 'Retry', unit: '', exp: 0 },
  0x1f: { quantity: 'Remote control', unit: '', exp: 0 },
  0x20: { quantity: 'First storage # for cyclic storage', unit: '', exp: 0 },
  0x21: { quantity: 'Last storage # for cyclic storage', unit: '', exp: 0 },
  0x22: { quantity: 'Size of storage block', unit: '', exp: 0 },
  0x30: { quantity: 'Start (date/time) of tariff', unit: '-', date: true },
  0x3a: { quantity: 'Dimensionless', unit: '', exp: 0 },
  0x60: { quantity: 'Reset counter', unit: '', exp: 0 },
  0x61: { quantity: 'Cumulation counter', unit: '', exp: 0 },
  0x62: { quantity: 'Control signal', unit: '', exp: 0 },
  0x63: { quantity: 'Day of week', unit: '', exp: 0 },
  0x64: { quantity: 'Week number', unit: '', exp: 0 },
  0x65: { quantity: 'Time point of day change', unit: '', exp: 0 },
  0x66: { quantity: 'State of parameter activation', unit: '', exp: 0 },
  0x67: { quantity: 'Special supplier information', unit: '', exp: 0 },
  0x70: { quantity: 'Date and time of battery change', unit: '-', date: true },
};

/** Months and years as seconds are not exact; EN 13757-3 gives them as calendar units, so they keep their own unit. */
const PERIOD: VifInfo[] = [
  { quantity: '', unit: 's', mult: 1 },
  { quantity: '', unit: 's', mult: 60 },
  { quantity: '', unit: 's', mult: 3600 },
  { quantity: '', unit: 's', mult: 86400 },
  { quantity: '', unit: 'month', mult: 1 },
  { quantity: '', unit: 'year', mult: 1 },
];
const per = (q: string, i: number): VifInfo => ({ ...PERIOD[i]!, quantity: q });

/** Main extension table, VIF 0xFD (EN 13757-3 Table 14). */
function extFD(v: number): VifInfo {
  if (v < 0x04) return { quantity: 'Credit', unit: 'Currency units', exp: (v & 3) - 3 };
  if (v < 0x08) return { quantity: 'Debit', unit: 'Currency units', exp: (v & 3) - 3 };
  const named = FD_NAMED[v];
  if (named) return named;
  if (v >= 0x24 && v <= 0x29) return per('Storage interval', v - 0x24);
  if (v >= 0x2c && v <= 0x2f) return per('Duration since last readout', v - 0x2c);
  if (v >= 0x31 && v <= 0x33) return per('Duration of tariff', v - 0x30);
  if (v >= 0x34 && v <= 0x39) return per('Period of tariff', v - 0x34);
  if (v >= 0x40 && v <= 0x4f) return { quantity: 'Voltage', unit: 'V', exp: (v & 0x0f) - 9 };
  if (v >= 0x50 && v <= 0x5f) return { quantity: 'Current', unit: 'A', exp: (v & 0x0f) - 12 };
  if (v >= 0x68 && v <= 0x6b) return per('Duration since last cumulation', v - 0x68 + 2);
  if (v >= 0x6c && v <= 0x6f) return per('Operating time battery', v - 0x6c + 2);
  return R;
}

/** Alternate extension table, VIF 0xFB (EN 13757-3 Table 13). */
function extFB(v: number): VifInfo {
  const n = v & 1;
  const nn = v & 3;
  if (v <= 0x01) return { quantity: 'Energy', unit: 'Wh', exp: n + 5 }; // 10^(n-1) MWh
  if (v === 0x08 || v === 0x09) return { quantity: 'Energy', unit: 'J', exp: n + 8 }; // 10^(n-1) GJ
  if (v === 0x10 || v === 0x11) return { quantity: 'Volume', unit: 'm³', exp: n + 2 }; // 10^(n+2) m³
  if (v === 0x18 || v === 0x19) return { quantity: 'Mass', unit: 'kg', exp: n + 5 }; // 10^(n+2) t
  if (v === 0x21) return { quantity: 'Volume', unit: 'feet³', exp: -1 };
  if (v === 0x22 || v === 0x23) return { quantity: 'Volume', unit: 'American gallon', exp: n - 1 };
  if (v === 0x24) return { quantity: 'Volume flow', unit: 'American gallon/min', exp: -3 };
  if (v === 0x25) return { quantity: 'Volume flow', unit: 'American gallon/min', exp: 0 };
  if (v === 0x26) return { quantity: 'Volume flow', unit: 'American gallon/h', exp: 0 };
  if (v === 0x28 || v === 0x29) return { quantity: 'Power', unit: 'W', exp: n + 5 }; // 10^(n-1) MW
  if (v === 0x30 || v === 0x31) return { quantity: 'Power', unit: 'J/h', exp: n + 8 }; // 10^(n-1) GJ/h
  if (v >= 0x58 && v <= 0x5b) return { quantity: 'Flow temperature', unit: '°F', exp: nn - 3 };
  if (v >= 0x5c && v <= 0x5f) return { quantity: 'Return temperature', unit: '°F', exp: nn - 3 };
  if (v >= 0x60 && v <= 0x63) return { quantity: 'Temperature difference', unit: '°F', exp: nn - 3 };
  if (v >= 0x64 && v <= 0x67) return { quantity: 'External temperature', unit: '°F', exp: nn - 3 };
  if (v >= 0x70 && v <= 0x73) return { quantity: 'Cold / Warm Temperature Limit', unit: '°F', exp: nn - 3 };
  if (v >= 0x74 && v <= 0x77) return { quantity: 'Cold / Warm Temperature Limit', unit: '°C', exp: nn - 3 };
  if (v >= 0x78) return { quantity: 'Cumul count max power', unit: 'W', exp: (v & 7) - 3 };
  return R;
}

/** Looks up a VIF (without extension bit) or, for `table` 0xFD / 0xFB, the first VIFE (without extension bit). */
export function lookupVif(table: 0 | 0xfd | 0xfb, code: number): VifInfo {
  if (table === 0xfd) return extFD(code & 0x7f);
  if (table === 0xfb) return extFB(code & 0x7f);
  return primary(code & 0x7f);
}

/** Record error codes carried in a VIFE 0x00–0x1F, slave to master (EN 13757-3 Table 17). */
export const VIFE_ERRORS: Readonly<Record<number, string>> = {
  0x00: 'None',
  0x01: 'Too many DIFEs',
  0x02: 'Storage number not implemented',
  0x03: 'Unit number not implemented',
  0x04: 'Tariff number not implemented',
  0x05: 'Function not implemented',
  0x06: 'Data class not implemented',
  0x07: 'Data size not implemented',
  0x0b: 'Too many VIFEs',
  0x0c: 'Illegal VIF-Group',
  0x0d: 'Illegal VIF-Exponent',
  0x0e: 'VIF/DIF mismatch',
  0x0f: 'Unimplemented action',
  0x15: 'No data available (undefined value)',
  0x16: 'Data overflow',
  0x17: 'Data underflow',
  0x18: 'Data error',
  0x1c: 'Premature end of record',
};

/** What a combinable VIFE does (EN 13757-3 Table 15). */
export interface VifeEffect {
  text: string;
  /** Power of ten to apply to the value (0x70–0x77, 0x7D). */
  exp?: number;
  /** Unit suffix for "per time / per quantity" VIFEs (e.g. `/h`). */
  per?: string;
  /** The value is a time point (date/time of a limit exceed, start date of …). */
  date?: boolean;
  /** The value is undefined (record error "no data available", "data error"). */
  invalid?: boolean;
  /** Record error code (0x00–0x1F). */
  error?: number;
  /** Following VIFEs and the data are manufacturer specific (0x7F). */
  manufacturer?: boolean;
}

const PER = ['/s', '/min', '/h', '/d', '/week', '/month', '/year', '/revolution', '/pulse (input 0)', '/pulse (input 1)', '/pulse (output 0)', '/pulse (output 1)', '/l', '/m³', '/kg', '/K', '/kWh', '/GJ', '/kW', '/(K·l)', '/V', '/A'];

/** Meaning of one combinable VIFE byte (extension bit ignored). */
export function combinableVife(b: number): VifeEffect {
  const v = b & 0x7f;
  if (v <= 0x1f) {
    const t = VIFE_ERRORS[v] ?? `Reserved record error 0x${v.toString(16)}`;
    return { text: `error: ${t}`, error: v, invalid: v === 0x15 || v === 0x18 };
  }
  if (v <= 0x35) return { text: `per ${PER[v - 0x20]!.slice(1)}`, per: PER[v - 0x20]! };
  if (v === 0x36) return { text: 'multiplied by s', per: '·s' };
  if (v === 0x37) return { text: 'multiplied by s/V', per: '·s/V' };
  if (v === 0x38) return { text: 'multiplied by s/A', per: '·s/A' };
  if (v === 0x39) return { text: 'start date(/time) of', date: true };
  if (v === 0x3a) return { text: 'VIF contains uncorrected unit' };
  if (v === 0x3b) return { text: 'accumulation only if positive contributions' };
  if (v === 0x3c) return { text: 'accumulation of abs value only if negative contributions' };
  if (v <= 0x3f) return { text: `reserved VIFE 0x${v.toString(16)}` };
  if (v <= 0x4f) {
    const u = v & 0x08 ? 'upper' : 'lower';
    const low = v & 0x07;
    if (low === 0) return { text: `${u} limit value` };
    if (low === 1) return { text: `# of exceeds of ${u} limit` };
    if (low & 0x02) return { text: `date (/time) of ${low & 1 ? 'end' : 'begin'} of ${low & 4 ? 'last' : 'first'} ${u} limit exceed`, date: true };
    return { text: `reserved VIFE 0x${v.toString(16)}` };
  }
  if (v <= 0x5f) {
    const u = v & 0x08 ? 'upper' : 'lower';
    return { text: `duration of ${v & 0x04 ? 'last' : 'first'} ${u} limit exceed (${['s', 'min', 'h', 'd'][v & 3]})` };
  }
  if (v <= 0x67) return { text: `duration of ${v & 0x04 ? 'last' : 'first'} (${['s', 'min', 'h', 'd'][v & 3]})` };
  if (v <= 0x6f) {
    if (v & 0x02) return { text: `date (/time) of ${v & 1 ? 'end' : 'begin'} of ${v & 4 ? 'last' : 'first'}`, date: true };
    return { text: `reserved VIFE 0x${v.toString(16)}` };
  }
  if (v <= 0x77) return { text: `multiplicative correction factor 10^${(v & 7) - 6}`, exp: (v & 7) - 6 };
  if (v <= 0x7b) return { text: `additive correction constant 10^${(v & 3) - 3} × unit of VIF (offset)` };
  if (v === 0x7d) return { text: 'multiplicative correction factor 10^3', exp: 3 };
  if (v === 0x7e) return { text: 'future value' };
  if (v === 0x7f) return { text: 'next VIFEs and data of this block are manufacturer specific', manufacturer: true };
  return { text: `reserved VIFE 0x${v.toString(16)}` };
}
