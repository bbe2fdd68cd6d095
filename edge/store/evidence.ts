/**
 * Owner of the `log_entries` and `checkpoints` tables: the gateway's append-only evidence log.
 *
 * - `append(entries)` canonicalises each entry (RFC 8785), stores the bytes and the RFC 6962 leaf
 *   hash, and extends the in-memory tree. It runs in a transaction of its own, or inside the
 *   caller's `db.transaction(...)` (better-sqlite3 nests them as savepoints), so a reading and its
 *   log entry commit together. If the caller's transaction rolls back, the next call notices that
 *   the disk has fewer entries than the tree and rewinds the tree.
 * - `checkpoint()` signs a C2SP checkpoint (origin `opengkh.org/gw/<gatewayId>`, size, root) as a
 *   signed note with the gateway key and stores it.
 * - On open, the tree is rebuilt from the stored entry bytes (each leaf hash recomputed and checked
 *   against the stored one) and the latest checkpoint's signature and root are re-verified;
 *   a mismatch throws LOG_TAMPERED.
 *
 * The log can only grow: the schema refuses UPDATE and DELETE and non-contiguous indices
 * (migration 4 triggers), and this class only ever inserts the next index.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { GkhError, isGkhError } from '../errors.js';
import {
  canonicalBytes,
  CanonicalEntry,
  leafHashOfPrefixed,
  consistencyProof,
  ed25519RawPublic,
  ed25519Signer,
  formatCheckpoint,
  formatVkey,
  inclusionProof,
  leafHash,
  MerkleTree,
  originFor,
  parseCheckpoint,
  parseVkey,
  signNote,
  verifyNote,
  hashEqual,
  SIG_ED25519,
  type NoteSigner,
  type NoteVerifier,
  type TreeState,
  type LogEntry,
  type KeyRotationBody,
  verifyRotation,
} from '../log/index.js';
import type { Db } from './db.js';
import { getMeta, setMeta } from './meta.js';

/** Proof tree cache: hashes of perfect subtrees of 2^6 = 64 leaves and up stay in memory (~1 MB per 1M entries). */
const CACHE_FROM_LEVEL = 6;

/** Rows per multi-row INSERT when appending many entries. */
const INSERT_ROWS = 32;

/** Bytes every canonical key.rotation entry contains (keys sorted: …,"type":"key.rotation",…). */
const ROTATION_MARK = Buffer.from('"type":"key.rotation"');

/** meta keys this module owns. */
export const META_VKEY = 'log.vkey';
export const META_VKEYS = 'log.vkeys';

export interface EvidenceLogOptions {
  /** Config `gatewayId`; the origin and note key name are `opengkh.org/gw/<gatewayId>`. */
  gatewayId: string;
  /**
   * The gateway's Ed25519 private key (edge/keys). Without it the log is read-only (proofs, reads):
   * `checkpoint()` and `append()` refuse, and `previousVkeys` must name the key(s) to verify with.
   */
  privateKey?: KeyObject;
  /** Verifier keys (note form) of earlier gateway keys, for checkpoints signed before a rotation. */
  previousVkeys?: string[];
  /** Clock for `created_at`, unix ms. Default Date.now. */
  now?: () => number;
  /** Skip recomputing leaf hashes from entry bytes on open (trust the stored leaf_hash). Default false. */
  trustLeafHashes?: boolean;
}

/** A stored checkpoint. */
export interface StoredCheckpoint {
  size: number;
  root: Buffer;
  /** The C2SP signed note. */
  note: string;
  /** Unix ms when it was made. */
  createdAt: number;
}

interface EntryRow {
  idx: number;
  entry: Buffer;
  leaf_hash: Buffer;
}

export class EvidenceLog {
  readonly origin: string;
  private tree = new MerkleTree({ cacheFromLevel: CACHE_FROM_LEVEL });
  private signer: NoteSigner | undefined;
  private privateKey: KeyObject | undefined;
  private verifiers: NoteVerifier[];
  private trusted: string[];
  private readonly now: () => number;
  /** Tree states before appends made inside a still-open outer transaction, by size. */
  private readonly undo = new Map<number, TreeState>();
  private readonly st: {
    insert: import('better-sqlite3').Statement;
    insertMany: import('better-sqlite3').Statement;
    maxIdx: import('better-sqlite3').Statement;
    leafRange: import('better-sqlite3').Statement;
    entryRange: import('better-sqlite3').Statement;
    insertCp: import('better-sqlite3').Statement;
    latestCp: import('better-sqlite3').Statement;
  };

