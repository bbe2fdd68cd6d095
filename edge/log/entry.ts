/**
 * Evidence log entries: the shared envelope `{"v":1,"type":T,"gw":<gatewayId>,"at":<ISO-8601 UTC
 * with ms>,"body":{...}}`, serialised as RFC 8785 canonical JSON, and a JSON Schema per type
 * (schemas.ts). The bytes stored and hashed are exactly `canonicalBytes(entry)`.
 */
import { GkhError } from '../errors.js';
import { canonicalBytes, canonicalize } from './canonical.js';
import { hourlyText } from './hourly-text.js';
import { isoUtc } from './iso.js';
import { entrySchemas } from './schemas.js';
import { makeAjv, describeErrors, formatProblem } from '../config/validate.js';
import type { ValidateFunction } from 'ajv';

/** Entry types (brief "Shared data contracts"). */
export const ENTRY_TYPES = ['hourly', 'meter.identity', 'comm.lost', 'comm.restored', 'clock.drift', 'regime.verdict', 'config.change', 'gateway.boot', 'key.rotation', 'cosignature'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

/** Envelope version written by this code. */
export const ENTRY_VERSION = 1;

export interface LogEntry<B extends object = Record<string, unknown>> {
  v: 1;
  type: EntryType;
  /** Gateway id (config `gatewayId`). */
  gw: string;
  /** When the gateway appended it: ISO-8601 UTC with milliseconds (`2026-11-28T07:00:00.000Z`). */
  at: string;
  body: B;
}

/** Body of an `hourly` entry (HourlyRecord with times as ISO strings). */
export interface HourlyBody {
  meterId: string;
  system: number;
  /** Start of the hour, ISO-8601 UTC. */
  hourStart: string;
  /** IANA time zone of the site (for reading the hour locally). */
  tz: string;
  values: Record<string, { value: number; unit: string }>;
  flags: string[];
  source: 'archive' | 'integrated';
  rawFrames: string[];
  readAt: string;
  meterClock?: string;
}

/** Body of a `config.change` entry: sha256 hex of the canonical config, and the config without secrets. */
export interface ConfigChangeBody {
  hash: string;
  config: Record<string, unknown>;
}

/** Body of a `key.rotation` entry (see edge/keys/rotation.ts). */
export interface KeyRotationBody {
  /** Verifier key (note form) of the key being retired. */
  oldKey: string;
  /** Verifier key of the new key. */
  newKey: string;
  /** Signed note stating the rotation, signed by both keys. */
  statement: string;
}

/** Body of a `cosignature` entry: a destination's signed receipt of a checkpoint. */
export interface CosignatureBody {
  destination: string;
  /** Tree size the destination acknowledged. */
  size: number;
  /** Base64 root of that checkpoint. */
  root: string;
  /** The cosigner's tlog-cosignature line (with its newline). */
  line: string;
  /** Cosignature timestamp, unix seconds. */
  time: number;
}

/** Builds an entry envelope; `at` defaults to now. Keys are created in canonical order (fast path of canonicalize). */
export function makeEntry<B extends object>(type: EntryType, gw: string, body: B, at: Date | number = new Date()): LogEntry<B> {
  return { at: isoUtc(+at), body, gw, type, v: ENTRY_VERSION };
}

/** Hourly record as the drivers deliver it (edge/drivers/types.ts HourlyRecord, times in unix s / ms). */
export interface HourlyRecordLike {
  meterId: string;
  system: number;
  /** Unix seconds, UTC start of the hour. */
  hourStart: number;
  values: Partial<Record<string, { value: number; unit: string }>>;
  flags: string[];
  source: 'archive' | 'integrated';
  rawFrames: string[];
  /** Unix ms. */
  readAt: number;
  /** Unix seconds, meter clock when read. */
  meterClock?: number | null;
}

/**
 * The `hourly` entry of a record: times as ISO-8601 UTC, `tz` the site's IANA zone. Built with keys
 * in canonical order so canonicalisation takes its fast path.
 */
export function hourlyEntry(gw: string, rec: HourlyRecordLike, tz: string, at: Date | number = new Date()): LogEntry<HourlyBody> {
  const values: Record<string, { value: number; unit: string }> = {};
  for (const k of Object.keys(rec.values).sort()) {
    const m = rec.values[k];
    if (m) values[k] = { unit: m.unit, value: m.value };
  }
  const body: HourlyBody = {
    flags: [...rec.flags],
    hourStart: isoUtc(rec.hourStart * 1000),
    ...(rec.meterClock !== undefined && rec.meterClock !== null ? { meterClock: isoUtc(rec.meterClock * 1000) } : {}),
    meterId: rec.meterId,
    rawFrames: [...rec.rawFrames],
    readAt: isoUtc(rec.readAt),
    source: rec.source,
    system: rec.system,
    tz,
    values,
  };
  return makeEntry('hourly', gw, body, at);
}

/**
 * An entry already in canonical form, made by `CanonicalEntry.of` or a fast encoder of this module
 * (`encodeHourly`); `EvidenceLog.append` and `LogWriter.append` store its bytes as they are, so only
 * this module can make one (the constructor needs a module-private token).
 */
export class CanonicalEntry {
  /** `0x00 ‖ canonical UTF-8 bytes`: the RFC 6962 leaf-hash input. */
  readonly prefixed: Buffer;

  /** @internal use `CanonicalEntry.of` or `encodeHourly`. */
  constructor(prefixed: Buffer, token: typeof TOKEN) {
    if (token !== TOKEN) throw new GkhError('LOG_CANONICAL', 'a CanonicalEntry is made by CanonicalEntry.of or encodeHourly only');
    this.prefixed = prefixed;
  }

  /** Canonicalises any entry object (RFC 8785). */
  static of(entry: object): CanonicalEntry {
    return new CanonicalEntry(Buffer.from(`\u0000${canonicalize(entry)}`, 'utf8'), TOKEN);
  }

  /** The canonical bytes (what is stored). */
  get bytes(): Buffer {
    return this.prefixed.subarray(1);
  }

  /** The canonical JSON text. */
  get text(): string {
    return this.prefixed.toString('utf8', 1);
  }

  /** The entry as an object, parsed from the canonical bytes (so always what is stored). */
  value(): LogEntry {
    return JSON.parse(this.text) as LogEntry;
  }
}

const TOKEN: unique symbol = Symbol('CanonicalEntry');

/**
 * The `hourly` entry of a record in canonical form: the same bytes as
 * `canonicalBytes(hourlyEntry(gw, rec, tz, at))` (tested byte for byte on random records), written
 * directly from the record without building and walking the object: the append hot path.
 * Inputs outside the typed shape take the generic path, with the same bytes or the same error.
 */
export function encodeHourly(gw: string, rec: HourlyRecordLike, tz: string, at: Date | number = new Date()): CanonicalEntry {
  // The fast path writes a "byte string" (one char per UTF-8 byte: literals with non-ASCII characters
  // are stored UTF-8-encoded), so a latin1 copy gives the bytes without a UTF-8 transcoding pass.
  const bin = hourlyText(gw, rec, tz, +at);
  const prefixed = bin !== undefined ? Buffer.from(`\u0000${bin}`, 'latin1') : Buffer.from(`\u0000${canonicalize(hourlyEntry(gw, rec, tz, at))}`, 'utf8');
  return new CanonicalEntry(prefixed, TOKEN);
}

/** Canonical bytes of an entry (what is stored and hashed). */
export function encodeEntry(entry: object): Buffer {
  return canonicalBytes(entry);
}

let validators: Map<string, ValidateFunction> | undefined;

function getValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = makeAjv();
  validators = new Map();
  for (const [type, schema] of Object.entries(entrySchemas)) validators.set(type, ajv.compile(schema));
  return validators;
}

