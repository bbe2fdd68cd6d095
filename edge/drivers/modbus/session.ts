/**
 * Request/response over one Transport with Modbus RTU framing: guard time, bounded retries,
 * typed errors. Used for vendor functions (ТСРВ 0x11/0x41) and by the modbus-serial port adapter.
 */
import { GkhError, isGkhError } from '../../errors.js';
import { toHex, type Transport } from '../types.js';
import { decodeReply, encodeRequest, replyLength, type RtuReply } from './rtu.js';

/** Global-timer sleep (fake timers in unit tests drive it; node:timers/promises is not faked). */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Line timing and retry policy (defaults are the config's bus defaults). */
export interface RtuTiming {
  /** Overall reply timeout per try, ms. Default 1000. */
  timeoutMs?: number;
  /** Silence that ends a reply frame, ms. Default 50 (Modbus 3.5 character times at 9600 baud are 4 ms; converters add jitter). */
  interByteTimeoutMs?: number;
  /** Bus idle time before each request, ms. Default 50. */
  guardTimeMs?: number;
  /** Retries after the first try. Default 2. */
  retries?: number;
}

/** A verified reply with the raw frames of the exchange. */
export interface Exchange extends RtuReply {
  /** The reply as received, hex. */
  raw: string;
  /** How many tries it took (1 = first). */
  tries: number;
}

/** Error codes worth another try: the next try may well succeed (timeouts, corrupted or misaddressed frames). */
export function isRetryable(e: unknown): boolean {
  return isGkhError(e, 'TRANSPORT_TIMEOUT') || isGkhError(e, 'FRAME_') || isGkhError(e, 'DRIVER_WRONG_ADDRESS');
}

/**
 * Reply framing for a request with function `fc`: the frame length from the header, or FRAME_NOISE at
 * once when the second byte is neither `fc` nor its exception (bytes on the line that are no reply to us).
 */
export function replyLengthFor(b: Buffer, fc: number): number | undefined {
  if (b.length >= 2 && b[1] !== fc && b[1] !== (fc | 0x80))
    throw new GkhError('FRAME_NOISE', `byte 1 of the reply is 0x${b[1]!.toString(16).padStart(2, '0')}, not function 0x${fc.toString(16)} or its exception: line noise`, { byte: 1, expected: fc, got: b[1], partial: toHex(b) });
  return replyLength(b);
}

/** One Modbus RTU master on one transport. One transaction at a time (callers queue per bus). */
export class RtuSession {
  readonly timeoutMs: number;
  readonly interByteTimeoutMs: number;
  readonly guardTimeMs: number;
  readonly retries: number;

  constructor(
    readonly transport: Transport,
    timing: RtuTiming = {},
  ) {
    this.timeoutMs = timing.timeoutMs ?? 1000;
    this.interByteTimeoutMs = timing.interByteTimeoutMs ?? 50;
    this.guardTimeMs = timing.guardTimeMs ?? 50;
    this.retries = timing.retries ?? 2;
  }

  /** One try, no retry: writes `request`, reads one frame (length from its header, else inter-byte silence). */
  async once(request: Uint8Array): Promise<Buffer> {
    if (!this.transport.isOpen) await this.transport.open();
    if (this.guardTimeMs > 0) await sleep(this.guardTimeMs);
    this.transport.discardInput();
    await this.transport.write(request);
    const fc = request[1]!;
    return this.transport.read({ timeoutMs: this.timeoutMs, interByteTimeoutMs: this.interByteTimeoutMs, frameLength: (b) => replyLengthFor(b, fc) });
  }

  /**
   * Sends `fc` with `payload` to `address` and returns the verified reply. Retries up to `retries` times
   * on retryable errors; then throws the last error with context.tries and context.rawFrames.
   * `check` may reject a reply whose content is wrong (throw a FRAME_ error to retry it).
   */
  async transact(address: number, fc: number, payload: Uint8Array, check?: (r: RtuReply) => void): Promise<Exchange> {
    const request = encodeRequest(address, fc, payload);
    const seen: string[] = [];
    let last: unknown;
    let tries = 0;
    while (tries <= this.retries) {
      tries++;
      try {
        const frame = await this.once(request);
        seen.push(toHex(frame));
        const reply = decodeReply(frame, address, fc);
        check?.(reply);
        return { ...reply, raw: toHex(frame), tries };
      } catch (e) {
        last = e;
        if (!isRetryable(e)) break;
        // Let the rest of a broken or noisy reply pass before the next try (it is then discarded).
        await sleep(this.interByteTimeoutMs);
      }
    }
    if (isGkhError(last)) throw new GkhError(last.code, `${last.message} (${tries} ${tries === 1 ? 'try' : 'tries'}; ${this.transport.description})`, { ...last.context, tries, rawFrames: seen, request: toHex(request) }, { cause: last });
    throw last;
  }
}
