import { describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { canonicalBytes } from './canonical.js';
import { decodeEntry, encodeEntry, ENTRY_TYPES, hourlyEntry, makeEntry, validateEntry } from './entry.js';
import { entrySchemas } from './schemas.js';

const rec = { meterId: 'heat-1', system: 1, hourStart: 1767225600, values: { Q: { value: 0.01234, unit: 'Gcal' }, t1: { value: 70.5, unit: '°C' } }, flags: ['NS:dt<min'], source: 'archive' as const, rawFrames: ['68 03 03 68 08 01 72 7b 16'], readAt: 1767229265000, meterClock: 1767229260 };

function problem(e: unknown): string {
  try {
    validateEntry(e);
    return 'valid';
  } catch (err) {
    if (!isGkhError(err, 'LOG_ENTRY_INVALID')) throw err;
    return err.message;
  }
}

describe('entries', () => {
  it('every type has a schema', () => {
    expect(Object.keys(entrySchemas).sort()).toEqual([...ENTRY_TYPES].sort());
  });

  it('hourly entry from a driver record: ISO times, envelope, schema-valid, canonical bytes round-trip', () => {
    const e = hourlyEntry('ekb-lenina-12', rec, 'Asia/Yekaterinburg', 1767229270000);
    expect(problem(e)).toBe('valid');
    expect(e).toMatchObject({ v: 1, type: 'hourly', gw: 'ekb-lenina-12', at: '2026-01-01T01:01:10.000Z', body: { hourStart: '2026-01-01T00:00:00.000Z', readAt: '2026-01-01T01:01:05.000Z', meterClock: '2026-01-01T01:01:00.000Z' } });
    const bytes = encodeEntry(e);
    expect(bytes.toString()).toMatch(/^\{"at":"2026-01-01T01:01:10.000Z","body":\{"flags":\["NS:dt<min"\],"hourStart"/);
    expect(decodeEntry(bytes)).toEqual(JSON.parse(bytes.toString()));
  });

  it('names the path of a bad field', () => {
    const e = hourlyEntry('gw', rec, 'Europe/Moscow', 0) as unknown as { body: { values: Record<string, unknown>; source: string } };
    e.body.values.Qx = { value: 1, unit: 'Gcal' };
    expect(problem(e)).toMatch(/\/body\/values\/Qx/);
    const f = hourlyEntry('gw', rec, 'Europe/Moscow', 0) as unknown as { body: { source: string } };
    f.body.source = 'guess';
    expect(problem(f)).toMatch(/\/body\/source: expected one of "archive", "integrated"/);
    expect(problem({ ...makeEntry('gateway.boot', 'gw', {}, 0), extra: 1 })).toMatch(/unknown key "extra"/);
    expect(problem({ type: 'nope' })).toMatch(/\/type/);
  });

  it.each([
    ['config.change', { hash: 'a'.repeat(64), config: { gatewayId: 'gw' } }],
    ['gateway.boot', { version: '0.1.0', reason: 'power-on' }],
    ['comm.lost', { meterId: 'heat-1', since: '2026-01-01T00:00:00.000Z' }],
    ['comm.restored', { meterId: 'heat-1' }],
    ['clock.drift', { meterId: 'heat-1', driftSeconds: 95 }],
    ['regime.verdict', { meterId: 'heat-1', param: 't1', verdict: 'below' }],
    ['meter.identity', { meterId: 'heat-1', serial: '12345678' }],
    ['cosignature', { destination: 'rso', size: 10, root: Buffer.alloc(32).toString('base64'), line: '\u2014 rso.example/r AAAA\n', time: 1700000000 }],
  ] as const)('%s entry validates', (type, body) => {
    expect(problem(makeEntry(type, 'gw', body, 0))).toBe('valid');
  });

  it('decodeEntry refuses non-canonical bytes, naming the byte', () => {
    const b = canonicalBytes(makeEntry('gateway.boot', 'gw', { version: '1' }, 0));
    expect(() => decodeEntry(Buffer.from(b.toString().replace('{"at"', '{ "at"')))).toThrow(/byte 1/);
  });
});