  private constructor(
    private readonly db: Db,
    opts: EvidenceLogOptions,
  ) {
    this.origin = originFor(opts.gatewayId);
    this.now = opts.now ?? Date.now;
    this.privateKey = opts.privateKey;
    this.signer = opts.privateKey && ed25519Signer(this.origin, opts.privateKey);
    const vkey = opts.privateKey && formatVkey(this.origin, SIG_ED25519, ed25519RawPublic(createPublicKey(opts.privateKey)));
    // Trusted for checkpoints: the key we hold, keys the caller names, and (added while the log is
    // rebuilt) keys proven by key.rotation entries. Not the meta copy, which anyone can edit.
    const known = new Set<string>([...(vkey ? [vkey] : []), ...(opts.previousVkeys ?? [])]);
    if (known.size === 0) throw new GkhError('LOG_VKEY', 'a read-only evidence log needs the verifier key(s) to check checkpoints with');
    this.trusted = [...known];
    this.verifiers = this.trusted.map((k) => parseVkey(k).verifier);
    this.st = {
      insert: db.prepare('INSERT INTO log_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)'),
      insertMany: db.prepare(`INSERT INTO log_entries (idx, entry, leaf_hash) VALUES ${Array<string>(INSERT_ROWS).fill('(?, ?, ?)').join(', ')}`),
      maxIdx: db.prepare('SELECT MAX(idx) AS m FROM log_entries'),
      leafRange: db.prepare('SELECT leaf_hash FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      entryRange: db.prepare('SELECT entry FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      insertCp: db.prepare('INSERT INTO checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)'),
      latestCp: db.prepare('SELECT size, root, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1'),
    };
    if (vkey && !db.readonly) {
      db.transaction(() => {
        setMeta(db, META_VKEY, vkey);
        const all = new Set([...storedVkeys(db), vkey]);
        setMeta(db, META_VKEYS, JSON.stringify([...all]));
      })();
    }
  }

  /**
   * Opens the log over `db`: rebuilds the tree from disk and re-verifies the latest checkpoint.
   * Throws LOG_TAMPERED (with `index`) when stored data does not match itself or its checkpoint.
   */
  static open(db: Db, opts: EvidenceLogOptions): EvidenceLog {
    const log = new EvidenceLog(db, opts);
    log.rebuild(opts.trustLeafHashes ?? false);
    return log;
  }

  /** The gateway's current verifier key in note form (`opengkh.org/gw/<id>+<key id>+<base64>`). */
  get vkey(): string {
    if (!this.privateKey) return this.trusted[0]!;
    return formatVkey(this.origin, SIG_ED25519, ed25519RawPublic(createPublicKey(this.privateKey)));
  }

  /** Verifier keys trusted for checkpoints: ours, the caller's, and those proven by key.rotation entries. */
  trustedVkeys(): string[] {
    return [...this.trusted];
  }

  /** Number of entries. */
  get size(): number {
    this.sync();
    return this.tree.size;
  }

  /** Current root hash. */
  root(): Buffer {
    this.sync();
    return this.tree.root();
  }

  /** O(log n) tree state (size and compact-range hashes). */
  state(): TreeState {
    this.sync();
    return this.tree.state();
  }

  private rebuild(trustLeafHashes: boolean): void {
    const tree = new MerkleTree({ cacheFromLevel: CACHE_FROM_LEVEL });
    const latest = this.latestCheckpoint();
    let rootAtCp: Buffer | undefined = latest && latest.size === 0 ? tree.root() : undefined;
    const rows = this.db.prepare('SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx').iterate() as IterableIterator<EntryRow>;
    for (const r of rows) {
      if (r.idx !== tree.size) throw new GkhError('LOG_TAMPERED', `evidence log: index ${tree.size} is missing (next stored index is ${r.idx}) / пропущена запись ${tree.size}`, { index: tree.size, found: r.idx });
      let lh = r.leaf_hash;
      if (!trustLeafHashes) {
        lh = leafHash(r.entry);
        if (!hashEqual(lh, r.leaf_hash)) throw new GkhError('LOG_TAMPERED', `evidence log: entry ${r.idx} does not match its stored leaf hash / запись ${r.idx} изменена`, { index: r.idx, expected: r.leaf_hash.toString('hex'), calculated: lh.toString('hex') });
      }
      tree.append(lh);
      if (latest && tree.size === latest.size) rootAtCp = tree.root();
      if (r.entry.includes(ROTATION_MARK)) this.learnRotation(r.idx, r.entry);
    }
    if (latest) {
      if (latest.size > tree.size) throw new GkhError('LOG_TAMPERED', `evidence log: the latest checkpoint covers ${latest.size} entries but only ${tree.size} are stored / записи удалены`, { index: tree.size, expected: latest.size, got: tree.size });
      this.checkCheckpoint(latest, rootAtCp!);
    }
    this.tree = tree;
    this.undo.clear();
  }

  /** Adds both keys of a verified key.rotation entry to the trusted verifiers. */
  private learnRotation(idx: number, bytes: Buffer): void {
    const e = JSON.parse(bytes.toString('utf8')) as LogEntry;
    if (e.type !== 'key.rotation') return;
    let r;
    try {
      r = verifyRotation(e.body as unknown as KeyRotationBody);
    } catch (err) {
      throw new GkhError('LOG_TAMPERED', `key.rotation entry ${idx} does not verify: ${(err as Error).message}`, { index: idx }, { cause: err });
    }
    for (const k of [r.oldKey, r.newKey]) {
      const v = parseVkey(k).verifier;
      if (v.name === this.origin && !this.verifiers.some((x) => x.keyId === v.keyId)) {
        this.verifiers.push(v);
        this.trusted.push(k);
      }
    }
  }

  private checkCheckpoint(cp: StoredCheckpoint, calculated: Buffer): void {
    let text: string;
    try {
      text = verifyNote(cp.note, this.verifiers).text;
    } catch (e) {
      if (isGkhError(e, 'LOG_NOTE_UNVERIFIED')) {
        throw new GkhError('LOG_KEY_MISMATCH', `the latest checkpoint (size ${cp.size}) is signed by a key this gateway does not hold and no key.rotation entry names (${this.vkey}); was the key file replaced? / контрольная точка подписана другим ключом`, { size: cp.size, vkey: this.vkey }, { cause: e });
      }
      throw new GkhError('LOG_TAMPERED', `checkpoint at size ${cp.size}: signature does not verify (${(e as Error).message})`, { size: cp.size }, { cause: e });
    }
    const body = parseCheckpoint(text);
    if (body.origin !== this.origin) throw new GkhError('LOG_TAMPERED', `checkpoint at size ${cp.size}: origin ${body.origin}, expected ${this.origin}`, { size: cp.size, expected: this.origin, got: body.origin });
    if (body.size !== cp.size || !hashEqual(body.root, cp.root)) throw new GkhError('LOG_TAMPERED', `checkpoint row ${cp.size} does not match its signed note (size ${body.size})`, { size: cp.size });
    if (!hashEqual(calculated, body.root)) {
      throw new GkhError('LOG_TAMPERED', `checkpoint at size ${cp.size}: signed root ${body.root.toString('hex')}, entries give ${calculated.toString('hex')} / корень не совпадает`, {
        size: cp.size,
        expected: body.root.toString('hex'),
        calculated: calculated.toString('hex'),
      });
    }
  }

  /** Brings the in-memory tree in line with the disk (after a caller's rollback, or another writer). */
  private sync(): void {
    const m = (this.st.maxIdx.get() as { m: number | null }).m;
    const disk = m === null ? 0 : m + 1;
    if (disk < this.tree.size) {
      const st = this.undo.get(disk);
      if (st) this.tree.rewindTo(st);
      else this.rebuild(true);
    } else if (disk > this.tree.size) {
      const hashes = this.st.leafRange.all(this.tree.size, disk) as Buffer[];
      for (const h of hashes) this.tree.append(h);
    }
    if (!this.db.inTransaction) this.undo.clear();
    else for (const k of [...this.undo.keys()]) if (k >= disk) this.undo.delete(k);
  }

  /**
   * Appends entries (objects, canonicalised with RFC 8785, or entries already in canonical form
   * from `encodeHourly` / `CanonicalEntry.of`) and returns their indices. Runs inside
   * the caller's transaction if there is one. Entries are not schema-validated here (see
   * `validateEntry` in edge/log); they must be canonicalisable.
   */
  append(entries: readonly (object | CanonicalEntry)[]): number[] {
    if (entries.length === 0) return [];
    const canon = entries.map((e) => (e instanceof CanonicalEntry ? e : CanonicalEntry.of(e)));
    const bytes = canon.map((c) => c.bytes);
    const hashes = canon.map((c) => leafHashOfPrefixed(c.prefixed));
    return this.insert(bytes, hashes);
  }

  /** Appends already canonical entry bytes (e.g. replicated from elsewhere); returns indices. */
  appendCanonical(bytes: readonly Uint8Array[]): number[] {
    return this.insert(bytes, bytes.map((b) => leafHash(b)));
  }

  /**
   * Appends canonical entry bytes whose RFC 6962 leaf hashes the caller has already computed (the
   * log writer thread hashes zero-copy views of its batch buffer). The hashes are not re-checked
   * here; opening the log recomputes every one from the stored bytes.
   * @internal for edge/store/log-writer-worker.ts
   */
  appendLeaves(bytes: readonly Uint8Array[], hashes: Buffer[]): number[] {
    if (bytes.length !== hashes.length) throw new GkhError('LOG_STATE', `appendLeaves: ${bytes.length} entries but ${hashes.length} hashes`);
    return this.insert(bytes, hashes);
  }

  private insert(bytes: readonly Uint8Array[], hashes: Buffer[]): number[] {
    if (!this.signer) throw new GkhError('LOG_STATE', 'this evidence log was opened without the signing key (read-only)');
    this.sync();
    const before = this.tree.state();
    const run = this.db.transaction(() => {
      let idx = this.tree.size;
      let i = 0;
      // Whole groups through one multi-row statement (fewer calls into SQLite), the rest one by one.
      if (bytes.length >= INSERT_ROWS) {
        const args: unknown[] = new Array<unknown>(3 * INSERT_ROWS);
        for (; i + INSERT_ROWS <= bytes.length; i += INSERT_ROWS) {
          for (let k = 0; k < INSERT_ROWS; k++) {
            args[3 * k] = idx++;
            args[3 * k + 1] = bytes[i + k];
            args[3 * k + 2] = hashes[i + k];
          }
          this.st.insertMany.run(args);
        }
      }
      for (; i < bytes.length; i++) this.st.insert.run(idx++, bytes[i], hashes[i]);
    });
    run();
    if (this.db.inTransaction) this.undo.set(before.size, before);
    return hashes.map((h) => this.tree.append(h));
  }

  /**
   * Signs and stores a checkpoint of the current tree; returns it. When the latest stored checkpoint
   * already has the current size, returns that one (one checkpoint per size).
   */
  checkpoint(): StoredCheckpoint {
    if (!this.signer) throw new GkhError('LOG_STATE', 'this evidence log was opened without the signing key (read-only)');
    this.sync();
    const size = this.tree.size;
    const latest = this.latestCheckpoint();
    if (latest && latest.size === size) return latest;
    const root = this.tree.root();
    const note = signNote(formatCheckpoint({ origin: this.origin, size, root }), this.signer);
    const createdAt = this.now();
    this.st.insertCp.run(size, root, note, createdAt);
    return { size, root, note, createdAt };
  }

  /** The checkpoint with the largest size, if any. */
  latestCheckpoint(): StoredCheckpoint | undefined {
    const r = this.st.latestCp.get() as { size: number; root: Buffer; note: string; created_at: number } | undefined;
    return r && { size: r.size, root: r.root, note: r.note, createdAt: r.created_at };
  }

  /** Stored checkpoint of exactly `size` entries, if any. */
  checkpointAt(size: number): StoredCheckpoint | undefined {
    const r = this.db.prepare('SELECT size, root, note, created_at FROM checkpoints WHERE size = ?').get(size) as { size: number; root: Buffer; note: string; created_at: number } | undefined;
    return r && { size: r.size, root: r.root, note: r.note, createdAt: r.created_at };
  }

  /** Stored checkpoints with `from < size <= to`, in size order. */
  checkpointsBetween(from: number, to: number): StoredCheckpoint[] {
    const rows = this.db.prepare('SELECT size, root, note, created_at FROM checkpoints WHERE size > ? AND size <= ? ORDER BY size').all(from, to) as { size: number; root: Buffer; note: string; created_at: number }[];
    return rows.map((r) => ({ size: r.size, root: r.root, note: r.note, createdAt: r.created_at }));
  }

  /** Stored canonical bytes of entries [from, to). */
  entriesRange(from: number, to: number): Buffer[] {
    this.sync();
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || to > this.tree.size) {
      throw new GkhError('LOG_STATE', `entry range [${from}, ${to}) is outside the log of ${this.tree.size}`, { from, to, size: this.tree.size });
    }
    return this.st.entryRange.all(from, to) as Buffer[];
  }

