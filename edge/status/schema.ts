/** JSON Schema (draft 2020-12) of `/api/status` — the documented contract for monitoring tools. */
const iso = { type: 'string', format: 'date-time' } as const;
const measured = { type: 'object', required: ['value', 'unit'], additionalProperties: false, properties: { value: { type: 'number' }, unit: { type: 'string' } } } as const;

export const statusSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://opengkh.org/schema/status.schema.json',
  type: 'object',
  additionalProperties: false,
  required: ['gateway', 'meters', 'destinations', 'events'],
  properties: {
    gateway: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'version', 'keyFingerprint', 'startedAt', 'uptimeSeconds', 'now', 'timeZone', 'ntpSynchronized', 'disk', 'logSize', 'storeBytes'],
      properties: {
        id: { type: 'string' },
        version: { type: 'string' },
        keyFingerprint: { type: 'string', pattern: '^([0-9a-f]{4} ){15}[0-9a-f]{4}$', description: 'SHA-256 of the raw Ed25519 public key.' },
        startedAt: iso,
        uptimeSeconds: { type: 'number', minimum: 0 },
        now: iso,
        timeZone: { type: 'string' },
        ntpSynchronized: { type: ['boolean', 'null'] },
        disk: { oneOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, required: ['freeBytes', 'totalBytes'], properties: { freeBytes: { type: 'number' }, totalBytes: { type: 'number' } } }] },
        logSize: { type: 'integer', minimum: 0 },
        lastCheckpointAt: iso,
        storeBytes: { type: 'integer', minimum: 0 },
      },
    },
    meters: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'protocol', 'bus', 'link', 'mode', 'systems', 'polls', 'errors'],
        properties: {
          id: { type: 'string' },
          description: { type: 'string' },
          protocol: { type: 'string' },
          bus: { type: 'string' },
          link: { enum: ['unknown', 'ok', 'lost'] },
          mode: { enum: ['archive', 'integrated', 'unknown'] },
          lastOkAt: iso,
          lastError: { type: 'object', additionalProperties: false, required: ['code', 'message', 'at'], properties: { code: { type: 'string' }, message: { type: 'string' }, at: iso } },
          systems: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['system', 'storedHours'],
              properties: { system: { type: 'integer' }, name: { type: 'string' }, lastHour: iso, storedHours: { type: 'integer' }, verdicts: { type: 'object', additionalProperties: { type: 'string' } } },
            },
          },
          current: { type: 'object', additionalProperties: false, required: ['readAt', 'values'], properties: { readAt: iso, values: { type: 'object', additionalProperties: measured } } },
          clockDriftSeconds: { type: 'number' },
          identity: { type: 'object', additionalProperties: false, required: ['serial', 'model'], properties: { serial: { type: 'string' }, model: { type: 'string' }, manufacturer: { type: 'string' }, firmware: { type: 'string' } } },
          polls: { type: 'integer' },
          errors: { type: 'object', additionalProperties: { type: 'integer' } },
        },
      },
    },
    destinations: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'role', 'connected', 'ackedSize', 'backlogEntries', 'backlogHours'],
        properties: { id: { type: 'string' }, role: { type: 'string' }, connected: { type: 'boolean' }, ackedSize: { type: 'integer' }, backlogEntries: { type: 'integer' }, backlogHours: { type: 'number' }, lastAckAt: iso, lastCosignatureAt: iso },
      },
    },
    events: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['at', 'type', 'summary'], properties: { at: iso, type: { type: 'string' }, meterId: { type: 'string' }, summary: { type: 'string' } } },
    },
  },
} as const;
