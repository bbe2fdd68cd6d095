/** The wire protocol: topics, JSON Schemas of every payload, decode errors that name the field. */
import { describe, expect, it } from 'vitest';
import { makeAjv } from '../config/validate.js';
import { isGkhError } from '../errors.js';
import { MemoryLog, hourlyBody } from './fixtures.js';
import { PROTOCOL_VERSION, ackSchema, batchFilter, batchSchema, decodeAck, decodeBatch, decodeState, encode, parseTopic, stateSchema, topic, type AckPayload, type StatePayload } from './protocol.js';

const log = new MemoryLog('ekb-lenina-12');
for (let h = 0; h < 3; h++) log.append('hourly', hourlyBody(1, h));
log.checkpoint();
const batch = log.batch(0, 3, 7);
const ack: AckPayload = { v: PROTOCOL_VERSION, kind: 'ack', gw: 'ekb-lenina-12', dest: 'uk', seq: 7, status: 'stored', size: 3, cosignature: '— uk AAAA\n', vkey: 'uk+01020304+BAAA' };
const state: StatePayload = { v: PROTOCOL_VERSION, kind: 'state', gw: 'ekb-lenina-12', state: 'online', at: 1, size: 3 };

describe('sync protocol', () => {
  it('names topics per gateway and kind, and parses them back', () => {
    expect(topic('opengkh', 'ekb-lenina-12', 'batch')).toBe('opengkh/gw/ekb-lenina-12/batch');
    expect(parseTopic('opengkh', 'opengkh/gw/ekb-lenina-12/ack')).toEqual({ gatewayId: 'ekb-lenina-12', kind: 'ack' });
    expect(parseTopic('opengkh', 'other/gw/x/ack')).toBeUndefined();
    expect(parseTopic('opengkh', 'opengkh/gw/x/y/ack')).toBeUndefined();
    expect(parseTopic('a/b', 'a/b/gw/x/state')).toEqual({ gatewayId: 'x', kind: 'state' });
    expect(batchFilter('opengkh')).toBe('opengkh/gw/+/batch');
    expect(batchFilter('opengkh', 'rx')).toBe('$share/rx/opengkh/gw/+/batch');
    expect(() => topic('p', 'a/b', 'batch')).toThrow(/topic level/);
    expect(() => topic('p', '+', 'batch')).toThrow(/topic level/);
  });

  it('compiles every schema under strict ajv and each lists all keys of its type as properties', () => {
    const ajv = makeAjv();
    for (const [schema, sample] of [
      [batchSchema, batch],
      [ackSchema, { ...ack, code: 'X', reason: 'y' }],
      [stateSchema, state],
    ] as const) {
      const v = ajv.compile(schema);
      expect(v(sample), JSON.stringify(v.errors)).toBe(true);
      // The TypeScript type and the schema name the same keys (a key added to one must be added to both).
      expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(sample).sort());
      for (const r of schema.required) expect(Object.keys(sample)).toContain(r);
    }
  });

  it('round-trips payloads through encode/decode unchanged', () => {
    expect(decodeBatch(encode(batch))).toEqual(batch);
    expect(decodeAck(encode(ack))).toEqual(ack);
    expect(decodeState(encode(state))).toEqual(state);
    // Entries travel as the exact canonical text: a decoded entry is byte-identical.
    expect(Buffer.from(decodeBatch(encode(batch)).entries[1]!, 'utf8').equals(Buffer.from(log.entries[1]!, 'utf8'))).toBe(true);
  });

  it.each([
    ['not JSON', '{"v":1', /not JSON/],
    ['unknown version', JSON.stringify({ ...batch, v: 2 }), /\/v must be equal to constant/],
    ['empty batch', JSON.stringify({ ...batch, entries: [] }), /\/entries must NOT have fewer than 1 items/],
    ['unknown key', JSON.stringify({ ...batch, extra: 1 }), /must NOT have additional properties/],
    ['negative from', JSON.stringify({ ...batch, from: -1 }), /\/from must be >= 0/],
    ['gateway id with a slash', JSON.stringify({ ...batch, gw: 'a/b' }), /\/gw must match pattern/],
    ['checkpoint without note', JSON.stringify({ ...batch, checkpoints: [{ size: 3, createdAt: 1 }] }), /\/checkpoints\/0 must have required property 'note'/],
    ['no checkpoint', JSON.stringify({ ...batch, checkpoints: [] }), /\/checkpoints must NOT have fewer than 1 items/],
  ])('rejects a batch: %s', (_name, text, re) => {
    try {
      decodeBatch(text);
      expect.unreachable();
    } catch (e) {
      expect(isGkhError(e, 'SYNC_PAYLOAD')).toBe(true);
      expect((e as Error).message).toMatch(re);
    }
  });

  it('rejects acks with an unknown status or a missing cosignature field', () => {
    expect(() => decodeAck(JSON.stringify({ ...ack, status: 'ok' }))).toThrow(/\/status must be equal to one of the allowed values/);
    const { cosignature: _c, ...noCosig } = ack;
    expect(() => decodeAck(JSON.stringify(noCosig))).toThrow(/must have required property 'cosignature'/);
    expect(decodeAck(JSON.stringify({ ...ack, cosignature: null })).cosignature).toBeNull();
  });
});
