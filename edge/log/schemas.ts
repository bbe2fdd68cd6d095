/**
 * JSON Schemas (2020-12) of the evidence log entries, one per type. The envelope is closed
 * (`additionalProperties: false`); bodies owned by this module (hourly, config.change, key.rotation,
 * cosignature) are closed too; bodies whose details belong to other modules (regime, poll,
 * runtime) fix their identifying fields and allow more.
 */
const iso = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$', description: 'ISO-8601 UTC' };
const isoMs = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$', description: 'ISO-8601 UTC with milliseconds' };
const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' };
const measured = { type: 'object', additionalProperties: false, required: ['value', 'unit'], properties: { value: { type: 'number' }, unit: { type: 'string', minLength: 1 } } };
const hexFrame = { type: 'string', pattern: '^([0-9a-f]{2}( [0-9a-f]{2})*)?$' };
const vkey = { type: 'string', pattern: '^[^\\s+]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]+=*$' };

function envelope(type: string, body: object): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://opengkh.org/schema/log/${type}.json`,
    title: `evidence log entry: ${type}`,
    type: 'object',
    additionalProperties: false,
    required: ['v', 'type', 'gw', 'at', 'body'],
    properties: { v: { const: 1 }, type: { const: type }, gw: id, at: isoMs, body },
  };
}

const meterRef = { meterId: id };

/** Schema per entry type. */
export const entrySchemas: Record<string, object> = {
  hourly: envelope('hourly', {
    type: 'object',
    additionalProperties: false,
    required: ['meterId', 'system', 'hourStart', 'tz', 'values', 'flags', 'source', 'rawFrames', 'readAt'],
    properties: {
      ...meterRef,
      system: { type: 'integer', minimum: 1 },
      hourStart: iso,
      tz: { type: 'string', minLength: 1 },
      values: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(['Q', 'M1', 'M2', 'V1', 'V2', 't1', 't2', 't3', 'P1', 'P2', 'tOutdoor', 'hoursNormal', 'hoursError'].map((p) => [p, measured])),
      },
      flags: { type: 'array', items: { type: 'string' } },
      source: { enum: ['archive', 'integrated'] },
      rawFrames: { type: 'array', items: hexFrame },
      readAt: iso,
      meterClock: iso,
    },
  }),
  'meter.identity': envelope('meter.identity', { type: 'object', required: ['meterId'], properties: { ...meterRef } }),
  'comm.lost': envelope('comm.lost', { type: 'object', required: ['meterId'], properties: { ...meterRef } }),
  'comm.restored': envelope('comm.restored', { type: 'object', required: ['meterId'], properties: { ...meterRef } }),
  'clock.drift': envelope('clock.drift', { type: 'object', required: ['meterId'], properties: { ...meterRef } }),
  'regime.verdict': envelope('regime.verdict', { type: 'object', required: ['meterId'], properties: { ...meterRef } }),
  'config.change': envelope('config.change', {
    type: 'object',
    additionalProperties: false,
    required: ['hash', 'config'],
    properties: { hash: { type: 'string', pattern: '^[0-9a-f]{64}$' }, config: { type: 'object' } },
  }),
  'gateway.boot': envelope('gateway.boot', { type: 'object' }),
  'key.rotation': envelope('key.rotation', {
    type: 'object',
    additionalProperties: false,
    required: ['oldKey', 'newKey', 'statement'],
    properties: { oldKey: vkey, newKey: vkey, statement: { type: 'string', minLength: 1 } },
  }),
  cosignature: envelope('cosignature', {
    type: 'object',
    additionalProperties: false,
    required: ['destination', 'size', 'root', 'line', 'time'],
    properties: {
      destination: id,
      size: { type: 'integer', minimum: 0 },
      root: { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$' },
      line: { type: 'string', pattern: '^\u2014 ' },
      time: { type: 'integer', minimum: 0 },
    },
  }),
};