/** Validates an entry against the schema of its type; throws LOG_ENTRY_INVALID naming the path. */
export function validateEntry(entry: unknown): asserts entry is LogEntry {
  const type = (entry as { type?: unknown } | null)?.type;
  const v = typeof type === 'string' ? getValidators().get(type) : undefined;
  if (!v) throw new GkhError('LOG_ENTRY_INVALID', `/type: expected one of ${ENTRY_TYPES.join(', ')}, found ${JSON.stringify(type)}`, { path: '/type' });
  if (!v(entry)) {
    const problems = describeErrors(v.errors, entry);
    throw new GkhError('LOG_ENTRY_INVALID', `${type} entry: ${problems.map(formatProblem).join('; ')}`, { type, problems });
  }
}

/** Parses stored entry bytes; checks they are canonical (re-encoding gives the same bytes). */
export function decodeEntry(bytes: Uint8Array): LogEntry {
  let v: unknown;
  const s = Buffer.from(bytes).toString('utf8');
  try {
    v = JSON.parse(s);
  } catch (e) {
    throw new GkhError('LOG_ENTRY_INVALID', `entry is not JSON: ${(e as Error).message}`, {}, { cause: e });
  }
  const again = canonicalBytes(v);
  if (!again.equals(Buffer.from(bytes))) {
    let i = 0;
    while (i < again.length && again[i] === bytes[i]) i++;
    throw new GkhError('LOG_ENTRY_INVALID', `entry is not canonical JSON (RFC 8785): differs at byte ${i}`, { byte: i });
  }
  return v as LogEntry;
}
