/**
 * M-Bus link-layer session over a Transport (EN 13757-2 §5.5): SND_NKE, REQ_UD2 with FCB toggling per
 * slave, retries that repeat the same FCB (so a slave resends a reply the master lost), multi-telegram
 * reads (DIF 1Fh), and secondary selection (SND_UD CI 52h to address 253). One transaction at a time.
 */
import { GkhError, isGkhError } from '../../errors.js';
import { toHex, type Transport } from '../types.js';
import { ACK, hx, parseFrame, START_LONG, START_SHORT } from './frame.js';
import { encodeSecondaryMask, type SecondaryAddress } from './header.js';
import { ADDR, isRspUd, reqUd2, selectSecondary, sndNke } from './link.js';
import { decodeUserData, type Telegram } from './telegram.js';

/** Session timing (defaults for 2400 baud). */
export interface SessionOptions {
  /** Reply timeout, ms: EN 13757-2 allows 330 bit times + 50 ms (≈ 190 ms at 2400 baud) before the first byte [500]. */
  timeoutMs?: number;
  /** Silence that ends a broken reply, ms [100]. */
  interByteTimeoutMs?: number;
  /** Extra attempts after a timeout or a garbled reply [2]. */
  retries?: number;
  /** Idle time before each request, ms [0]. */
  guardTimeMs?: number;
  /** Most telegrams read in one multi-telegram read [16]. */
  maxTelegrams?: number;
  /**
   * The level converter echoes what the master sends (some USB/RS-232 M-Bus masters do; libmbus calls it
   * "purge first frame"): read and check the echo before the reply [false].
   */
  echo?: boolean;
  /** Traffic log hook (tx/rx raw bytes). */
  onTraffic?: (dir: 'tx' | 'rx', bytes: Buffer) => void;
}

/** What one request got back. */
export type Answer = { kind: 'none' } | { kind: 'ack' } | { kind: 'frame'; bytes: Buffer } | { kind: 'garbled'; bytes: Buffer; error: GkhError };

/** M-Bus reply framing for the transport: ACK, short and long frames; anything else waits for the silence. */
function replyLength(b: Buffer): number | undefined {
  const s = b[0];
  if (s === ACK) return 1;
  if (s === START_SHORT) return 5;
  if (s === START_LONG) return b.length < 2 ? undefined : b[1]! + 6;
  return undefined;
}

/** Result of a full read: every telegram and the records of all of them, in order. */
export interface ReadResult {
  telegrams: Extract<Telegram, { type: 'variable' }>[];
  rawFrames: string[];
}

/** A master on one bus. */
export class MbusSession {
  private readonly fcb = new Map<number, boolean>();
  private readonly o: Required<Omit<SessionOptions, 'onTraffic'>> & Pick<SessionOptions, 'onTraffic'>;

  constructor(
    readonly transport: Transport,
    o: SessionOptions = {},
  ) {
    this.o = { timeoutMs: 500, interByteTimeoutMs: 100, retries: 2, guardTimeMs: 0, maxTelegrams: 16, echo: false, ...o };
  }

  /** Sends `req` and waits for one reply (or none); never throws on silence or garbage — the caller decides. */
  async transact(req: Buffer, expectReply = true): Promise<Answer> {
    if (this.o.guardTimeMs > 0) await new Promise((r) => setTimeout(r, this.o.guardTimeMs));
    this.transport.discardInput();
    this.o.onTraffic?.('tx', req);
    await this.transport.write(req);
    if (this.o.echo) {
      const echo = await this.transport.read({ timeoutMs: this.o.timeoutMs, frameLength: () => req.length });
      if (!echo.equals(req)) throw new GkhError('TRANSPORT_IO', `echo differs from the request: sent ${toHex(req)}, echoed ${toHex(echo)} (is --echo right for this converter?)`, { sent: toHex(req), got: toHex(echo) });
    }
    if (!expectReply) return { kind: 'none' };
    let bytes: Buffer;
    try {
      bytes = await this.transport.read({ timeoutMs: this.o.timeoutMs, interByteTimeoutMs: this.o.interByteTimeoutMs, frameLength: replyLength });
    } catch (e) {
      if (isGkhError(e, 'TRANSPORT_TIMEOUT')) {
        const partial = String((e.context as { partial?: string }).partial ?? '');
        if (partial === '') return { kind: 'none' };
        const b = Buffer.from(partial.replace(/ /g, ''), 'hex');
        this.o.onTraffic?.('rx', b);
        return { kind: 'garbled', bytes: b, error: e };
      }
      throw e;
    }
    this.o.onTraffic?.('rx', bytes);
    if (bytes.length === 1 && bytes[0] === ACK) {
      // More bytes right behind an E5 mean two slaves answered differently: wait out the line.
      await new Promise((r) => setTimeout(r, Math.min(this.o.interByteTimeoutMs, 50)));
      return { kind: 'ack' };
    }
    try {
      parseFrame(bytes);
    } catch (e) {
      if (!isGkhError(e, 'FRAME_')) throw e;
      // Collided frames carry wrong lengths: let the rest of the line noise pass before the next request.
      await new Promise((r) => setTimeout(r, this.o.interByteTimeoutMs));
      this.transport.discardInput();
      return { kind: 'garbled', bytes, error: e };
    }
    return { kind: 'frame', bytes };
  }

