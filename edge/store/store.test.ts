import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countReadings, getCursor, getMeta, insertEvent, insertReading, lastStoredHour, openDb, readingsBetween, recentEvents, setCursor, setMeta, type ReadingRow } from './index.js';
import { migrations } from './migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'gkh-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reading = (hour: number, system = 1): ReadingRow => ({
  meterId: 'm1',
  system,
  hourStart: hour * 3600,
  source: 'archive',
  values: { Q: { value: 0.0123, unit: 'Gcal' } },
  flags: [],
  rawFrames: ['01 03 02 00 01 79 84'],
  readAt: 1,
});

describe('store', () => {
  it('opens in WAL mode with synchronous=FULL at the newest schema version', () => {
    const db = openDb(join(dir, 'a.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(Math.max(...migrations.map((m) => m.version)));
    db.close();
    // Re-opening applies nothing twice.
    openDb(join(dir, 'a.db')).close();
  });

  it('stores an hour once and finds the last stored hour', () => {
    const db = openDb(join(dir, 'b.db'));
    expect(insertReading(db, reading(10))).toBe(true);
    expect(insertReading(db, reading(10))).toBe(false);
    expect(insertReading(db, reading(11))).toBe(true);
    expect(insertReading(db, reading(11, 2))).toBe(true);
    expect(countReadings(db)).toBe(3);
    expect(lastStoredHour(db, 'm1', 1)).toBe(11 * 3600);
    expect(lastStoredHour(db, 'm2', 1)).toBeUndefined();
    expect(readingsBetween(db, 'm1', 0, 11 * 3600)).toEqual([{ ...reading(10), meterClock: null, logIndex: null }]);
    expect(readingsBetween(db, 'm1', 0, 100 * 3600, 2)).toHaveLength(1);
    db.close();
  });

  it('keeps the evidence log append-only and contiguous', () => {
    const db = openDb(join(dir, 'c.db'));
    const ins = db.prepare('INSERT INTO log_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)');
    ins.run(0, Buffer.from('{}'), Buffer.alloc(32));
    expect(() => ins.run(2, Buffer.from('{}'), Buffer.alloc(32))).toThrow(/contiguous/);
    ins.run(1, Buffer.from('{}'), Buffer.alloc(32));
    expect(() => db.prepare('UPDATE log_entries SET entry = ? WHERE idx = 0').run(Buffer.from('x'))).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM log_entries WHERE idx = 1').run()).toThrow(/append-only/);
    expect(() => ins.run(2, Buffer.from('{}'), Buffer.alloc(31))).toThrow(/CHECK|constraint/i);
    db.close();
  });

  it('moves a cursor only forwards', () => {
    const db = openDb(join(dir, 'd.db'));
    expect(getCursor(db, 'uk').ackedSize).toBe(0);
    setCursor(db, 'uk', 10, 'sig10', 5);
    setCursor(db, 'uk', 7, 'sig7', 6);
    expect(getCursor(db, 'uk')).toEqual({ destination: 'uk', ackedSize: 10, cosignature: 'sig10', ackedAt: 5 });
    setCursor(db, 'uk', 12, 'sig12', 7);
    expect(getCursor(db, 'uk').ackedSize).toBe(12);
    db.close();
  });

  it('keeps events and meta', () => {
    const db = openDb(join(dir, 'e.db'));
    insertEvent(db, { at: 1, type: 'comm.lost', meterId: 'm1', data: { reason: 'timeout' } });
    insertEvent(db, { at: 2, type: 'comm.restored', meterId: 'm1', data: {} });
    expect(recentEvents(db, 1)).toEqual([{ at: 2, type: 'comm.restored', meterId: 'm1', data: {}, logIndex: null }]);
    setMeta(db, 'k', 'v1');
    setMeta(db, 'k', 'v2');
    expect(getMeta(db, 'k')).toBe('v2');
    db.close();
  });
});
