/**
 * One sync worker per destination: its own MQTT connection (3.1.1 or 5, TLS, credentials, persistent
 * session), batches of entries + covering checkpoint at QoS 1, a window of unacknowledged batches, and a
 * cursor that moves only on the receiver's application ack (stored size + verified cosignature), never on
 * the broker's PUBACK. Workers share nothing but the log, so a slow, down or misbehaving destination
 * never delays another.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { DestinationConfig } from '../config/types.js';
import { GkhError } from '../errors.js';
import type { Db } from '../store/db.js';
import { getCursor, setCursor } from '../store/cursors.js';
import { getMeta, setMeta } from '../store/meta.js';
import { verifyReceipt } from './cosign.js';
import { BATCH_OVERHEAD_BYTES, PROTOCOL_VERSION, decodeAck, encode, jsonStringBytes, topic, type AckPayload, type BatchPayload, type StatePayload } from './protocol.js';
import type { SyncLog } from './types.js';

/** Options of a worker. Times in ms. */
export interface WorkerOptions {
  gatewayId: string;
  destination: DestinationConfig;
  db: Db;
  log: SyncLog;
  /** Check the log for new checkpoints this often (also call `notify()` after appends). Default 1000. */
  pollMs?: number;
  /** Resend from the cursor when the oldest batch in flight has no ack for this long. Default 30000. */
  ackTimeoutMs?: number;
  /** Pause after a `rejected` ack before trying again from the cursor. Default 30000. */
  rejectBackoffMs?: number;
  /** Log a receipt at most this often while a backlog drains (always when caught up). Default 60000. */
  receiptIntervalMs?: number;
  /** Gateway clock (unix ms) for recorded times: ack time, state payloads. Default Date.now. */
  clock?: () => number;
  /** MQTT reconnect period. Default 1000. */
  reconnectMs?: number;
}

interface InFlight {
  seq: number;
  from: number;
  to: number;
  sentAt: number;
  hasData: boolean;
}

/** A worker's observable state (status page, tests). */
export interface WorkerStatus {
  destination: string;
  role: string;
  connected: boolean;
  ackedSize: number;
  inFlight: number;
  nextFrom: number;
  lastAckAt: number | null;
  lastError: string | null;
  batchesSent: number;
  /** Payload bytes of all batches published (MQTT framing excluded). */
  bytesSent: number;
  acks: number;
}

/**
 * Events: `ack` (AckPayload, after handling), `problem` (GkhError: bad ack, rejection, broker error),
 * `connect`, `offline`, `caughtUp` (ackedSize), `batch` (the payload Buffer, as published).
 */
export class SyncWorker extends EventEmitter {
  readonly id: string;
  private client: MqttClient | undefined;
  private readonly o: Required<Omit<WorkerOptions, 'destination' | 'db' | 'log' | 'gatewayId'>> & WorkerOptions;
  private readonly inflight = new Map<number, InFlight>();
  private seq = 0;
  /** Acks for batches numbered below this belong to an abandoned window: they move the cursor only. */
  private epochSeq = 0;
  private nextFrom = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastReceiptAt = 0;
  private readonly st: WorkerStatus;
  private readonly topics: { batch: string; ack: string; state: string };

  constructor(opts: WorkerOptions) {
    super();
    this.o = { pollMs: 1000, ackTimeoutMs: 30_000, rejectBackoffMs: 30_000, receiptIntervalMs: 60_000, reconnectMs: 1000, clock: Date.now, ...opts };
    const d = opts.destination;
    this.id = d.id;
    this.topics = { batch: topic(d.topicPrefix, opts.gatewayId, 'batch'), ack: topic(d.topicPrefix, opts.gatewayId, 'ack'), state: topic(d.topicPrefix, opts.gatewayId, 'state') };
    const c = getCursor(opts.db, d.id);
    this.nextFrom = c.ackedSize;
    this.st = { destination: d.id, role: d.role, connected: false, ackedSize: c.ackedSize, inFlight: 0, nextFrom: c.ackedSize, lastAckAt: c.ackedAt, lastError: null, batchesSent: 0, bytesSent: 0, acks: 0 };
  }

