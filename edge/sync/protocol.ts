/**
 * The gateway ⇄ receiver wire protocol, declared once: topics, payload types and their JSON Schemas.
 * Both the gateway's sync workers (edge/sync/worker.ts) and the receiver (receiver/) import this
 * module; docs/protocol.md describes it for people. Nothing here needs more than MQTT 3.1.1:
 * acknowledgements travel on their own topic, not in MQTT 5 response properties.
 *
 * Topics (prefix = the destination's `topicPrefix`, gw = gateway id):
 *   <prefix>/gw/<gw>/batch   gateway → receiver, QoS 1, not retained: entries + covering checkpoint
 *   <prefix>/gw/<gw>/ack     receiver → gateway, QoS 1, not retained: stored size + cosignature
 *   <prefix>/gw/<gw>/state   gateway, QoS 1, retained: online/offline (offline is the MQTT last will)
 */
import type { ValidateFunction } from 'ajv';
import { makeAjv } from '../config/validate.js';
import { GkhError } from '../errors.js';

/** Protocol version carried in every payload as `v`. A receiver rejects a version it does not know. */
export const PROTOCOL_VERSION = 1;

/** Topic kinds under `<prefix>/gw/<gatewayId>/`. */
export type TopicKind = 'batch' | 'ack' | 'state';

const idPattern = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const idRe = new RegExp(idPattern);

/** Topic of one kind for one gateway under a prefix. Throws SYNC_TOPIC for an id that cannot be a topic level. */
export function topic(prefix: string, gatewayId: string, kind: TopicKind): string {
  if (!idRe.test(gatewayId)) throw new GkhError('SYNC_TOPIC', `gateway id ${JSON.stringify(gatewayId)} cannot be a topic level`, { gatewayId });
  return `${prefix}/gw/${gatewayId}/${kind}`;
}

/**
 * The receiver's subscription filter for batches of every gateway under a prefix. With a share group,
 * an MQTT 5 shared subscription `$share/<group>/<prefix>/gw/+/batch` (mosquitto also honours it for
 * 3.1.1 clients), so several receiver instances behind one broker split the load.
 */
export function batchFilter(prefix: string, shareGroup?: string): string {
  const f = `${prefix}/gw/+/batch`;
  return shareGroup ? `$share/${shareGroup}/${f}` : f;
}

/** Splits a topic under `prefix` into gateway id and kind; undefined when it is not one of ours. */
export function parseTopic(prefix: string, t: string): { gatewayId: string; kind: TopicKind } | undefined {
  if (!t.startsWith(`${prefix}/gw/`)) return undefined;
  const rest = t.slice(prefix.length + 4).split('/');
  if (rest.length !== 2) return undefined;
  const [gatewayId, kind] = rest as [string, string];
  if (!idRe.test(gatewayId) || (kind !== 'batch' && kind !== 'ack' && kind !== 'state')) return undefined;
  return { gatewayId, kind };
}

/** A checkpoint as it travels: the C2SP signed note text exactly as the gateway stored it. */
export interface WireCheckpoint {
  /** Tree size the checkpoint commits to (also inside the note; the receiver checks both agree). */
  size: number;
  /** C2SP signed note: tlog-checkpoint body, blank line, signature lines. */
  note: string;
  /** When the gateway made it, unix ms (stored as the row's created_at, so both sides hold identical rows). */
  createdAt: number;
}

/**
 * Gateway → receiver. Entries `[from, from + entries.length)` of the gateway's log, each the canonical
 * JSON text (RFC 8785) of the entry exactly as hashed, and every gateway checkpoint whose size lies in
 * `(from, from + entries.length]`, ascending; the last one covers the batch (its size is the end).
 * Sending all of them lets every receiver hold the same checkpoint rows whatever the batch cuts were.
 */
export interface BatchPayload {
  v: typeof PROTOCOL_VERSION;
  kind: 'batch';
  /** Gateway id; equals the topic level. */
  gw: string;
  /** Destination id in the gateway's config (echoed in the ack). */
  dest: string;
  /** Batch number, increasing per worker run; echoed in the ack so the gateway can match it. */
  seq: number;
  /** Log index of the first entry. */
  from: number;
  entries: string[];
  checkpoints: WireCheckpoint[];
}

/** What the receiver did with a batch. */
export type AckStatus =
  /** Verified and stored; `size` = checkpoint size. */
  | 'stored'
  /** Already held (a resend or replay): nothing stored; `size` = what the receiver holds. */
  | 'duplicate'
  /** Starts beyond what the receiver holds: nothing stored; the gateway resends from `size`. */
  | 'gap'
  /** Failed verification: nothing stored; `code` and `reason` say why. */
  | 'rejected';

/** Receiver → gateway. */
export interface AckPayload {
  v: typeof PROTOCOL_VERSION;
  kind: 'ack';
  gw: string;
  dest: string;
  seq: number;
  status: AckStatus;
  /** Entries the receiver holds for this gateway, after handling the batch. */
  size: number;
  /**
   * C2SP tlog-cosignature line (`— <name> <base64(keyID ‖ timestamp ‖ signature)>`) over the receiver's
   * stored checkpoint of `size`; null while it holds nothing.
   */
  cosignature: string | null;
  /** The receiver's verifier key in note form (`<name>+<8 hex key id>+<base64 0x04 ‖ pubkey>`). */
  vkey: string;
  /** Machine-readable reason for `rejected` (a GkhError code, e.g. SYNC_ROOT_MISMATCH). */
  code?: string;
  /** Human-readable reason for `rejected`. */
  reason?: string;
}

