/**
 * The receiver core: verifies a batch (schema, registry key, checkpoint signature, contiguity, root),
 * stores it durably in the gateway's own database, and answers with its stored size and a C2SP
 * tlog-cosignature. Anything that does not verify is rejected, logged with a reason, and nothing of
 * it is stored. `handle()` has no MQTT in it (unit-testable); `ReceiverService` wires it to a broker.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { canonicalize } from '../edge/log/canonical.js';
import { hashEqual, leafHash } from '../edge/log/hash.js';
import { MerkleTree } from '../edge/log/tree.js';
import { GkhError } from '../edge/errors.js';
import type { Db } from '../edge/store/db.js';
import { formatCheckpoint, originFor } from '../edge/log/checkpoint.js';
import { cosignCheckpoint, cosignerName, cosignerVkey, parseReceiptEntry, verifyCheckpointNote, verifyReceipt } from '../edge/sync/cosign.js';
import { PROTOCOL_VERSION, decodeBatch, parseTopic, type AckPayload, type AckStatus, type BatchPayload } from '../edge/sync/protocol.js';
import type { ReceiverConfig } from './config.js';
import { insertRejection, openGatewayDb, openReceiverDb } from './store.js';

/** What `handle` did: the ack to publish (undefined when the payload cannot be answered) and a log line. */
export interface HandleResult {
  ack?: AckPayload;
  ackTopic?: string;
  /** One line for the receiver's log: what was stored, or why not. */
  line: string;
  status: AckStatus | 'unanswerable';
}

interface GwState {
  db: Db;
  vkey: string;
}

/** Receiver logic over its databases. One instance per process; several processes may share a dataDir. */
export class Receiver {
  private readonly gws = new Map<string, GwState>();
  readonly rdb: Db;
  readonly vkey: string;
  private readonly registry: Map<string, string>;
  /** Other parties' cosigner keys by key name (config `peers`), to verify receipts in the logs. */
  private readonly peers: Map<string, string>;

  constructor(
    readonly cfg: ReceiverConfig,
    private readonly key: { privateKey: KeyObject; publicRaw: Buffer },
  ) {
    this.rdb = openReceiverDb(cfg.dataDir);
    this.vkey = cosignerVkey(this.keyName, key.publicRaw);
    this.registry = new Map(cfg.gateways.map((g) => [g.id, g.vkey]));
    this.peers = new Map(cfg.peers.map((p) => [p.vkey.slice(0, p.vkey.indexOf('+')), p.vkey]));
  }

  get keyName(): string {
    return this.cfg.keyName ?? this.cfg.receiverId;
  }

  /** The database of a registered gateway (opened once). */
  gatewayDb(gw: string): Db {
    let s = this.gws.get(gw);
    if (!s) {
      s = { db: openGatewayDb(this.cfg.dataDir, gw), vkey: this.registry.get(gw)! };
      this.gws.set(gw, s);
    }
    return s.db;
  }

  close(): void {
    for (const s of this.gws.values()) s.db.close();
    this.gws.clear();
    this.rdb.close();
  }

  /** Stored size of a gateway's log here. */
  storedSize(gw: string): number {
    const r = this.gatewayDb(gw).prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM log_entries').get() as { n: number };
    return r.n;
  }

  private ack(b: Pick<BatchPayload, 'gw' | 'dest' | 'seq'>, status: AckStatus, size: number, extra: { code?: string; reason?: string } = {}): AckPayload {
    let cosignature: string | null = null;
    if (size > 0) {
      const row = this.gatewayDb(b.gw).prepare('SELECT note FROM checkpoints WHERE size = ?').get(size) as { note: string } | undefined;
      if (row) cosignature = cosignCheckpoint(this.key.privateKey, this.keyName, row.note);
    }
    return { v: PROTOCOL_VERSION, kind: 'ack', gw: b.gw, dest: b.dest, seq: b.seq, status, size, cosignature, vkey: this.vkey, ...extra };
  }