  /** Stored leaf hashes of entries [from, to). */
  leafHashes(from: number, to: number): Buffer[] {
    return this.st.leafRange.all(from, to) as Buffer[];
  }

  /** Inclusion proof of entry `index` in the tree of `size` entries (default: current size). */
  inclusionProof(index: number, size = this.size): Buffer[] {
    this.checkSize(size);
    return inclusionProof(index, size, this.tree.hashSource((a, b) => this.leafHashes(a, b)));
  }

  /** Consistency proof from `size1` to `size2` entries (default: current size). */
  consistencyProof(size1: number, size2 = this.size): Buffer[] {
    this.checkSize(size2);
    return consistencyProof(size1, size2, this.tree.hashSource((a, b) => this.leafHashes(a, b)));
  }

  /** Root of the tree of the first `size` entries (O(log n) subtree lookups). */
  rootAt(size: number): Buffer {
    this.checkSize(size);
    if (size === this.tree.size) return this.tree.root();
    if (size === 0) return new MerkleTree().root();
    // MTH of [0, size) from perfect subtrees, as in a proof.
    const src = this.tree.hashSource((a, b) => this.leafHashes(a, b));
    const parts: Buffer[] = [];
    let start = 0;
    for (let level = 52; level >= 0; level--) {
      const w = 2 ** level;
      if (start + w <= size) {
        parts.push(Buffer.from(src(level, start / w)));
        start += w;
      }
    }
    return MerkleTree.fromState({ size, hashes: parts.map((p) => p.toString('hex')) }).root();
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new GkhError('LOG_PROOF', `tree size ${size} is outside the log of ${this.tree.size}`, { size, max: this.tree.size });
  }