  /** Current state (a copy). */
  status(): WorkerStatus {
    return { ...this.st, inFlight: this.inflight.size, nextFrom: this.nextFrom };
  }

  private mqttOptions(): IClientOptions {
    const d = this.o.destination;
    const will: StatePayload = { v: PROTOCOL_VERSION, kind: 'state', gw: this.o.gatewayId, state: 'offline', at: this.o.clock() };
    const opts: IClientOptions = {
      protocolVersion: d.protocolVersion,
      clientId: d.clientId ?? `opengkh-${this.o.gatewayId}-${d.id}`,
      // Persistent session: the broker keeps our ack subscription and queues acks while we are away.
      clean: false,
      reconnectPeriod: this.o.reconnectMs,
      connectTimeout: 10_000,
      keepalive: 30,
      resubscribe: true,
      will: { topic: this.topics.state, payload: encode(will), qos: 1, retain: true },
    };
    // MQTT 5 §3.1.2.11.2: without a Session Expiry Interval the session ends with the connection.
    if (d.protocolVersion === 5) opts.properties = { sessionExpiryInterval: 7 * 24 * 3600 };
    if (d.username !== undefined) opts.username = d.username;
    if (d.password !== undefined) opts.password = d.password;
    else if (d.passwordFile !== undefined) opts.password = readFileSync(d.passwordFile, 'utf8').trim();
    if (d.tls) {
      if (d.tls.ca) opts.ca = readFileSync(d.tls.ca);
      if (d.tls.cert) opts.cert = readFileSync(d.tls.cert);
      if (d.tls.key) opts.key = readFileSync(d.tls.key);
      opts.rejectUnauthorized = d.tls.rejectUnauthorized;
    }
    return opts;
  }

  /** Connects and starts draining. Returns at once; the connection retries on its own. */
  start(): void {
    if (this.client) return;
    const client = mqtt.connect(this.o.destination.url, this.mqttOptions());
    this.client = client;
    client.on('connect', () => {
      this.st.connected = true;
      const online: StatePayload = { v: PROTOCOL_VERSION, kind: 'state', gw: this.o.gatewayId, state: 'online', at: this.o.clock(), size: this.o.log.checkpointedSize() };
      client.publish(this.topics.state, encode(online), { qos: 1, retain: true });
      client.subscribe(this.topics.ack, { qos: 1 }, (err) => {
        if (err) this.problem(new GkhError('SYNC_BROKER', `subscribe ${this.topics.ack} failed: ${err.message}`, { destination: this.id }));
      });
      // A new connection starts a new window from the cursor: whatever was in flight may be lost or
      // duplicated; receivers are idempotent by index and answer a gap with their real size.
      this.resetWindow(getCursor(this.o.db, this.id).ackedSize);
      this.emit('connect');
      this.pump();
    });
    client.on('offline', () => {
      this.st.connected = false;
      this.emit('offline');
    });
    client.on('close', () => (this.st.connected = false));
    client.on('error', (e) => this.problem(new GkhError('SYNC_BROKER', `${this.o.destination.url}: ${e.message}`, { destination: this.id })));
    client.on('message', (t, payload) => {
      if (t !== this.topics.ack) return;
      try {
        this.onAck(decodeAck(payload));
      } catch (e) {
        this.problem(e instanceof GkhError ? e : new GkhError('SYNC_ACK', String(e), { destination: this.id }));
      }
    });
    this.timer = setInterval(() => this.tick(), this.o.pollMs);
  }

  /** Tells the worker the log has grown (cheaper than waiting for the poll). */
  notify(): void {
    this.pump();
  }

