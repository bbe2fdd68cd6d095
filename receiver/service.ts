/**
 * The receiver process: one MQTT connection (3.1.1 or 5, TLS, credentials, persistent session),
 * a subscription to every gateway's batches (optionally as `$share/<group>/…`), and for each batch
 * the verdict of `Receiver.handle`, its ack published at QoS 1 after the store committed.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { loadOrCreateKey } from '../edge/keys/keys.js';
import { batchFilter, encode } from '../edge/sync/protocol.js';
import type { ReceiverConfig } from './config.js';
import { Receiver } from './receiver.js';

/** Most batches committed together. */
const MAX_GROUP = 16;

/** Writes one log line (ISO time, then text) to a sink. */
export type LogLine = (line: string) => void;

export class ReceiverService {
  readonly receiver: Receiver;
  private client: MqttClient | undefined;
  private readonly pending: { topic: string; payload: Buffer }[] = [];

  constructor(
    readonly cfg: ReceiverConfig,
    private readonly out: LogLine,
  ) {
    const { key } = loadOrCreateKey(resolve(cfg.dataDir, cfg.signingKey));
    this.receiver = new Receiver(cfg, key);
  }

  private options(): IClientOptions {
    const b = this.cfg.broker;
    const clientId = b.clientId ?? (b.shareGroup ? `opengkh-rx-${this.cfg.receiverId}-${hostname()}-${process.pid}` : `opengkh-rx-${this.cfg.receiverId}`);
    const o: IClientOptions = { protocolVersion: b.protocolVersion, clientId, clean: false, reconnectPeriod: 1000, keepalive: 30, resubscribe: true };
    // MQTT 5 §3.1.2.11.2: keep the session (queued batches) for a week while the receiver is away.
    if (b.protocolVersion === 5) o.properties = { sessionExpiryInterval: 7 * 24 * 3600 };
    if (b.username !== undefined) o.username = b.username;
    if (b.password !== undefined) o.password = b.password;
    else if (b.passwordFile !== undefined) o.password = readFileSync(b.passwordFile, 'utf8').trim();
    if (b.tls) {
      if (b.tls.ca) o.ca = readFileSync(b.tls.ca);
      if (b.tls.cert) o.cert = readFileSync(b.tls.cert);
      if (b.tls.key) o.key = readFileSync(b.tls.key);
      o.rejectUnauthorized = b.tls.rejectUnauthorized;
    }
    return o;
  }

  /** Connects and serves until `stop()`. Resolves once subscribed for the first time. */
  start(): Promise<void> {
    const b = this.cfg.broker;
    const filter = batchFilter(b.topicPrefix, b.shareGroup);
    const client = mqtt.connect(b.url, this.options());
    this.client = client;
    client.on('message', (topic, payload) => {
      // Batches that arrive together are handled together (group commit), in arrival order.
      this.pending.push({ topic, payload });
      if (this.pending.length === 1) setImmediate(() => this.flush(client));
    });
    client.on('error', (e) => this.out(`broker error: ${e.message}`));
    client.on('offline', () => this.out('broker offline; reconnecting'));
    return new Promise((res) => {
      client.on('connect', (ack) => {
        client.subscribe(filter, { qos: 1 }, (err) => {
          if (err) this.out(`subscribe ${filter} failed: ${err.message}`);
          else {
            this.out(`subscribed ${filter} at ${b.url} (session present: ${ack.sessionPresent}); key ${this.receiver.vkey}`);
            res();
          }
        });
      });
    });
  }

  private flush(client: MqttClient): void {
    const items = this.pending.splice(0, MAX_GROUP);
    if (this.pending.length > 0) setImmediate(() => this.flush(client));
    let results;
    try {
      results = this.receiver.handleMany(items);
    } catch (e) {
      // A store failure (disk full, I/O, lock timeout): nothing was committed; no ack, the gateway resends.
      this.out(`error handling ${items.length} message(s): ${(e as Error).message}`);
      return;
    }
    for (const r of results) {
      this.out(r.line);
      // Committed: publish without waiting for the broker's PUBACK (mqtt.js keeps the order; a lost
      // ack only makes the gateway resend, answered as duplicate).
      if (r.ack && r.ackTopic) client.publish(r.ackTopic, encode(r.ack), { qos: 1 }, (e) => e && this.out(`ack publish failed: ${e.message}`));
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync();
    this.receiver.close();
  }
}
