/**
 * The one JSON Schema (draft 2020-12) of the whole gateway config. Every entry point
 * (`opengkh run`, `config check`, the Node-RED nodes) validates against it.
 * `additionalProperties: false` everywhere: a typo must never silently become a default.
 * `npm run build` writes it to `edge/config/gateway.schema.json` for editors; a test keeps both equal.
 */
import { regimeMapSchema } from '../regime/schema.js';

const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Identifier: letters, digits, . _ -' };
const ms = (def: number, description: string) => ({ type: 'integer', minimum: 0, maximum: 600_000, default: def, description });

const busCommon = {
  id,
  description: { type: 'string' },
  timeoutMs: ms(1000, 'Overall reply timeout per request, ms.'),
  interByteTimeoutMs: ms(50, 'Silence that ends a reply frame, ms.'),
  guardTimeMs: ms(50, 'Bus idle time between the end of one reply and the next request, ms.'),
  retries: { type: 'integer', minimum: 0, maximum: 10, default: 2, description: 'Retries per request after the first try.' },
} as const;

export const gatewayConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://opengkh.org/schema/gateway.schema.json',
  title: 'opengkh-edge gateway config',
  type: 'object',
  additionalProperties: false,
  required: ['gatewayId', 'timeZone', 'dataDir', 'buses', 'meters'],
  properties: {
    $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
    gatewayId: { ...id, description: 'Gateway identifier; the evidence log origin is derived from it.' },
    timeZone: { type: 'string', format: 'iana-time-zone', description: 'Site time zone (IANA), e.g. Asia/Yekaterinburg.' },
    dataDir: { type: 'string', minLength: 1, description: 'State directory (database gateway.db, keys); relative paths resolve against the config file.' },
    keys: {
      type: 'object',
      additionalProperties: false,
      properties: {
        signingKey: { type: 'string', default: 'keys/gateway.key', description: 'Ed25519 private key (PKCS#8 PEM), relative to dataDir.' },
      },
      default: {},
    },
    buses: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type'],
        properties: {
          ...busCommon,
          type: { enum: ['serial', 'tcp'], description: 'serial: a local port (RS-485 adapter, optical head); tcp: an RS-485-to-Ethernet converter.' },
          path: { type: 'string', minLength: 1, description: 'serial: device, e.g. /dev/ttyUSB0.' },
          baudRate: { type: 'integer', enum: [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200], description: 'serial: default 2400.' },
          parity: { enum: ['none', 'even', 'odd'], description: 'serial: default "even".' },
          dataBits: { enum: [7, 8], description: 'serial: default 8.' },
          stopBits: { enum: [1, 2], description: 'serial: default 1.' },
          host: { type: 'string', minLength: 1, description: 'tcp: converter host.' },
          port: { type: 'integer', minimum: 1, maximum: 65535, description: 'tcp: converter port.' },
        },
        allOf: [
          {
            if: { properties: { type: { const: 'serial' } } },
            then: { required: ['path'], properties: { host: false, port: false } },
          },
          {
            if: { properties: { type: { const: 'tcp' } } },
            then: { required: ['host', 'port'], properties: { path: false, baudRate: false, parity: false, dataBits: false, stopBits: false } },
          },
        ],
      },
    },
    meters: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'bus', 'protocol'],
        properties: {
          id,
          description: { type: 'string' },
          bus: { ...id, description: 'Id of a bus in `buses`.' },
          protocol: { enum: ['mbus', 'modbus', 'tsrv', 'karat', 'iec62056'] },
          address: {
            description: 'Primary address (M-Bus 0-250, Modbus 1-247), or an M-Bus secondary address (8 digits, wildcards F allowed), or an IEC 62056-21 device address.',
            oneOf: [
              { type: 'integer', minimum: 0, maximum: 250 },
              { type: 'string', pattern: '^[0-9A-Za-z ]{1,32}$' },
            ],
          },
          profile: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', description: 'Device profile name in edge/drivers/profiles.' },
          heatSystems: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['system'],
              properties: {
                system: { type: 'integer', minimum: 1, maximum: 8, description: 'Heat system number (ТС1, ТС2 …).' },
                name: { type: 'string' },
                regimeMap: { ...id, description: 'Id of a map in `regimeMaps`.' },
              },
            },
            default: [{ system: 1 }],
          },
          poll: {
            type: 'object',
            additionalProperties: false,
            properties: {
              hourlyOffsetMinutes: { type: 'integer', minimum: 0, maximum: 59, default: 5, description: 'Minutes after each hour the archive is read.' },
              currentIntervalSeconds: { type: 'integer', minimum: 5, maximum: 86400, default: 60, description: 'Interval of current-value reads for the status page.' },
              archiveDepthHours: { type: 'integer', minimum: 1, maximum: 100000, default: 1080, description: 'How far back to backfill after an outage (the meter\'s archive depth).' },
              clockDriftLimitSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 120, description: 'Meter clock drift beyond which an event is logged.' },
            },
            default: {},
          },
        },
      },
    },
    regimeMaps: { type: 'array', items: regimeMapSchema, default: [] },
    outdoorTemperature: {
      type: 'object',
      additionalProperties: false,
      description: 'Where the outdoor temperature for regime checks comes from.',
      properties: {
        source: { enum: ['meter', 'external'], default: 'meter' },
        meter: { ...id, description: 'Meter whose tOutdoor channel is used (source meter).' },
      },
      default: {},
    },
    destinations: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'role', 'url'],
        properties: {
          id,
          role: { type: 'string', minLength: 1, description: 'УК, РСО, or another party.', examples: ['УК', 'РСО'] },
          url: { type: 'string', pattern: '^(mqtts?|wss?)://', description: 'MQTT broker URL, e.g. mqtts://broker.uk.example:8883.' },
          topicPrefix: { type: 'string', pattern: '^[^#+]+$', default: 'opengkh', description: 'Topic prefix at this broker.' },
          clientId: { type: 'string' },
          username: { type: 'string' },
          password: { type: 'string' },
          passwordFile: { type: 'string', description: 'File holding the password (preferred to an inline password).' },
          protocolVersion: { enum: [4, 5], default: 5, description: 'MQTT 3.1.1 (4) or 5; the protocol needs only 3.1.1.' },
          receiverVkey: {
            type: 'string',
            pattern: '^[^+\\s]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/=]+$',
            description: "The receiver's cosigner key (`opengkh receiver vkey`): only its receipts move the cursor. Without it the first verified key is pinned.",
          },
          tls: {
            type: 'object',
            additionalProperties: false,
            properties: {
              ca: { type: 'string', description: 'CA certificate file (PEM).' },
              cert: { type: 'string', description: 'Client certificate file (PEM).' },
              key: { type: 'string', description: 'Client key file (PEM).' },
              rejectUnauthorized: { type: 'boolean', default: true },
            },
          },
          batch: {
            type: 'object',
            additionalProperties: false,
            properties: {
              maxEntries: { type: 'integer', minimum: 1, maximum: 100000, default: 500 },
              maxBytes: { type: 'integer', minimum: 1024, maximum: 67108864, default: 262144 },
              window: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'Unacknowledged batches in flight.' },
            },
            default: {},
          },
        },
      },
      default: [],
    },
    status: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: true },
        bind: { type: 'string', default: '0.0.0.0' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        basicAuth: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'passwordHash'],
          properties: {
            username: { type: 'string', minLength: 1 },
            passwordHash: { type: 'string', pattern: '^scrypt\\$', description: 'scrypt$<salt b64>$<hash b64>, made by `opengkh passwd`.' },
          },
        },
      },
      default: {},
    },
    nodeRed: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: false },
        bind: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 1880 },
        adminAuth: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'passwordHash'],
          properties: {
            username: { type: 'string', minLength: 1 },
            passwordHash: { type: 'string', pattern: '^\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}$', description: 'bcrypt hash as Node-RED adminAuth expects (`npx node-red admin hash-pw`).' },
          },
        },
      },
      default: {},
    },
  },
} as const;