/** Retained gateway state at `<prefix>/gw/<gw>/state`. */
export interface StatePayload {
  v: typeof PROTOCOL_VERSION;
  kind: 'state';
  gw: string;
  state: 'online' | 'offline';
  /** Unix ms of the change (for the last will: when the connection was made). */
  at: number;
  /** The gateway's log size when it went online (absent in the will). */
  size?: number;
}

const gw = { type: 'string', pattern: idPattern };
const uint = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

/** JSON Schema (2020-12) of BatchPayload. */
export const batchSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://opengkh.org/schema/sync-batch.schema.json',
  title: 'opengkh sync batch',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'kind', 'gw', 'dest', 'seq', 'from', 'entries', 'checkpoints'],
  properties: {
    v: { const: PROTOCOL_VERSION },
    kind: { const: 'batch' },
    gw,
    dest: gw,
    seq: uint,
    from: uint,
    entries: { type: 'array', minItems: 1, items: { type: 'string', minLength: 2 } },
    checkpoints: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['size', 'note', 'createdAt'],
        properties: { size: uint, note: { type: 'string', minLength: 1, maxLength: 65536 }, createdAt: uint },
      },
    },
  },
} as const;

/** JSON Schema (2020-12) of AckPayload. */
export const ackSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://opengkh.org/schema/sync-ack.schema.json',
  title: 'opengkh sync ack',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'kind', 'gw', 'dest', 'seq', 'status', 'size', 'cosignature', 'vkey'],
  properties: {
    v: { const: PROTOCOL_VERSION },
    kind: { const: 'ack' },
    gw,
    dest: gw,
    seq: uint,
    status: { enum: ['stored', 'duplicate', 'gap', 'rejected'] },
    size: uint,
    cosignature: { type: ['string', 'null'], maxLength: 1024 },
    vkey: { type: 'string', minLength: 1, maxLength: 1024 },
    code: { type: 'string', maxLength: 64 },
    reason: { type: 'string', maxLength: 2048 },
  },
} as const;

/** JSON Schema (2020-12) of StatePayload. */
export const stateSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://opengkh.org/schema/sync-state.schema.json',
  title: 'opengkh gateway state',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'kind', 'gw', 'state', 'at'],
  properties: {
    v: { const: PROTOCOL_VERSION },
    kind: { const: 'state' },
    gw,
    state: { enum: ['online', 'offline'] },
    at: uint,
    size: uint,
  },
} as const;

const schemas = { batch: batchSchema, ack: ackSchema, state: stateSchema } as const;
let ajv: ReturnType<typeof makeAjv> | undefined;
const validators = new Map<keyof typeof schemas, ValidateFunction>();
/** Compiled on first use, one kind at a time (a gateway never needs the batch validator). */
function validatorOf(kind: keyof typeof schemas): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    ajv ??= makeAjv();
    v = ajv.compile(schemas[kind]);
    validators.set(kind, v);
  }
  return v;
}

function decode<T>(kind: 'batch' | 'ack' | 'state', payload: Buffer | string): T {
  let data: unknown;
  try {
    data = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (e) {
    throw new GkhError('SYNC_PAYLOAD', `${kind} payload is not JSON: ${(e as Error).message}`, { kind }, { cause: e });
  }
  const validate = validatorOf(kind);
  if (!validate(data)) {
    const first = validate.errors?.[0];
    const where = first ? `${first.instancePath || '/'} ${first.message ?? first.keyword}` : 'invalid';
    throw new GkhError('SYNC_PAYLOAD', `${kind} payload does not match its schema: ${where}`, { kind, errors: validate.errors });
  }
  return data as T;
}

/** Parses and schema-checks a batch. Throws SYNC_PAYLOAD naming the first offending field. */
export const decodeBatch = (p: Buffer | string): BatchPayload => decode<BatchPayload>('batch', p);
/** Parses and schema-checks an ack. Throws SYNC_PAYLOAD. */
export const decodeAck = (p: Buffer | string): AckPayload => decode<AckPayload>('ack', p);
/** Parses and schema-checks a state message. Throws SYNC_PAYLOAD. */
export const decodeState = (p: Buffer | string): StatePayload => decode<StatePayload>('state', p);

/** Serialises a payload (plain JSON; entries inside are already canonical text). */
export function encode(p: BatchPayload | AckPayload | StatePayload): Buffer {
  return Buffer.from(JSON.stringify(p), 'utf8');
}

/** Byte size of the JSON string literal of `s` (what one entry adds to a batch payload, plus a comma). */
export function jsonStringBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s), 'utf8') + 1;
}

/** Fixed overhead of a batch payload around its entries and note, bytes (generous upper bound). */
export const BATCH_OVERHEAD_BYTES = 512;
