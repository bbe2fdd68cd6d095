/**
 * Receiver config: JSON Schema (ajv, defaults filled in, `additionalProperties: false`) and loader.
 * One receiver = one party's server (УК or РСО). Example: examples/receiver-uk.json.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeErrors, formatProblem, makeAjv } from '../edge/config/validate.js';
import { GkhError } from '../edge/errors.js';
import { SIG_COSIGNATURE_V1, SIG_ED25519 } from '../edge/log/note.js';
import { parseVkey } from '../edge/log/vkey.js';

const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' };

/** JSON Schema (2020-12) of the receiver config. */
export const receiverConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://opengkh.org/schema/receiver.schema.json',
  title: 'opengkh receiver config',
  type: 'object',
  additionalProperties: false,
  required: ['receiverId', 'dataDir', 'broker', 'gateways'],
  properties: {
    $schema: { type: 'string' },
    receiverId: { ...id, description: 'This receiver (party) id, e.g. uk-ekb; the default cosigner name.' },
    role: { type: 'string', default: '', description: 'УК, РСО or another party (shown in status).' },
    dataDir: { type: 'string', minLength: 1, description: 'State directory; relative paths resolve against the config file.' },
    signingKey: { type: 'string', default: 'keys/receiver.key', description: 'Ed25519 cosigning key (PKCS#8 PEM, 0600), relative to dataDir; created on first start.' },
    keyName: { type: 'string', pattern: '^[^\\s+]+$', description: 'Cosigner name in signed notes (default: receiverId).' },
    broker: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^(mqtts?|wss?)://' },
        topicPrefix: { type: 'string', pattern: '^[^#+]+$', default: 'opengkh' },
        shareGroup: { ...id, description: 'Subscribe as $share/<group>/… so several instances split the load.' },
        clientId: { type: 'string', description: 'Default: opengkh-receiver-<receiverId>-<pid> with a share group, else opengkh-receiver-<receiverId>.' },
        username: { type: 'string' },
        password: { type: 'string' },
        passwordFile: { type: 'string' },
        protocolVersion: { enum: [4, 5], default: 5 },
        tls: {
          type: 'object',
          additionalProperties: false,
          properties: { ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, rejectUnauthorized: { type: 'boolean', default: true } },
        },
      },
    },
    peers: {
      type: 'array',
      default: [],
      description: 'Cosigner keys of the other parties (their receiver vkeys), to verify the receipts gateways forward.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['vkey'],
        properties: { vkey: { type: 'string', pattern: '^[^+\\s]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/=]+$' }, description: { type: 'string' } },
      },
    },
    gateways: {
      type: 'array',
      description: 'Registry of gateways whose logs this receiver accepts.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'vkey'],
        properties: {
          id,
          vkey: { type: 'string', pattern: '^[^+\\s]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/=]+$', description: 'The gateway verifier key in note form (`opengkh log vkey`).' },
          description: { type: 'string' },
        },
      },
    },
  },
} as const;

/** Resolved receiver config. */
export interface ReceiverConfig {
  receiverId: string;
  role: string;
  /** Absolute after loading. */
  dataDir: string;
  signingKey: string;
  keyName?: string;
  broker: {
    url: string;
    topicPrefix: string;
    shareGroup?: string;
    clientId?: string;
    username?: string;
    password?: string;
    passwordFile?: string;
    protocolVersion: 4 | 5;
    tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  };
  gateways: { id: string; vkey: string; description?: string }[];
  peers: { vkey: string; description?: string }[];
}

let validator: ReturnType<ReturnType<typeof makeAjv>['compile']> | undefined;

/** Validates a parsed receiver config; throws CONFIG_INVALID naming each JSON path. */
export function validateReceiverConfig(input: unknown, baseDir = process.cwd()): ReceiverConfig {
  const data: unknown = structuredClone(input);
  validator ??= makeAjv({ useDefaults: true }).compile(receiverConfigSchema);
  if (!validator(data)) {
    const problems = describeErrors(validator.errors, input);
    throw new GkhError('CONFIG_INVALID', `receiver config invalid:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, { problems });
  }
  const cfg = data as ReceiverConfig;
  // Keys are checked now (key id against name and key, and the type), not at the first batch.
  const keyProblem = (path: string, vkey: string, type: number, what: string): string | undefined => {
    try {
      const k = parseVkey(vkey);
      if (k.type !== type) return `${path}: expected ${what} (type 0x0${type}), found type 0x0${k.type}`;
    } catch (e) {
      return `${path}: expected ${what}, found: ${(e as Error).message}`;
    }
    return undefined;
  };
  const bad = [
    ...cfg.gateways.map((g, i) => keyProblem(`/gateways/${i}/vkey`, g.vkey, SIG_ED25519, 'a gateway verifier key (opengkh log vkey)')),
    ...cfg.peers.map((p, i) => keyProblem(`/peers/${i}/vkey`, p.vkey, SIG_COSIGNATURE_V1, 'a receiver cosigner key (opengkh receiver vkey)')),
  ].filter((x): x is string => x !== undefined);
  if (bad.length > 0) throw new GkhError('CONFIG_INVALID', `receiver config invalid:\n${bad.map((b) => `  ${b}`).join('\n')}`, { problems: [] });
  const seen = new Set<string>();
  cfg.gateways.forEach((g, i) => {
    if (seen.has(g.id)) throw new GkhError('CONFIG_INVALID', `receiver config invalid:\n  /gateways/${i}/id: expected an id not used before, found ${JSON.stringify(g.id)}`, { problems: [] });
    seen.add(g.id);
  });
  cfg.dataDir = resolve(baseDir, cfg.dataDir);
  for (const k of ['ca', 'cert', 'key'] as const) if (cfg.broker.tls?.[k]) cfg.broker.tls[k] = resolve(baseDir, cfg.broker.tls[k]);
  if (cfg.broker.passwordFile) cfg.broker.passwordFile = resolve(baseDir, cfg.broker.passwordFile);
  return cfg;
}

/** Reads and validates a receiver config file. */
export function loadReceiverConfig(file: string): ReceiverConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GkhError('CONFIG_READ', `cannot read receiver config ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file }, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new GkhError('CONFIG_INVALID', `receiver config ${file} is not valid JSON: ${(e as Error).message}`, { file, problems: [] }, { cause: e });
  }
  return validateReceiverConfig(parsed, dirname(resolve(file)));
}
