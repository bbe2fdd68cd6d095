/**
 * M-Bus link layer frames, EN 13757-2 §5.4–5.5 and EN 13757-3 §6 (CI values): control field codes,
 * the requests a master sends and helpers to recognise the replies.
 */
import { encodeFrame, type Frame } from './frame.js';

/** C field, master to slave (EN 13757-2 Table 3). FCB = 0x20, FCV = 0x10. */
export const C = {
  SND_NKE: 0x40,
  SND_UD: 0x53,
  REQ_UD2: 0x5b,
  REQ_UD1: 0x5a,
  /** Slave to master: RSP_UD (0x08, with ACD 0x20 / DFC 0x10 bits possible). */
  RSP_UD: 0x08,
} as const;
export const FCB = 0x20;
export const FCV = 0x10;

/** CI field values (EN 13757-3 Table 2 and EN 13757-2). */
export const CI = {
  /** Application reset (SND_UD). */
  APP_RESET: 0x50,
  /** Data send (SND_UD, mode 1). */
  DATA_SEND: 0x51,
  /** Selection of slaves by secondary address (SND_UD). */
  SELECT: 0x52,
  /** Switch baud rate 300 … 38400: 0xB8 … 0xBF. */
  BAUD_300: 0xb8,
  APP_ERROR: 0x70,
  ALARM: 0x71,
  RSP_LONG: 0x72,
  RSP_FIXED: 0x73,
  RSP_NONE: 0x78,
  RSP_SHORT: 0x7a,
} as const;

/** Primary addresses: 0 unconfigured, 1–250 slaves, 253 network layer (selected slave), 254 test (all answer), 255 broadcast (no answer). */
export const ADDR = { UNCONFIGURED: 0, MAX_SLAVE: 250, NETWORK: 253, TEST: 254, BROADCAST: 255 } as const;

/** SND_NKE: link reset; the slave answers E5 and clears its FCB state (EN 13757-2 §5.5). */
export function sndNke(address: number): Buffer {
  return encodeFrame({ kind: 'short', c: C.SND_NKE, a: address });
}

/** REQ_UD2 with FCV set and the given FCB (the master toggles FCB after every successful transaction). */
export function reqUd2(address: number, fcb: boolean): Buffer {
  return encodeFrame({ kind: 'short', c: C.REQ_UD2 | FCV | (fcb ? FCB : 0), a: address });
}

/** SND_UD with CI 0x52: select by secondary address (8 id digits, manufacturer, version, medium; wildcards per header.ts). */
export function selectSecondary(mask: Buffer): Buffer {
  return encodeFrame({ kind: 'long', c: C.SND_UD, a: ADDR.NETWORK, ci: CI.SELECT, data: mask });
}

/** SND_UD with CI 0x50: application reset, optional subcode (e.g. 0x10 to restart from the first telegram). */
export function appReset(address: number, subcode?: number): Buffer {
  return encodeFrame({ kind: 'long', c: C.SND_UD, a: address, ci: CI.APP_RESET, data: Buffer.from(subcode === undefined ? [] : [subcode]) });
}

/** True for a slave's RSP_UD (C = 0x08 with any ACD/DFC bits, EN 13757-2 Table 4). */
export function isRspUd(f: Frame): f is Extract<Frame, { kind: 'long' }> {
  return f.kind === 'long' && (f.c & 0x4f) === C.RSP_UD;
}

/** Names a C field for logs. */
export function describeC(c: number): string {
  const base = c & 0x4f;
  const name = { 0x40: 'SND_NKE', 0x43: 'SND_UD', 0x4b: 'REQ_UD2', 0x4a: 'REQ_UD1', 0x08: 'RSP_UD', 0x00: 'ACK' }[base] ?? `C=${c.toString(16)}`;
  return `${name}${c & FCV && c & 0x40 ? (c & FCB ? ' FCB=1' : ' FCB=0') : ''}`;
}