  /** SND_NKE: resets the slave's link layer (and its FCB). True when it confirmed with E5. */
  async sndNke(address: number): Promise<boolean> {
    for (let i = 0; i <= this.o.retries; i++) {
      const a = await this.transact(sndNke(address));
      if (a.kind === 'ack') {
        this.fcb.set(address, true); // after SND_NKE the next FCV frame carries FCB = 1 (EN 13757-2 §5.5)
        return true;
      }
    }
    return false;
  }

  /**
   * REQ_UD2 to `address`; returns the decoded RSP_UD and its raw bytes. Retries repeat the same FCB; the
   * FCB toggles only after a valid reply. Throws TRANSPORT_TIMEOUT (no reply), FRAME_* (garbled after all
   * retries), MBUS_WRONG_ADDRESS (another slave answered), MBUS_APPLICATION_ERROR (CI 70h).
   */
  async reqUd2(address: number): Promise<{ telegram: Telegram; raw: Buffer }> {
    let last: Answer = { kind: 'none' };
    for (let i = 0; i <= this.o.retries; i++) {
      const fcb = this.fcb.get(address) ?? true;
      last = await this.transact(reqUd2(address, fcb));
      if (last.kind !== 'frame') continue;
      const f = parseFrame(last.bytes);
      if (!isRspUd(f)) throw new GkhError('FRAME_CONTROL', `address ${address}: expected RSP_UD, got C ${f.kind === 'short' ? hx(f.c) : f.kind}`, { address, raw: toHex(last.bytes) });
      this.fcb.set(address, !fcb);
      if (address <= ADDR.MAX_SLAVE && f.a !== address)
        throw new GkhError('MBUS_WRONG_ADDRESS', `asked address ${address}, slave ${f.a} answered / ответил другой счётчик`, { expected: address, got: f.a, raw: toHex(last.bytes) });
      const telegram = decodeUserData(f.c, f.a, f.ci, f.data);
      if (telegram.type === 'error')
        throw new GkhError('MBUS_APPLICATION_ERROR', `address ${address}: meter reports application error ${telegram.error.code}: ${telegram.error.text}`, { address, ...telegram.error, raw: toHex(last.bytes) });
      return { telegram, raw: last.bytes };
    }
    if (last.kind === 'garbled') throw new GkhError(last.error.code, `address ${address}: garbled reply after ${this.o.retries + 1} attempts: ${last.error.message}`, { address, raw: toHex(last.bytes) }, { cause: last.error });
    throw new GkhError('TRANSPORT_TIMEOUT', `address ${address}: no reply to REQ_UD2 after ${this.o.retries + 1} attempts / счётчик не отвечает`, { address, attempts: this.o.retries + 1 });
  }

  /** Selects one slave by secondary address (CI 52h to 253). Returns how the bus answered (ack, none, garbled = several answered differently). */
  async select(addr: SecondaryAddress): Promise<Answer['kind']> {
    const a = await this.transact(selectSecondary(encodeSecondaryMask(addr)));
    return a.kind;
  }

  /** Deselects every slave (SND_NKE to 253); no reply is needed. */
  async deselect(): Promise<void> {
    await this.transact(sndNke(ADDR.NETWORK));
  }

  /**
   * Reads all telegrams of a slave (primary address, or a secondary address which is selected first and
   * read at 253): REQ_UD2 while the last record is DIF 1Fh ("more records follow").
   */
  async readAll(target: number | SecondaryAddress): Promise<ReadResult> {
    let address: number;
    if (typeof target === 'number') address = target;
    else {
      const sel = await this.select(target);
      if (sel !== 'ack') throw new GkhError(sel === 'none' ? 'TRANSPORT_TIMEOUT' : 'MBUS_COLLISION', `secondary ${target.id}: ${sel === 'none' ? 'no slave confirmed the selection' : 'several slaves answered the selection'}`, { secondary: target.id, answer: sel });
      address = ADDR.NETWORK;
      this.fcb.set(address, true);
    }
    const telegrams: ReadResult['telegrams'] = [];
    const rawFrames: string[] = [];
    for (let n = 0; n < this.o.maxTelegrams; n++) {
      const { telegram, raw } = await this.reqUd2(address);
      rawFrames.push(toHex(raw));
      if (telegram.type !== 'variable') throw new GkhError('MBUS_UNSUPPORTED', `address ${address}: reply with CI ${hx(telegram.ci)} (${telegram.type}) is not variable data`, { address, raw: toHex(raw) });
      telegrams.push(telegram);
      if (!telegram.moreRecordsFollow) break;
    }
    return { telegrams, rawFrames };
  }
}