  /** Publishes the offline state and disconnects (the last will covers a crash). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    if (c.connected) {
      const off: StatePayload = { v: PROTOCOL_VERSION, kind: 'state', gw: this.o.gatewayId, state: 'offline', at: this.o.clock() };
      await c.publishAsync(this.topics.state, encode(off), { qos: 1, retain: true }).catch(() => undefined);
    }
    await c.endAsync();
  }

  private problem(e: GkhError): void {
    this.st.lastError = `${e.code}: ${e.message}`;
    if (this.listenerCount('problem') > 0) this.emit('problem', e);
  }

  private resetWindow(from: number): void {
    this.inflight.clear();
    this.epochSeq = this.seq + 1;
    this.nextFrom = Math.min(from, this.o.log.checkpointedSize());
  }

  private tick(): void {
    const oldest = [...this.inflight.values()].reduce<InFlight | undefined>((a, b) => (a && a.sentAt <= b.sentAt ? a : b), undefined);
    // Offline, nothing can arrive; the reconnect restarts the window anyway.
    if (oldest && this.client?.connected && Date.now() - oldest.sentAt > this.o.ackTimeoutMs) {
      this.problem(new GkhError('SYNC_ACK_TIMEOUT', `no ack for batch ${oldest.seq} [${oldest.from}, ${oldest.to}) within ${this.o.ackTimeoutMs} ms; resending from the cursor`, { destination: this.id }));
      this.resetWindow(getCursor(this.o.db, this.id).ackedSize);
    }
    this.pump();
  }

  /** Sends batches while the window has room and the log has checkpointed entries beyond `nextFrom`. */
  private pump(): void {
    const c = this.client;
    if (!c?.connected || Date.now() < this.pausedUntil) return;
    const { maxEntries, maxBytes, window } = this.o.destination.batch;
    while (this.inflight.size < window) {
      const end = this.o.log.checkpointedSize();
      const from = this.nextFrom;
      if (from >= end) break;
      // Entries that fit the byte limit (the first always goes: a batch cannot be empty).
      const candidates = this.o.log.entries(from, Math.min(end, from + maxEntries));
      let bytes = BATCH_OVERHEAD_BYTES + 4096;
      let fit = 0;
      for (const e of candidates) {
        bytes += jsonStringBytes(e);
        if (bytes > maxBytes && fit > 0) break;
        fit++;
      }
      const cp = this.o.log.checkpointFor(from, from + fit);
      if (!cp) break;
      const entries = cp.size <= from + candidates.length ? candidates.slice(0, cp.size - from) : this.o.log.entries(from, cp.size);
      const seq = ++this.seq;
      const batch: BatchPayload = { v: PROTOCOL_VERSION, kind: 'batch', gw: this.o.gatewayId, dest: this.id, seq, from, entries, checkpoints: this.o.log.checkpointsIn(from, cp.size) };
      let hasData = false;
      for (let i = from; i < cp.size && !hasData; i++) hasData = this.o.log.entryType(i) !== 'cosignature';
      this.inflight.set(seq, { seq, from, to: cp.size, sentAt: Date.now(), hasData });
      this.nextFrom = cp.size;
      this.st.batchesSent++;
      const payload = encode(batch);
      this.st.bytesSent += payload.length;
      if (this.listenerCount('batch') > 0) this.emit('batch', payload);
      c.publish(this.topics.batch, payload, { qos: 1 }, (err) => {
        // A PUBACK only means the broker has it; the cursor waits for the receiver's ack.
        if (err) this.problem(new GkhError('SYNC_BROKER', `publish of batch ${seq} failed: ${err.message}`, { destination: this.id }));
      });
    }
  }