  /**
   * Group commit: handles several messages that arrived together inside one transaction per database
   * (each batch in its own savepoint, so a rejected one leaves the others), with one fsync per database
   * instead of one per batch. Acks may be published only after this returns. Locks are taken in a
   * fixed order (gateway ids sorted, receiver.db last) so instances sharing a dataDir cannot deadlock.
   */
  handleMany(items: readonly { topic: string; payload: Buffer }[]): HandleResult[] {
    const ids = new Set<string>();
    for (const it of items) {
      const t = parseTopic(this.cfg.broker.topicPrefix, it.topic);
      if (t && this.registry.has(t.gatewayId)) ids.add(t.gatewayId);
    }
    const dbs = [...[...ids].sort().map((g) => this.gatewayDb(g)), this.rdb];
    const begun: Db[] = [];
    try {
      for (const d of dbs) {
        d.exec('BEGIN IMMEDIATE');
        begun.push(d);
      }
      const results = items.map((it) => this.handle(it.topic, it.payload));
      for (const d of dbs) d.exec('COMMIT');
      return results;
    } catch (e) {
      for (const d of begun) if (d.inTransaction) d.exec('ROLLBACK');
      throw e;
    }
  }

  /** Handles one MQTT message on a batch topic. Never throws for bad input: it rejects and logs. */
  handle(topicName: string, payload: Buffer): HandleResult {
    const prefix = this.cfg.broker.topicPrefix;
    const t = parseTopic(prefix, topicName);
    const sha = createHash('sha256').update(payload).digest('hex');
    const ackTopic = t ? `${prefix}/gw/${t.gatewayId}/ack` : undefined;
    const log = (status: 'rejected' | 'duplicate' | 'gap', code: string, reason: string, b?: Partial<BatchPayload>, stored: number | null = null) =>
      insertRejection(this.rdb, {
        at: Date.now(),
        gateway: t?.gatewayId ?? null,
        dest: b?.dest ?? null,
        seq: b?.seq ?? null,
        from: b?.from ?? null,
        batchSize: b?.checkpoints?.at(-1)?.size ?? null,
        storedSize: stored,
        status,
        code,
        reason,
        payloadSha256: sha,
      });
    if (!t || t.kind !== 'batch') {
      log('rejected', 'SYNC_TOPIC', `not a batch topic: ${topicName}`);
      return { status: 'unanswerable', line: `rejected ${topicName}: not a batch topic` };
    }
    let b: BatchPayload;
    try {
      b = decodeBatch(payload);
    } catch (e) {
      const msg = (e as Error).message;
      log('rejected', 'SYNC_PAYLOAD', msg);
      return { status: 'unanswerable', line: `rejected ${t.gatewayId}: SYNC_PAYLOAD: ${msg}` };
    }
    const reject = (code: string, reason: string, stored: number | null): HandleResult => {
      log('rejected', code, reason, b, stored);
      // An unregistered gateway gets an ack with size 0 and no cosignature (we hold nothing of it).
      const ack: AckPayload = stored === null ? { v: PROTOCOL_VERSION, kind: 'ack', gw: b.gw, dest: b.dest, seq: b.seq, status: 'rejected', size: 0, cosignature: null, vkey: this.vkey, code, reason } : this.ack(b, 'rejected', stored, { code, reason });
      return { ack, ackTopic, status: 'rejected', line: `rejected ${b.gw} batch ${b.seq} [${b.from}, ${b.from + b.entries.length}): ${code}: ${reason}` };
    };
    if (b.gw !== t.gatewayId) return reject('SYNC_TOPIC', `payload gateway ${b.gw} differs from the topic's ${t.gatewayId}`, null);
    const vkey = this.registry.get(b.gw);
    if (vkey === undefined) return reject('SYNC_UNKNOWN_GATEWAY', `gateway ${b.gw} is not in this receiver's registry`, null);
    const db = this.gatewayDb(b.gw);
    try {
      // Inside handleMany's transaction this is a savepoint; alone, an IMMEDIATE transaction.
      const r = db.transaction(() => this.apply(db, vkey, b)).immediate();
      if (r.status === 'stored') return { ack: this.ack(b, 'stored', r.size), ackTopic, status: 'stored', line: `stored ${b.gw} [${b.from}, ${r.size}) from ${b.dest} batch ${b.seq}` };
      log(r.status, r.code, r.reason, b, r.size);
      return { ack: this.ack(b, r.status, r.size), ackTopic, status: r.status, line: `${r.status} ${b.gw} batch ${b.seq} [${b.from}, ${b.from + b.entries.length}): ${r.reason}; holding ${r.size}` };
    } catch (e) {
      if (e instanceof GkhError) return reject(e.code, e.message, this.storedSize(b.gw));
      throw e;
    }
  }

