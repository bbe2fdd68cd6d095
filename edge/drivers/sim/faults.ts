/**
 * Switchable line faults of a simulator, applied to its reply frames: no answer, CRC error,
 * answer from another address, line noise before the reply. Each rule fires on every Nth reply
 * (1 = always) so tests can show both the bounded retry that recovers and the typed error that does not.
 */
import { crc16 } from '../modbus/crc.js';

export type FaultKind = 'silent' | 'crc' | 'wrong-address' | 'noise';
export const FAULT_KINDS: readonly FaultKind[] = ['silent', 'crc', 'wrong-address', 'noise'];

/** One rule: `kind` on every `every`-th reply (1 = every reply). */
export interface FaultRule {
  kind: FaultKind;
  every: number;
}

/** Parses `kind[:every]` (CLI form, e.g. `crc:3`). */
export function parseFault(s: string): FaultRule {
  const [kind, every = '1'] = s.split(':');
  if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`unknown fault "${kind}" (one of ${FAULT_KINDS.join(', ')})`);
  if (!/^[1-9]\d*$/.test(every)) throw new Error(`fault "${s}": the period after ':' must be a positive integer`);
  return { kind: kind as FaultKind, every: Number(every) };
}

/** Applies the rules to replies in order; counts replies to decide which ones a rule hits. */
export class FaultInjector {
  private count = 0;
  rules: FaultRule[];

  constructor(rules: FaultRule[] = []) {
    this.rules = rules;
  }

  /** The bytes to send for `frame` (a complete RTU frame with CRC), or undefined for no answer. */
  apply(frame: Buffer): Buffer | undefined {
    this.count++;
    let out: Buffer = Buffer.from(frame);
    for (const r of this.rules) {
      if (this.count % r.every !== 0) continue;
      switch (r.kind) {
        case 'silent':
          return undefined;
        case 'crc':
          out[out.length - 1] = out[out.length - 1]! ^ 0x5a;
          break;
        case 'wrong-address': {
          out[0] = (out[0]! % 247) + 1;
          const c = crc16(out, 0, out.length - 2);
          out.writeUInt16LE(c, out.length - 2);
          break;
        }
        case 'noise':
          // A burst before the reply as a disturbed RS-485 line produces (0xFF: idle-line break artefacts).
          out = Buffer.concat([Buffer.from([0xff, 0x00, 0xfe]), out]);
          break;
      }
    }
    return out;
  }
}
