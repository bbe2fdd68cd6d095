/**
 * Test and benchmark fixtures: a gateway log built in memory with edge/log (entries, signed
 * checkpoints), and batches cut from it, so receiver checks can be exercised byte by byte.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { formatCheckpoint, originFor, parseCheckpoint } from '../log/checkpoint.js';
import { encodeEntry, makeEntry } from '../log/entry.js';
import { leafHash } from '../log/hash.js';
import { ed25519RawPublic, ed25519Signer, SIG_ED25519, signNote } from '../log/note.js';
import { MerkleTree } from '../log/tree.js';
import { formatVkey } from '../log/vkey.js';
import { PROTOCOL_VERSION, type BatchPayload, type WireCheckpoint } from './protocol.js';
import type { Receipt, SyncLog } from './types.js';

/** An hourly entry body as the poller would log it (32 meters × 30 days is the benchmark's shape). */
export function hourlyBody(meter: number, hour: number, tz = 'Asia/Yekaterinburg') {
  const hourStart = new Date(Date.UTC(2026, 9, 1) + hour * 3600_000).toISOString();
  return {
    meterId: `m${String(meter).padStart(2, '0')}`,
    system: 1,
    hourStart,
    tz,
    values: {
      Q: { value: Number(`${1234 + ((hour * 7 + meter) % 500)}e-4`), unit: 'Gcal' },
      M1: { value: Number(`${25310 + (hour % 97)}e-3`), unit: 't' },
      M2: { value: Number(`${25120 + (hour % 89)}e-3`), unit: 't' },
      t1: { value: Number(`${7012 + (hour % 300)}e-2`), unit: '°C' },
      t2: { value: Number(`${4507 + (hour % 200)}e-2`), unit: '°C' },
      P1: { value: 0.62, unit: 'MPa' },
      P2: { value: 0.41, unit: 'MPa' },
      hoursNormal: { value: 1, unit: 'h' },
      hoursError: { value: 0, unit: 'h' },
    },
    flags: [],
    source: 'archive' as const,
    rawFrames: ['68 4d 4d 68 08 01 72 78 56 34 12 24 40 01 07 55 00 00 00 03 13 15 31 00 da 02 3b 13 01 8b 60 04 37 18 02 16'],
    readAt: new Date(Date.UTC(2026, 9, 1) + hour * 3600_000 + 3605_000).toISOString(),
  };
}

/** A gateway's log in memory: entries (canonical text), leaf hashes, signed checkpoints by size. */
export class MemoryLog {
  readonly entries: string[] = [];
  readonly checkpoints = new Map<number, WireCheckpoint>();
  readonly tree = new MerkleTree();
  readonly privateKey: KeyObject;
  readonly vkey: string;
  readonly origin: string;

  constructor(readonly gatewayId: string, key?: KeyObject) {
    this.privateKey = key ?? generateKeyPairSync('ed25519').privateKey;
    this.origin = originFor(gatewayId);
    this.vkey = formatVkey(this.origin, SIG_ED25519, ed25519RawPublic(createPublicKey(this.privateKey)));
  }

  /** Appends an entry of `type` with `body`; returns its index. */
  append(type: Parameters<typeof makeEntry>[0], body: object, at = Date.UTC(2026, 10, 1)): number {
    const text = encodeEntry(makeEntry(type, this.gatewayId, body, at)).toString('utf8');
    this.entries.push(text);
    return this.tree.append(leafHash(text));
  }

  /** Signs a checkpoint at the current size. */
  checkpoint(createdAt = Date.UTC(2026, 10, 1)): WireCheckpoint {
    const note = signNote(formatCheckpoint({ origin: this.origin, size: this.tree.size, root: this.tree.root() }), ed25519Signer(this.origin, this.privateKey));
    const cp = { size: this.tree.size, note, createdAt };
    this.checkpoints.set(cp.size, cp);
    return cp;
  }

  /** Checkpoints with size in (from, to], ascending. */
  checkpointsIn(from: number, to: number): WireCheckpoint[] {
    return [...this.checkpoints.values()].filter((c) => c.size > from && c.size <= to).sort((a, b) => a.size - b.size);
  }

  /** Batch of entries [from, to) with the checkpoints in (from, to] (one at `to` must exist). */
  batch(from: number, to: number, seq = 1, dest = 'uk'): BatchPayload {
    if (!this.checkpoints.has(to)) throw new Error(`no checkpoint at ${to}`);
    return { v: PROTOCOL_VERSION, kind: 'batch', gw: this.gatewayId, dest, seq, from, entries: this.entries.slice(from, to), checkpoints: this.checkpointsIn(from, to) };
  }
}


/** A SyncLog over a MemoryLog (worker tests without the SQLite evidence log). */
export function memorySyncLog(log: MemoryLog): SyncLog & { appended: number } {
  const sizes = () => [...log.checkpoints.keys()].sort((a, b) => a - b);
  const s = {
    appended: 0,
    checkpointedSize: () => sizes().at(-1) ?? 0,
    entries: (from: number, to: number) => log.entries.slice(from, to),
    checkpointAt: (size: number) => log.checkpoints.get(size),
    checkpointsIn: (from: number, to: number) => log.checkpointsIn(from, to),
    checkpointFor(from: number, maxTo: number) {
      const all = sizes();
      const within = all.filter((x) => x > from && x <= maxTo);
      return log.checkpoints.get(within.at(-1) ?? all.find((x) => x > from) ?? -1);
    },
    entryType: (idx: number) => (JSON.parse(log.entries[idx]!) as { type: string }).type,
    appendReceipt(r: Receipt) {
      const cp = parseCheckpoint(r.checkpoint);
      const i = log.append('cosignature', { destination: r.destination, size: r.size, root: cp.root.toString('base64'), line: r.cosignature, time: r.timestamp }, Date.now());
      log.checkpoint(Date.now());
      s.appended++;
      return i;
    },
  };
  return s;
}