  /**
   * Verifies and stores inside one IMMEDIATE transaction (several instances may share the files).
   * Throws GkhError for anything that must be rejected; the transaction then stores nothing.
   */
  private apply(db: Db, vkey: string, b: BatchPayload): { status: 'stored' | 'duplicate' | 'gap'; size: number; code: string; reason: string } {
    const to = b.from + b.entries.length;
    // Every checkpoint: signed by the registered key, its field size equal to the signed size, ascending.
    const cps = b.checkpoints.map((c, i) => {
      const p = verifyCheckpointNote(vkey, c.note);
      if (p.size !== c.size) throw new GkhError('SYNC_CHECKPOINT', `checkpoint ${i}: field size ${c.size} differs from the signed size ${p.size}`, { expected: p.size, got: c.size });
      if (i > 0 && c.size <= b.checkpoints[i - 1]!.size) throw new GkhError('SYNC_CHECKPOINT', `checkpoint ${i}: sizes must ascend (${b.checkpoints[i - 1]!.size} then ${c.size})`, { index: i });
      return { ...p, wire: c };
    });
    const last = cps[cps.length - 1]!;
    const stateRow = db.prepare('SELECT size, hashes_json FROM rx_tree WHERE id = 1').get() as { size: number; hashes_json: string } | undefined;
    const tree = stateRow ? MerkleTree.fromState({ size: stateRow.size, hashes: JSON.parse(stateRow.hashes_json) as string[] }) : new MerkleTree();
    const n = tree.size;
    if (last.size < n && b.from >= n) throw new GkhError('SYNC_CHECKPOINT_SHRINK', `signed checkpoint of size ${last.size} is below the ${n} entries held: a log never shrinks`, { expected: `>= ${n}`, got: last.size });
    if (last.size !== to) throw new GkhError('SYNC_CHECKPOINT', `last checkpoint size ${last.size} does not cover the batch [${b.from}, ${to})`, { expected: to, got: last.size });
    if (cps[0]!.size <= b.from) throw new GkhError('SYNC_CHECKPOINT', `checkpoint size ${cps[0]!.size} is not inside the batch (${b.from}, ${to}]`, { expected: `> ${b.from}`, got: cps[0]!.size });
    if (b.from > n) return { status: 'gap', size: n, code: 'SYNC_GAP', reason: `batch starts at ${b.from}, this receiver holds ${n}` };
    // Entries already held must be exactly the stored ones (else: two different logs under one key).
    const held = db.prepare('SELECT leaf_hash FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx').all(b.from, Math.min(to, n)) as { leaf_hash: Buffer }[];
    const leaves = b.entries.map((e) => leafHash(e));
    held.forEach((h, i) => {
      if (!hashEqual(h.leaf_hash, leaves[i]!)) throw new GkhError('SYNC_FORK', `entry ${b.from + i} differs from the one held (a different log under the same key)`, { index: b.from + i, expected: h.leaf_hash.toString('hex'), got: leaves[i]!.toString('hex') });
    });
    const heldRoot = db.prepare('SELECT root FROM checkpoints WHERE size = ?');
    for (const c of cps) {
      if (c.size > n) break;
      const stored = heldRoot.get(c.size) as { root: Buffer } | undefined;
      if (stored && !hashEqual(stored.root, c.root)) throw new GkhError('SYNC_FORK', `checkpoint ${c.size} has root ${c.root.toString('hex')}, the held one ${stored.root.toString('hex')}`, { expected: stored.root.toString('hex'), got: c.root.toString('hex') });
    }
    if (to <= n) return { status: 'duplicate', size: n, code: 'SYNC_DUPLICATE', reason: `batch [${b.from}, ${to}) already held` };
    // New entries: each a canonical JSON entry of this gateway; the root checked at every checkpoint.
    const newCps = cps.filter((c) => c.size > n);
    const parsed: unknown[] = [];
    let ci = 0;
    for (let i = n - b.from; i < b.entries.length; i++) {
      const text = b.entries[i]!;
      let e: unknown;
      try {
        e = JSON.parse(text);
      } catch {
        throw new GkhError('SYNC_ENTRY', `entry ${b.from + i} is not JSON`, { index: b.from + i });
      }
      if (canonicalize(e) !== text) throw new GkhError('SYNC_ENTRY', `entry ${b.from + i} is not canonical JSON (RFC 8785)`, { index: b.from + i });
      const o = e as { v?: unknown; gw?: unknown; type?: unknown };
      if (o.v !== 1 || o.gw !== b.gw || typeof o.type !== 'string') throw new GkhError('SYNC_ENTRY', `entry ${b.from + i} is not a v1 entry of gateway ${b.gw}`, { index: b.from + i, expected: b.gw, got: o.gw });
      parsed[i] = e;
      tree.append(leaves[i]!);
      const c = newCps[ci];
      if (c && c.size === tree.size) {
        ci++;
        const root = tree.root();
        if (!hashEqual(root, c.root)) throw new GkhError('SYNC_ROOT_MISMATCH', `root of entries [0, ${c.size}) is ${root.toString('hex')}, the signed checkpoint says ${c.root.toString('hex')}`, { expected: c.root.toString('hex'), got: root.toString('hex') });
      }
    }
    const ins = db.prepare('INSERT INTO log_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)');
    const rec = db.prepare('INSERT OR IGNORE INTO rx_receipts (idx, destination, cosigner, size, root, timestamp, verified) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (let i = n - b.from; i < b.entries.length; i++) {
      const text = b.entries[i]!;
      ins.run(b.from + i, Buffer.from(text, 'utf8'), leaves[i]!);
      const r = parseReceiptEntry(parsed[i] as object);
      if (r) {
        // Another party's receipt: verified when config `peers` names its key (its own receipts too).
        const name = cosignerName(r.line);
        const peer = name === this.keyName ? this.vkey : this.peers.get(name);
        let verified = 0;
        if (peer !== undefined) {
          try {
            const body = formatCheckpoint({ origin: originFor(b.gw), size: r.size, root: Buffer.from(r.root, 'base64') });
            verifyReceipt(peer, body, r.line);
            verified = 1;
          } catch {
            verified = 0;
          }
        }
        rec.run(b.from + i, r.destination, name, r.size, r.root, r.time, verified);
      }
    }
    const insCp = db.prepare('INSERT INTO checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)');
    for (const c of newCps) insCp.run(c.size, c.root, c.wire.note, c.wire.createdAt);
    const st = tree.state();
    db.prepare('INSERT INTO rx_tree (id, size, hashes_json) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET size = excluded.size, hashes_json = excluded.hashes_json').run(st.size, JSON.stringify(st.hashes));
    return { status: 'stored', size: to, code: '', reason: '' };
  }
}