  private onAck(a: AckPayload): void {
    if (a.gw !== this.o.gatewayId || a.dest !== this.id) return; // another gateway's or destination's ack on a shared topic
    this.st.acks++;
    const b = this.inflight.get(a.seq);
    const current = this.epochSeq <= a.seq ? b : undefined;
    if (b) this.inflight.delete(a.seq);
    if (a.status === 'rejected') {
      this.problem(new GkhError('SYNC_REJECTED', `receiver rejected batch ${a.seq}: ${a.code ?? '?'}: ${a.reason ?? ''}`, { destination: this.id, code: a.code, reason: a.reason, size: a.size }));
      if (current) {
        this.pausedUntil = Date.now() + this.o.rejectBackoffMs;
        this.resetWindow(getCursor(this.o.db, this.id).ackedSize);
      }
      this.emit('ack', a);
      return;
    }
    const logSize = this.o.log.checkpointedSize();
    if (a.size > logSize) {
      this.problem(new GkhError('SYNC_ACK', `receiver claims size ${a.size} beyond our log (${logSize}); ignored`, { destination: this.id, expected: logSize, got: a.size }));
      return;
    }
    const before = getCursor(this.o.db, this.id).ackedSize;
    const ok = a.size > before && a.cosignature !== null ? this.advance(a, before) : true;
    const after = getCursor(this.o.db, this.id).ackedSize;
    if (!ok) {
      // A receipt that does not verify is no receipt: pause, then start again from the cursor.
      if (current) {
        this.pausedUntil = Date.now() + this.o.rejectBackoffMs;
        this.resetWindow(after);
      }
      this.emit('ack', a);
      return;
    }
    if (current && !(a.status === 'stored' && a.size === current.to)) {
      // The receiver holds something other than what this batch assumed: resend from its real size.
      this.resetWindow(a.size);
    } else if (!current && this.inflight.size === 0 && this.nextFrom < after) {
      this.nextFrom = after;
    }
    this.emit('ack', a);
    if (after >= logSize && this.inflight.size === 0) this.emit('caughtUp', after);
    this.pump();
  }

  /** Verifies the cosignature over our own checkpoint of `a.size`, moves the cursor, logs a receipt. */
  private advance(a: AckPayload, before: number): boolean {
    const cp = this.o.log.checkpointAt(a.size);
    if (!cp) {
      this.problem(new GkhError('SYNC_ACK', `ack size ${a.size} is not one of our checkpoint sizes; ignored`, { destination: this.id, size: a.size }));
      return false;
    }
    const pinKey = `sync.vkey.${this.id}`;
    // The config's receiverVkey wins; without it, trust on first use (below).
    const pinned = this.o.destination.receiverVkey ?? getMeta(this.o.db, pinKey);
    if (pinned !== undefined && pinned !== a.vkey) {
      this.problem(new GkhError('SYNC_VKEY', `ack signed by ${a.vkey}, but destination ${this.id} is pinned to ${pinned}; ignored`, { destination: this.id, expected: pinned, got: a.vkey }));
      return false;
    }
    let timestamp: number;
    let body: string;
    try {
      ({ timestamp, body } = verifyReceipt(a.vkey, cp.note, a.cosignature!));
    } catch (e) {
      this.problem(new GkhError('SYNC_COSIGNATURE', `cosignature for size ${a.size} does not verify: ${(e as Error).message}`, { destination: this.id, size: a.size }, { cause: e }));
      return false;
    }
    // Trust on first use: the first verified key is pinned for this destination.
    if (pinned === undefined) setMeta(this.o.db, pinKey, a.vkey);
    const now = Date.now();
    // Recorded on the gateway clock (simulated in the demo and tests); intervals stay on real time.
    const ackedAt = this.o.clock();
    setCursor(this.o.db, this.id, a.size, a.cosignature, ackedAt);
    this.st.ackedSize = a.size;
    this.st.lastAckAt = ackedAt;
    // Receipts travel in the log to the other parties. Only for ranges holding data (a receipt for
    // receipts would echo forever), at most every receiptIntervalMs while draining, always when caught up.
    let hasData = false;
    for (let i = before; i < a.size && !hasData; i++) hasData = this.o.log.entryType(i) !== 'cosignature';
    // Caught up = nothing but receipts beyond what this receiver holds.
    let caughtUp = true;
    for (let i = a.size, n = this.o.log.checkpointedSize(); i < n && caughtUp; i++) caughtUp = this.o.log.entryType(i) === 'cosignature';
    if (hasData && (caughtUp || now - this.lastReceiptAt >= this.o.receiptIntervalMs)) {
      this.lastReceiptAt = now;
      this.o.log.appendReceipt({ destination: this.id, role: this.o.destination.role, size: a.size, checkpoint: body, cosignature: a.cosignature!, vkey: a.vkey, timestamp });
    }
    return true;
  }
}
