import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { leafHash, makeEntry, parseCheckpoint, parseVkey, treeRoot, verifyConsistency, verifyInclusion, verifyNote } from '../log/index.js';
import { openDb, type Db } from './db.js';
import { EvidenceLog, verifyEvidenceLog } from './evidence.js';
import { countReadings, insertReading } from './readings.js';

const dir = mkdtempSync(join(tmpdir(), 'gkh-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { privateKey } = generateKeyPairSync('ed25519');
let n = 0;
const fresh = (): { file: string; db: Db } => {
  const file = join(dir, `e${n++}.db`);
  return { file, db: openDb(file) };
};

/** An hourly entry of realistic size (~700 bytes with its raw frame). */
export function hourly(i: number): object {
  const hourStart = new Date(Date.UTC(2026, 0, 1) + i * 3600_000).toISOString();
  return makeEntry(
    'hourly',
    'tp-17',
    {
      meterId: 'm1',
      system: 1,
      hourStart,
      tz: 'Asia/Yekaterinburg',
      values: { Q: { value: 0.0123, unit: 'Gcal' }, M1: { value: 1.234, unit: 't' }, t1: { value: 70.12, unit: '°C' }, t2: { value: 45.3, unit: '°C' } },
      flags: [],
      source: 'archive',
      rawFrames: ['68 3c 3c 68 08 01 72 45 23 01 00 2d 2c 01 04 0a 00 00 00 04 06 12 00 00 00 04 13 34 12 00 00 05 5b 14 00 00 00 05 5f 2d 00 00 00 02 61 7b 00 04 6d 1e 0c e1 2b 0f 00 00 00 00 00 00 00 00 00 00 00 ab 16'],
      readAt: hourStart,
    },
    Date.UTC(2026, 0, 1) + i * 3600_000 + 5000,
  );
}

function sqlite(file: string, sql: string): void {
  execFileSync('sqlite3', [file, sql]);
}

function tamperCode(f: () => unknown): { code?: string; index?: unknown } {
  try {
    f();
    return {};
  } catch (e) {
    if (!isGkhError(e)) throw e;
    return { code: e.code, index: e.context.index };
  }
}

describe('EvidenceLog', () => {
  it('appends, checkpoints, proves; roots match the RFC 6962 definition', () => {
    const { db } = fresh();
    const log = EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey });
    expect(log.size).toBe(0);
    const entries = Array.from({ length: 37 }, (_, i) => hourly(i));
    expect(log.append(entries.slice(0, 10))).toEqual([...Array(10).keys()]);
    const cp1 = log.checkpoint();
    expect(log.append(entries.slice(10))).toEqual(Array.from({ length: 27 }, (_, i) => 10 + i));
    const cp2 = log.checkpoint();
    expect(log.checkpoint()).toEqual(cp2);
    const stored = log.entriesRange(0, 37);
    const hashes = stored.map((b) => leafHash(b));
    expect(log.root()).toEqual(treeRoot(hashes));
    expect(stored[3]!.toString()).toMatch(/^\{"at":"2026-01-01T03:00:05.000Z","body":\{"flags":\[\],"hourStart"/);
    const body = parseCheckpoint(verifyNote(cp2.note, [parseVkey(log.vkey).verifier]).text);
    expect(body).toMatchObject({ origin: 'opengkh.org/gw/tp-17', size: 37 });
    expect(body.root).toEqual(log.root());
    for (const i of [0, 9, 10, 36]) verifyInclusion(i, 37, hashes[i]!, log.inclusionProof(i), cp2.root);
    verifyInclusion(4, 10, hashes[4]!, log.inclusionProof(4, 10), cp1.root);
    verifyConsistency(10, 37, cp1.root, cp2.root, log.consistencyProof(10, 37));
    expect(log.rootAt(10)).toEqual(cp1.root);
    expect(log.latestCheckpoint()).toEqual(cp2);
    expect(log.checkpointsBetween(0, 37)).toEqual([cp1, cp2]);
    expect(log.checkpointsBetween(10, 36)).toEqual([]);
    expect(verifyEvidenceLog(db, [log.vkey])).toMatchObject({ ok: true, size: 37, checkpoints: 2, uncovered: 0 });
    db.close();
  });

  it('an entry commits together with the caller\'s record, or neither does', () => {
    const { db } = fresh();
    const log = EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey });
    log.append([hourly(0)]);
    const reading = { meterId: 'm1', system: 1, hourStart: 3600, source: 'archive' as const, values: {}, flags: [], rawFrames: [], readAt: 1 };
    expect(() =>
      db.transaction(() => {
        insertReading(db, reading);
        log.append([hourly(1), hourly(2)]);
        throw new Error('power cut simulated by an exception');
      })(),
    ).toThrow(/power cut/);
    expect(countReadings(db)).toBe(0);
    expect(log.size).toBe(1);
    const idx = db.transaction(() => {
      insertReading(db, reading);
      return log.append([hourly(1)]);
    })();
    expect(idx).toEqual([1]);
    expect(log.root()).toEqual(treeRoot(log.entriesRange(0, 2).map((b) => leafHash(b))));
    db.close();
  });

  it('a rolled-back inner savepoint inside a committed outer transaction leaves no gap', () => {
    const { db } = fresh();
    const log = EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey });
    const idx = db.transaction(() => {
      const a = log.append([hourly(0)]);
      try {
        db.transaction(() => {
          log.append([hourly(1), hourly(2)]);
          throw new Error('inner failure');
        })();
      } catch {
        // the inner savepoint rolled back
      }
      const c = log.append([hourly(3)]);
      return [...a, ...c];
    })();
    expect(idx).toEqual([0, 1]);
    expect(log.size).toBe(2);
    const bytes = log.entriesRange(0, 2);
    expect(JSON.parse(bytes[1]!.toString())).toMatchObject({ body: { hourStart: '2026-01-01T03:00:00.000Z' } });
    expect(log.root()).toEqual(treeRoot(bytes.map((b) => leafHash(b))));
    expect(verifyEvidenceLog(db, [log.vkey]).ok).toBe(true);
    db.close();
  });

  it('opened without the private key it reads and proves but refuses to append or sign', () => {
    const { file, db } = fresh();
    const log = EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey });
    log.append([hourly(0), hourly(1), hourly(2)]);
    const cp = log.checkpoint();
    const vkey = log.vkey;
    db.close();
    const ro = openDb(file, { readonly: true });
    const r = EvidenceLog.open(ro, { gatewayId: 'tp-17', previousVkeys: [vkey] });
    expect(r.vkey).toBe(vkey);
    verifyInclusion(1, 3, leafHash(r.entriesRange(1, 2)[0]!), r.inclusionProof(1), cp.root);
    expect(tamperCode(() => r.append([hourly(3)])).code).toBe('LOG_STATE');
    expect(tamperCode(() => r.checkpoint()).code).toBe('LOG_STATE');
    expect(tamperCode(() => EvidenceLog.open(ro, { gatewayId: 'tp-17' })).code).toBe('LOG_VKEY');
    ro.close();
  });

  it('rebuilds from disk on open and re-verifies the latest checkpoint', () => {
    const { file, db } = fresh();
    const log = EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey });
    log.append(Array.from({ length: 100 }, (_, i) => hourly(i)));
    const cp = log.checkpoint();
    log.append([hourly(100)]);
    const root = log.root();
    db.close();
    const db2 = openDb(file);
    const log2 = EvidenceLog.open(db2, { gatewayId: 'tp-17', privateKey });
    expect(log2.size).toBe(101);
    expect(log2.root()).toEqual(root);
    expect(log2.latestCheckpoint()).toEqual(cp);
    // A different key cannot open the log as its own: the latest checkpoint would not verify.
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(tamperCode(() => EvidenceLog.open(db2, { gatewayId: 'tp-17', privateKey: other }))).toMatchObject({ code: 'LOG_KEY_MISMATCH' });
    db2.close();
  });

  it('the schema refuses UPDATE and DELETE', () => {
    const { db } = fresh();
    const log = EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey });
    log.append([hourly(0), hourly(1)]);
    log.checkpoint();
    expect(() => db.prepare('UPDATE log_entries SET entry = ? WHERE idx = 0').run(Buffer.from('{}'))).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM log_entries WHERE idx = 1').run()).toThrow(/append-only/);
    expect(() => db.prepare('INSERT INTO log_entries (idx, entry, leaf_hash) VALUES (5, ?, ?)').run(Buffer.from('{}'), Buffer.alloc(32))).toThrow(/contiguous/);
    expect(() => db.prepare('DELETE FROM checkpoints').run()).toThrow(/append-only/);
    db.close();
  });

  describe('tampering through the sqlite3 CLI (triggers dropped) is found at the first bad index', () => {
    const build = (): { file: string; vkey: string } => {
      const { file, db } = fresh();
      const log = EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey });
      for (let b = 0; b < 5; b++) {
        log.append(Array.from({ length: 10 }, (_, i) => hourly(b * 10 + i)));
        log.checkpoint();
      }
      const vkey = log.vkey;
      db.close();
      return { file, vkey };
    };
    const check = (file: string, vkey: string) => {
      const db = openDb(file);
      try {
        return { report: verifyEvidenceLog(db, [vkey]), open: tamperCode(() => EvidenceLog.open(db, { gatewayId: 'tp-17', privateKey })) };
      } finally {
        db.close();
      }
    };

    it('one byte changed in entry 23', () => {
      const { file, vkey } = build();
      sqlite(file, `DROP TRIGGER log_entries_no_update; UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), '"value":70.12', '"value":70.13') AS BLOB) WHERE idx = 23;`);
      const { report, open } = check(file, vkey);
      expect(report.firstBad).toMatchObject({ index: 23 });
      expect(report.firstBad!.reason).toMatch(/entry 23 does not match its stored leaf hash/);
      expect(open).toEqual({ code: 'LOG_TAMPERED', index: 23 });
    });

    it('entry 17 deleted', () => {
      const { file, vkey } = build();
      sqlite(file, 'DROP TRIGGER log_entries_no_delete; DELETE FROM log_entries WHERE idx = 17;');
      const { report, open } = check(file, vkey);
      expect(report.firstBad).toMatchObject({ index: 17 });
      expect(report.firstBad!.reason).toMatch(/entry 17 is missing/);
      expect(open).toEqual({ code: 'LOG_TAMPERED', index: 17 });
    });

    it('entries 31 and 38 swapped', () => {
      const { file, vkey } = build();
      sqlite(
        file,
        `DROP TRIGGER log_entries_no_update;
         UPDATE log_entries SET entry = CASE idx WHEN 31 THEN (SELECT entry FROM log_entries WHERE idx = 38) ELSE (SELECT entry FROM log_entries WHERE idx = 31) END WHERE idx IN (31, 38);`,
      );
      const { report, open } = check(file, vkey);
      expect(report.firstBad).toMatchObject({ index: 31 });
      expect(open).toEqual({ code: 'LOG_TAMPERED', index: 31 });
    });

    it('rows rewritten consistently (entry and leaf hash swapped together): the signed checkpoint bounds it', () => {
      const { file, vkey } = build();
      sqlite(
        file,
        `DROP TRIGGER log_entries_no_update;
         CREATE TEMP TABLE t AS SELECT * FROM log_entries WHERE idx IN (31, 38);
         UPDATE log_entries SET entry = (SELECT entry FROM t WHERE t.idx = 69 - log_entries.idx), leaf_hash = (SELECT leaf_hash FROM t WHERE t.idx = 69 - log_entries.idx) WHERE idx IN (31, 38);`,
      );
      const { report } = check(file, vkey);
      expect(report.firstBad).toMatchObject({ index: 30, rangeEnd: 40 });
      expect(report.firstBad!.reason).toMatch(/entries \[30, 40\) give root/);
    });

    it('entries after the last checkpoint deleted (truncation)', () => {
      const { file, vkey } = build();
      sqlite(file, 'DROP TRIGGER log_entries_no_delete; DELETE FROM log_entries WHERE idx >= 45;');
      const { report, open } = check(file, vkey);
      expect(report.firstBad).toMatchObject({ index: 45 });
      expect(open).toMatchObject({ code: 'LOG_TAMPERED', index: 45 });
    });
  });
});
