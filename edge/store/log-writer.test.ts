/**
 * LogWriter (two threads) against the single-threaded EvidenceLog.append: same input, same stored
 * bytes, same roots, checkpoints that verify; failures stop the writer instead of reordering; and
 * what a resolved batch promised survives kill -9.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { loadOrCreateKey } from '../keys/index.js';
import { encodeHourly, makeEntry, parseVkey, verifyNote, type HourlyRecordLike } from '../log/index.js';
import { openDb } from './db.js';
import { EvidenceLog, verifyEvidenceLog } from './evidence.js';
import { runAndKill } from './kill-child.js';
import { LogWriter } from './log-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'gkh-log-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { privateKey } = generateKeyPairSync('ed25519');

const rec = (i: number): HourlyRecordLike => ({
  meterId: `m${i % 3}`,
  system: 1 + (i % 2),
  hourStart: 1767225600 + i * 3600,
  values: { Q: { value: i / 1000, unit: 'Gcal' }, t1: { value: 70 + (i % 10) / 10, unit: '°C' }, note: { value: 1, unit: 'тепло' } },
  flags: i % 7 === 0 ? ['NS:dt<min'] : [],
  source: 'archive',
  rawFrames: ['68 03 03 68 08 01 72 7b 16'],
  readAt: 1767229265000 + i,
});
/** A batch mixing fast-encoded hourly entries and plain objects (canonicalised by the writer). */
const batchOf = (from: number, n: number): object[] =>
  Array.from({ length: n }, (_, k) => (k % 10 === 9 ? makeEntry('comm.lost', 'gw-w', { meterId: 'm1', since: '2026-01-01T00:00:00.000Z' }, 1767229270000 + from + k) : encodeHourly('gw-w', rec(from + k), 'Europe/Moscow', 1767229270000 + from + k)));

describe('LogWriter', () => {
  it('stores the same bytes, roots and verifiable checkpoints as EvidenceLog.append', async () => {
    const a = join(dir, 'sync.db');
    const b = join(dir, 'writer.db');
    const dbA = openDb(a);
    const logA = EvidenceLog.open(dbA, { gatewayId: 'gw-w', privateKey });
    const writer = await LogWriter.open({ file: b, gatewayId: 'gw-w', privateKey, maxInFlight: 2 });
    const results = [];
    for (let start = 0; start < 2_000; start += 250) {
      dbA.transaction(() => {
        logA.append(batchOf(start, 250));
        logA.checkpoint();
      })();
      await writer.drain();
      results.push(writer.append(batchOf(start, 250)));
    }
    const done = await Promise.all(results);
    expect(done.map((d) => d.first)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
    expect(writer.size).toBe(2_000);
    await writer.close();

    const dbB = openDb(b);
    const logB = EvidenceLog.open(dbB, { gatewayId: 'gw-w', privateKey });
    expect(logB.size).toBe(2_000);
    expect(logB.root().equals(logA.root())).toBe(true);
    expect(Buffer.concat(logB.entriesRange(0, 2_000)).equals(Buffer.concat(logA.entriesRange(0, 2_000)))).toBe(true);
    for (const d of done) {
      expect(logB.checkpointAt(d.size)?.note).toBe(d.checkpoint.note);
      expect(verifyNote(d.checkpoint.note, [parseVkey(logB.vkey).verifier]).text).toContain(`\n${d.size}\n`);
      expect(d.checkpoint.root.equals(logA.rootAt(d.size))).toBe(true);
    }
    const rep = verifyEvidenceLog(dbB, [logB.vkey]);
    expect(rep).toMatchObject({ ok: true, size: 2_000, checkpoints: 8, uncovered: 0 });
    dbA.close();
    dbB.close();
  });

  it('canonicalises at append: changing an object afterwards changes nothing', async () => {
    const file = join(dir, 'mutate.db');
    const writer = await LogWriter.open({ file, gatewayId: 'gw-w', privateKey });
    const e = makeEntry('gateway.boot', 'gw-w', { version: '1.0.0' }, 0);
    const p = writer.append([e]);
    (e.body as { version: string }).version = 'changed';
    await p;
    await writer.close();
    const db = openDb(file);
    const log = EvidenceLog.open(db, { gatewayId: 'gw-w', privateKey });
    expect(log.entriesRange(0, 1)[0]!.toString()).toContain('"version":"1.0.0"');
    db.close();
  });

  it('refuses what cannot be canonicalised before handing it over, and stops after a refused batch', async () => {
    const file = join(dir, 'fail.db');
    const writer = await LogWriter.open({ file, gatewayId: 'gw-w', privateKey });
    await expect(writer.append([{ bad: NaN }])).rejects.toSatisfy((e) => isGkhError(e, 'LOG_CANONICAL'));
    await expect(writer.append([])).rejects.toThrow(/empty batch/);
    await writer.append(batchOf(0, 10));
    // Another writer appends behind its back: the thread's next batch fails the contiguity check…
    const db = openDb(file);
    const other = EvidenceLog.open(db, { gatewayId: 'gw-w', privateKey });
    db.exec('DROP TRIGGER log_entries_contiguous');
    db.prepare('INSERT INTO log_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)').run(other.size + 5, Buffer.from('{}'), Buffer.alloc(32));
    const failed = writer.append(batchOf(10, 10));
    const after = writer.append(batchOf(20, 10));
    await expect(failed).rejects.toThrow();
    // …and every later batch is refused too: nothing is stored out of order.
    await expect(after).rejects.toThrow();
    await expect(writer.append(batchOf(30, 10))).rejects.toThrow();
    expect(writer.size).toBe(10);
    await writer.close().catch(() => undefined);
    db.close();
  });

  it('does not start on a log whose stored entries were tampered with', async () => {
    const file = join(dir, 'tampered.db');
    const writer = await LogWriter.open({ file, gatewayId: 'gw-w', privateKey });
    await writer.append(batchOf(0, 20));
    await writer.close();
    const db = openDb(file);
    db.exec('DROP TRIGGER log_entries_no_update');
    db.prepare("UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'Gcal', 'GcaL') AS BLOB) WHERE idx = 3").run();
    db.close();
    await expect(LogWriter.open({ file, gatewayId: 'gw-w', privateKey })).rejects.toSatisfy((e) => isGkhError(e, 'LOG_TAMPERED'));
  });

  const KILLS = 6;
  it(`keeps every batch it confirmed over ${KILLS} kill -9 of the writing process`, { timeout: 120_000 }, async () => {
    const child = new URL('../../dist/edge/store/log-writer-crash-child.js', import.meta.url).pathname;
    const file = join(dir, 'crash.db');
    const keyFile = join(dir, 'keys/gateway.key');
    const { key } = loadOrCreateKey(keyFile);
    const reported = new Map<number, string>();
    for (let k = 0; k < KILLS; k++) {
      for (const line of await runAndKill(child, [file, keyFile], 20 + Math.floor(Math.random() * 200))) {
        const [, size, root] = line.split(' ');
        reported.set(Number(size), root!);
      }
      const db = openDb(file);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const log = EvidenceLog.open(db, { gatewayId: 'crash-gw', privateKey: key.privateKey });
        expect(verifyEvidenceLog(db, [log.vkey]).ok).toBe(true);
        for (const [size, root] of reported) expect(log.checkpointAt(size)?.root.toString('hex'), `checkpoint ${size}`).toBe(root);
        expect(log.size).toBeGreaterThanOrEqual(Math.max(...reported.keys()));
      } finally {
        db.close();
      }
    }
    expect(reported.size).toBeGreaterThan(KILLS);
  });
});
