/**
 * Bus scan: primary sweep (SND_NKE to 0…250, then REQ_UD2 to each that confirmed) and the secondary
 * wildcard search of EN 13757-3 §7.3 (select with a mask; on a collision fix the next id digit 0–9 and
 * search deeper; a single E5 is verified with REQ_UD2 to 253, since identical E5s from two slaves look
 * like one).
 */
import { isGkhError } from '../../errors.js';
import { toHex } from '../types.js';
import { parseFrame } from './frame.js';
import { decodeBcdId, type SecondaryAddress } from './header.js';
import { ADDR, isRspUd, reqUd2, sndNke } from './link.js';
import { type MbusSession } from './session.js';
import { decodeUserData } from './telegram.js';

/** A meter found on the bus. */
export interface FoundMeter {
  /** Primary address it answered from (0–250; 253 answers carry the slave's own primary address). */
  address: number;
  id?: string;
  manufacturer?: string;
  version?: number;
  medium?: number;
  mediumName?: string;
  /** How it was found. */
  via: 'primary' | 'secondary';
  raw: string;
}

/** Something the scan could not resolve (e.g. two meters on one primary address). */
export interface ScanProblem {
  where: string;
  problem: string;
}

export interface ScanResult {
  meters: FoundMeter[];
  problems: ScanProblem[];
  /** Requests sent. */
  requests: number;
}

function meterFrom(raw: Buffer, via: FoundMeter['via']): FoundMeter | undefined {
  const f = parseFrame(raw);
  if (!isRspUd(f)) return undefined;
  const t = decodeUserData(f.c, f.a, f.ci, f.data);
  const out: FoundMeter = { address: f.a, via, raw: toHex(raw) };
  if (t.type === 'variable' || t.type === 'fixed') {
    const h = t.header;
    Object.assign(out, { id: h.id, manufacturer: h.manufacturer, version: h.version, medium: h.medium, mediumName: h.mediumName });
  } else if (f.data.length >= 4) out.id = decodeBcdId(f.data, 0);
  return out;
}

/** Selects the meter's full secondary address; true when it (alone) confirms with E5. Leaves it selected. */
async function confirm(s: MbusSession, m: FoundMeter): Promise<boolean> {
  if (m.id === undefined || m.manufacturer === undefined || m.version === undefined || m.medium === undefined || /[A-F]/i.test(m.id)) return true;
  return (await s.select({ id: m.id, manufacturer: m.manufacturer, version: m.version, medium: m.medium })) === 'ack';
}

/** Primary sweep over `from`…`to` (default 0…250). `onProgress(address)` before each address. */
export async function scanPrimary(s: MbusSession, opts: { from?: number; to?: number; onProgress?: (address: number) => void } = {}): Promise<ScanResult> {
  const res: ScanResult = { meters: [], problems: [], requests: 0 };
  for (let a = opts.from ?? 0; a <= (opts.to ?? ADDR.MAX_SLAVE); a++) {
    opts.onProgress?.(a);
    res.requests++;
    const ans = await s.transact(sndNke(a));
    if (ans.kind === 'none') continue;
    if (ans.kind === 'garbled') {
      res.problems.push({ where: `primary ${a}`, problem: `garbled answer to SND_NKE (${toHex(ans.bytes)}): several meters share this address? / несколько счётчиков на одном адресе?` });
      continue;
    }
    res.requests++;
    const r = await s.transact(reqUd2(a, true));
    if (r.kind === 'frame') {
      const m = meterFrom(r.bytes, 'primary');
      res.requests += 2;
      const real = m ? await confirm(s, m) : false;
      if (m) await s.deselect();
      if (m && real) res.meters.push(m);
      else if (m) res.problems.push({ where: `primary ${a}`, problem: `reply names ${m.id}, which does not answer its own secondary address: collided replies, several meters share this address / несколько счётчиков на одном адресе` });
      else res.problems.push({ where: `primary ${a}`, problem: `answered SND_NKE but REQ_UD2 gave a non-RSP_UD frame ${toHex(r.bytes)}` });
    } else if (r.kind === 'garbled') res.problems.push({ where: `primary ${a}`, problem: `collision on REQ_UD2 (${toHex(r.bytes).slice(0, 60)}…): several meters share this address / несколько счётчиков на одном адресе` });
    else res.problems.push({ where: `primary ${a}`, problem: 'confirmed SND_NKE but did not answer REQ_UD2' });
  }
  return res;
}

/**
 * Secondary wildcard search, starting from `mask` (default all wildcards `FFFFFFFF`). Meters are read
 * at 253 after their selection; the bus is deselected at the end.
 */
export async function scanSecondary(s: MbusSession, opts: { mask?: SecondaryAddress; onProgress?: (mask: string) => void } = {}): Promise<ScanResult> {
  const res: ScanResult = { meters: [], problems: [], requests: 0 };
  const seen = new Set<string>();
  const start = opts.mask ?? { id: 'FFFFFFFF' };

  const probe = async (): Promise<'found' | 'collision' | 'none'> => {
    res.requests++;
    const r = await s.transact(reqUd2(ADDR.NETWORK, true));
    if (r.kind === 'frame') {
      const m = meterFrom(r.bytes, 'secondary');
      // Collided frames can pass the checksum by chance (bitwise AND of two replies): confirm the address
      // read by selecting it exactly; a phantom address is answered by nobody.
      res.requests++;
      if (m && m.id && !(await confirm(s, m))) return 'collision';
      if (m && m.id) {
        const key = `${m.id}${m.manufacturer}${m.version}${m.medium}`;
        if (!seen.has(key)) {
          seen.add(key);
          res.meters.push(m);
        }
        return 'found';
      }
      return 'collision';
    }
    return r.kind === 'garbled' ? 'collision' : 'none';
  };

  const search = async (mask: SecondaryAddress, pos: number): Promise<void> => {
    opts.onProgress?.(mask.id);
    res.requests++;
    const sel = await s.select(mask);
    if (sel === 'none') return;
    if (sel === 'ack') {
      const p = await probe();
      if (p !== 'collision') return;
    }
    // Several slaves match: fix the next wildcard digit.
    let next = pos;
    while (next < 8 && mask.id[next]!.toUpperCase() !== 'F') next++;
    if (next >= 8) {
      res.problems.push({ where: `secondary ${mask.id}`, problem: 'several meters match a mask without wildcards (same id, different manufacturer/version/medium?) / несколько счётчиков с одним номером' });
      return;
    }
    for (let d = 0; d <= 9; d++) await search({ ...mask, id: `${mask.id.slice(0, next)}${d}${mask.id.slice(next + 1)}` }, next + 1);
  };

  await search(start, 0);
  try {
    await s.deselect();
  } catch (e) {
    if (!isGkhError(e, 'TRANSPORT_')) throw e;
  }
  return res;
}