  /**
   * Replaces the signing key (after a key.rotation entry was appended, see edge/keys). The old key's
   * vkey stays known for verifying older checkpoints.
   */
  setSigningKey(privateKey: KeyObject): void {
    this.privateKey = privateKey;
    const signer = ed25519Signer(this.origin, privateKey);
    this.signer = signer;
    const vkey = formatVkey(this.origin, SIG_ED25519, ed25519RawPublic(createPublicKey(privateKey)));
    if (!this.verifiers.some((v) => v.keyId === signer.keyId)) {
      this.verifiers.push(parseVkey(vkey).verifier);
      this.trusted.push(vkey);
    }
    const all = new Set([...storedVkeys(this.db), vkey]);
    setMeta(this.db, META_VKEY, vkey);
    setMeta(this.db, META_VKEYS, JSON.stringify([...all]));
  }

  /** Verifier keys known to this log (current first). */
  knownVkeys(): string[] {
    return storedVkeys(this.db);
  }
}

/** Verifier keys recorded in meta (`log.vkeys`), current key included. */
export function storedVkeys(db: Db): string[] {
  const s = getMeta(db, META_VKEYS);
  if (!s) return [];
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Outcome of `verifyEvidenceLog`. */
export interface VerifyReport {
  ok: boolean;
  /** Entries stored. */
  size: number;
  /** Checkpoints checked (signature, origin, root). */
  checkpoints: number;
  /** Root of all stored entries (recomputed). */
  root: string;
  /** Entries after the latest checkpoint (not yet covered by a signature). */
  uncovered: number;
  /**
   * The first problem: `index` is the first bad entry index. For a consistent rewrite (entry and leaf
   * hash changed together, rows reordered or renumbered) only a signed checkpoint can tell, and the
   * bad entry is somewhere in [index, rangeEnd): `index` is then the size of the last good checkpoint.
   */
  firstBad?: { index: number; rangeEnd?: number; reason: string };
}

/**
 * Recomputes the whole log from the stored entry bytes: contiguity, each leaf hash, each entry is
 * canonical JSON, and every checkpoint (signature by one of `vkeys`, origin, size, root against the
 * recomputed tree). Stops at the first problem. Read-only.
 */
export function verifyEvidenceLog(db: Db, vkeys: readonly string[]): VerifyReport {
  const cps = db.prepare('SELECT size, root, note FROM checkpoints ORDER BY size').all() as { size: number; root: Buffer; note: string }[];
  const rows = db.prepare('SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx').iterate() as IterableIterator<EntryRow>;
  return verifyLogData(rows, cps, vkeys);
}

/**
 * The checks of `verifyEvidenceLog` over any source of rows (e.g. an export file): rows in index
 * order, checkpoints in size order.
 */
export function verifyLogData(
  rows: Iterable<{ idx: number; entry: Buffer; leaf_hash: Buffer }>,
  cps: readonly { size: number; root: Buffer; note: string }[],
  vkeys: readonly string[],
): VerifyReport {
  if (vkeys.length === 0) throw new GkhError('LOG_VKEY', 'no verifier key to check checkpoints with');
  const verifiers = vkeys.map((k) => parseVkey(k).verifier);
  const origins = new Set(vkeys.map((k) => parseVkey(k).name));
  const tree = new MerkleTree();
  let ci = 0;
  let lastGood = 0;
  let checked = 0;
  const fail = (index: number, reason: string, rangeEnd?: number): VerifyReport => ({
    ok: false,
    size: tree.size,
    checkpoints: checked,
    root: tree.root().toString('hex'),
    uncovered: 0,
    firstBad: rangeEnd === undefined ? { index, reason } : { index, rangeEnd, reason },
  });
  const checkCp = (cp: { size: number; root: Buffer; note: string }): string | undefined => {
    let text: string;
    try {
      text = verifyNote(cp.note, verifiers).text;
    } catch (e) {
      return `checkpoint at size ${cp.size}: ${(e as Error).message}`;
    }
    let body;
    try {
      body = parseCheckpoint(text);
    } catch (e) {
      return `checkpoint at size ${cp.size}: ${(e as Error).message}`;
    }
    if (!origins.has(body.origin)) return `checkpoint at size ${cp.size}: origin ${body.origin} is not the key's (${[...origins].join(', ')})`;
    if (body.size !== cp.size || !hashEqual(body.root, cp.root)) return `checkpoint row ${cp.size} differs from its signed note (size ${body.size}, root ${body.root.toString('hex')})`;
    const calc = tree.root();
    if (!hashEqual(calc, body.root)) return `entries [${lastGood}, ${cp.size}) give root ${calc.toString('hex')}, the checkpoint signed ${body.root.toString('hex')}`;
    return undefined;
  };
  // A checkpoint of the empty tree.
  while (ci < cps.length && cps[ci]!.size === 0) {
    const why = checkCp(cps[ci]!);
    if (why) return fail(0, why, 0);
    checked++;
    ci++;
  }
  for (const r of rows) {
    const i = tree.size;
    if (r.idx !== i) return fail(i, `entry ${i} is missing (the next stored index is ${r.idx})`);
    const lh = leafHash(r.entry);
    if (!hashEqual(lh, r.leaf_hash)) return fail(i, `entry ${i} does not match its stored leaf hash (stored ${r.leaf_hash.toString('hex')}, calculated ${lh.toString('hex')})`);
    let canonical = false;
    try {
      canonical = canonicalBytes(JSON.parse(r.entry.toString('utf8'))).equals(r.entry);
    } catch {
      canonical = false;
    }
    if (!canonical) return fail(i, `entry ${i} is not canonical JSON (RFC 8785)`);
    if (r.entry.includes(ROTATION_MARK)) {
      const e = JSON.parse(r.entry.toString('utf8')) as LogEntry;
      if (e.type === 'key.rotation') {
        try {
          const rot = verifyRotation(e.body as unknown as KeyRotationBody);
          // A rotation is trusted when one of its keys is already trusted.
          const ids = new Set(verifiers.map((v) => `${v.name}+${v.keyId}`));
          const pair = [parseVkey(rot.oldKey), parseVkey(rot.newKey)];
          if (pair.some((p) => ids.has(`${p.name}+${p.keyId}`))) for (const p of pair) if (!ids.has(`${p.name}+${p.keyId}`)) verifiers.push(p.verifier);
        } catch (err) {
          return fail(i, `key.rotation entry ${i} does not verify: ${(err as Error).message}`);
        }
      }
    }
    tree.append(lh);
    while (ci < cps.length && cps[ci]!.size === tree.size) {
      const why = checkCp(cps[ci]!);
      if (why) return fail(lastGood, why, tree.size);
      checked++;
      lastGood = tree.size;
      ci++;
    }
  }
  if (ci < cps.length) return fail(tree.size, `a checkpoint covers ${cps[ci]!.size} entries but only ${tree.size} are stored`);
  return { ok: true, size: tree.size, checkpoints: checked, root: tree.root().toString('hex'), uncovered: tree.size - lastGood };
}
