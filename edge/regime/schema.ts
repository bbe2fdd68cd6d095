/**
 * JSON Schema of one regime map (contract data). Owned by edge/regime; embedded in the gateway config schema.
 * The full verdict logic lives in this folder; this file only says what a map may contain.
 */
export const regimeMapSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'schedule'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    description: { type: 'string' },
    schedule: {
      type: 'array',
      minItems: 2,
      description: 'Temperature schedule rows: outdoor t (°C) → supply T1 and return T2 (°C).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['outdoor', 't1', 't2'],
        properties: { outdoor: { type: 'number' }, t1: { type: 'number' }, t2: { type: 'number' } },
      },
    },
    breakPoint: { type: 'number', description: '«Излом»: T1 is not scheduled below this (°C), for hot water.' },
    cutOff: { type: 'number', description: '«Срезка»: T1 is not scheduled above this (°C).' },
    tolerances: {
      type: 'object',
      additionalProperties: false,
      patternProperties: {
        '^(t1|t2|t3|P1|P2|dP)$': {
          type: 'object',
          additionalProperties: false,
          properties: {
            below: { type: 'number', minimum: 0 },
            above: { type: 'number', minimum: 0 },
            unit: { enum: ['%', 'abs'], default: '%' },
          },
        },
      },
      default: {},
    },
    pressure: {
      type: 'object',
      additionalProperties: false,
      properties: {
        p1Min: { type: 'number' },
        p1Max: { type: 'number' },
        p2Min: { type: 'number' },
        p2Max: { type: 'number' },
        dpMin: { type: 'number', description: 'Minimum P1−P2 (MPa).' },
      },
    },
    hotWater: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minTemp: { type: 'number', default: 60 },
        dayAllowance: { type: 'number', default: 3 },
        nightAllowance: { type: 'number', default: 5 },
        nightFrom: { type: 'string', pattern: '^\\d{2}:\\d{2}$', default: '00:00' },
        nightTo: { type: 'string', pattern: '^\\d{2}:\\d{2}$', default: '05:00' },
        coldBelow: { type: 'number', default: 40 },
      },
    },
    outdoorAveragingHours: { type: 'integer', minimum: 1, maximum: 72, default: 24 },
  },
} as const;
