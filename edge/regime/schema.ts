/**
 * JSON Schema of one regime map (contract data). Owned by edge/regime; embedded in the gateway config schema.
 * The verdict logic lives in this folder (schedule.ts, verdict.ts, claims.ts); this file only says what a
 * map may contain and which defaults apply. Every default that comes from a legal act names it here.
 *
 * Sources of the defaults:
 * - ГВС temperature ≥ 60 °C (and ≤ 75 °C) at the draw-off point: СанПиН 2.1.3684-21, п. 84.
 * - ГВС allowed deviation 5 °C at night (00:00–05:00), 3 °C by day; 0.1 % of the month's charge per hour for
 *   each 3 °C beyond; below 40 °C the hour is billed at the cold-water tariff: ПП РФ № 354, приложение 1, п. 5.
 * - ГВС interruptions 8 h a month in total, 4 h at once; 0.15 % per hour beyond: ПП 354, приложение 1, п. 4.
 * - Heating interruptions 24 h a month in total, 16 h at once (indoor air +12 °C up to the norm); 0.15 % per
 *   hour beyond: ПП 354, приложение 1, п. 14.
 * - Tolerances T1 ±3 %, T2 not above schedule by more than +5 %, P1 ±5 % are commonly contracted (ПТЭТЭ,
 *   приказ Минэнерго № 115, п. 6.2.59, for the source); they are contract data and have no default here.
 */
const tolerance = {
  type: 'object',
  additionalProperties: false,
  description: 'Permitted deviation from the expected value: `below` and/or `above` (a side left out is not checked).',
  properties: {
    below: { type: 'number', minimum: 0, description: 'How far below the expected value is still ok.' },
    above: { type: 'number', minimum: 0, description: 'How far above the expected value is still ok.' },
    unit: { enum: ['%', 'abs'], default: '%', description: '`%` of the expected value, or `abs` in the parameter\'s unit (°C, MPa).' },
  },
} as const;

const hhmm = { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' } as const;

const interruptionLimits = (monthHours: number, onceHours: number, percent: number, source: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    description: `Interruption limits and the reduction per hour beyond them (defaults: ${source}).`,
    properties: {
      monthHours: { type: 'number', minimum: 0, default: monthHours, description: 'Allowed interruption in a month, in total (h).' },
      onceHours: { type: 'number', minimum: 0, default: onceHours, description: 'Allowed single (continuous) interruption (h).' },
      percentPerHour: { type: 'number', minimum: 0, default: percent, description: 'Reduction of the month\'s charge per hour beyond the limits (%).' },
    },
    default: {},
  }) as const;

export const regimeMapSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    description: { type: 'string' },
    kind: {
      enum: ['heating', 'hotWater'],
      default: 'heating',
      description: '`heating`: T1/T2 follow the temperature schedule; `hotWater` (ГВС): the hot-water temperature rules apply.',
    },
    schedule: {
      type: 'array',
      minItems: 2,
      description: 'Temperature schedule rows: outdoor t (°C) → supply T1 and return T2 (°C); linear between rows, clamped beyond the ends. Required for `heating`.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['outdoor', 't1', 't2'],
        properties: { outdoor: { type: 'number' }, t1: { type: 'number' }, t2: { type: 'number' } },
      },
    },
    breakPoint: { type: 'number', description: '«Излом»: scheduled T1 is not below this (°C), so hot water can be prepared.' },
    cutOff: { type: 'number', description: '«Срезка»: scheduled T1 is not above this (°C).' },
    tolerances: {
      type: 'object',
      additionalProperties: false,
      description: 'Per parameter: t1, t2 against the schedule (heating); P1, P2 against pressure.p1/p2; dP below pressure.dpMin.',
      patternProperties: { '^(t1|t2|P1|P2|dP)$': tolerance },
      default: {},
    },
    pressure: {
      type: 'object',
      additionalProperties: false,
      description: 'Contracted pressures at the building input (MPa).',
      properties: {
        p1: { type: 'number', description: 'Contracted supply pressure P1 (MPa); checked with tolerances.P1.' },
        p2: { type: 'number', description: 'Contracted return pressure P2 (MPa); checked with tolerances.P2.' },
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
      description: 'Hot-water (ГВС) rules; used when kind is `hotWater`.',
      properties: {
        param: { enum: ['t1', 't3'], default: 't1', description: 'The hourly temperature that is the hot-water temperature.' },
        minTemp: { type: 'number', default: 60, description: 'Minimum hot-water temperature (°C), СанПиН 2.1.3684-21 п. 84.' },
        maxTemp: { type: 'number', default: 75, description: 'Maximum hot-water temperature (°C), СанПиН 2.1.3684-21 п. 84.' },
        dayAllowance: { type: 'number', minimum: 0, default: 3, description: 'Allowed deviation by day (°C), ПП 354 прил. 1 п. 5.' },
        nightAllowance: { type: 'number', minimum: 0, default: 5, description: 'Allowed deviation at night (°C), ПП 354 прил. 1 п. 5.' },
        nightFrom: { ...hhmm, default: '00:00', description: 'Night starts (site time zone), ПП 354 прил. 1 п. 5.' },
        nightTo: { ...hhmm, default: '05:00', description: 'Night ends (site time zone, exclusive), ПП 354 прил. 1 п. 5.' },
        coldBelow: { type: 'number', default: 40, description: 'Below this (°C) the hour is billed as cold water, ПП 354 прил. 1 п. 5.' },
        stepC: { type: 'number', exclusiveMinimum: 0, default: 3, description: 'Claim step (°C beyond the allowance), ПП 354 прил. 1 п. 5.' },
        percentPerStep: { type: 'number', minimum: 0, default: 0.1, description: 'Reduction per hour per step (% of the month\'s charge), ПП 354 прил. 1 п. 5.' },
        stepRounding: {
          enum: ['ceil', 'floor'],
          default: 'ceil',
          description: '"За каждые 3 °C": `ceil` counts every started step (1 °C beyond = 1 step), `floor` only whole steps. The contract decides.',
        },
      },
      default: {},
    },
    interruption: {
      type: 'object',
      additionalProperties: false,
      description: 'An hour is an interruption hour when its M1 is at most massAtMost (t). Hours without data are not interruptions (they are reported as no data).',
      properties: {
        massAtMost: { type: 'number', minimum: 0, default: 0, description: 'Hourly M1 (t) at or below which supply counts as interrupted.' },
        heating: interruptionLimits(24, 16, 0.15, 'ПП 354 прил. 1 п. 14'),
        hotWater: interruptionLimits(8, 4, 0.15, 'ПП 354 прил. 1 п. 4'),
      },
      default: {},
    },
    outdoorAveragingHours: {
      type: 'integer',
      minimum: 1,
      maximum: 72,
      default: 24,
      description: 'T1/T2 are scheduled for the mean outdoor t of this many hours ending with the judged hour (hours with data only).',
    },
  },
  if: { properties: { kind: { const: 'heating' } } },
  then: { required: ['schedule'] },
} as const;
