/**
 * The gateway runtime — the composition root of `opengkh run`: store, evidence log, poll (bus queues,
 * meter pollers, scheduler), regime checks, dual sync and the status page, started in that order and
 * stopped in reverse. Data flows one way: drivers → poll → store (+ regime verdicts) → log → sync.
 */
import { createHash } from 'node:crypto';
import { statfsSync, statSync } from 'node:fs';
import { EventBus } from './bus.js';
import { realClock, type Clock } from './clock.js';
import { dataPath, dbPath, validateConfig, type BusConfig, type GatewayConfig, type MeterConfig, type SchemaProblem } from './config/index.js';
import type { CurrentReading, HourlyRecord, MeterDriver, MeterIdentity, Transport } from './drivers/types.js';
import { GkhError, isGkhError } from './errors.js';
import type { GatewayHandle } from './handle.js';
import { fingerprint, loadOrCreateKey, type GatewayKey } from './keys/index.js';
import { canonicalize } from './log/index.js';
import { createLogger, type Logger } from './logger.js';
import { BusQueue, MeterPoller, Pipeline, samplesMigration, Scheduler } from './poll/index.js';
import { RegimeHook } from './poll/regime-hook.js';
import type { DestinationStatus, StatusSnapshot } from './status/types.js';
import { EvidenceLog } from './store/evidence.js';
import { getMeta, listCursors, openDb, recentEvents, setMeta, type Db } from './store/index.js';
import { VERSION } from './version.js';

/** Checkpoints are coalesced: one at most 1 s after new entries (a whole hourly cycle of meters → one). */
const CHECKPOINT_DELAY_MS = 1000;

/** Builds the driver of one meter over its bus's transport. */
export type DriverFactory = (meter: MeterConfig, transport: Transport, ctx: { bus: BusConfig; clock: Clock; timeZone?: string }) => MeterDriver;

/** A destination's delivery worker as the runtime sees it (edge/sync). */
export interface DeliveryWorker {
  readonly id: string;
  stop(): Promise<void>;
  /** New entries were appended (wake up now rather than at the next poll). */
  notify?(): void;
  status(): { connected: boolean; ackedSize: number; lastAckAt: number | null };
}

/** Starts (and returns, already running) the delivery workers for the configured destinations. */
export type SyncFactory = (ctx: { cfg: GatewayConfig; db: Db; log: EvidenceLog; key: GatewayKey; bus: EventBus; clock: Clock; logger: Logger }) => DeliveryWorker[];

export interface GatewayOptions {
  clock?: Clock;
  logger?: Logger;
  drivers: DriverFactory;
  sync?: SyncFactory;
  /** Start the hourly loops (false: tests drive `pollOnce`). Default true. */
  schedule?: boolean;
}

/** Secrets never leave the gateway, not even inside the evidence log's config.change entry. */
function withoutSecrets(cfg: GatewayConfig): Record<string, unknown> {
  const c = structuredClone(cfg) as unknown as Record<string, unknown>;
  for (const d of (c.destinations as Record<string, unknown>[]) ?? []) delete d.password;
  for (const k of ['status', 'nodeRed'] as const) {
    const s = c[k] as Record<string, unknown> | undefined;
    if (s) {
      delete s.basicAuth;
      delete s.adminAuth;
    }
  }
  return c;
}

/** sha256 hex of the canonical (RFC 8785) config without secrets. */
export function configHash(cfg: GatewayConfig): string {
  return createHash('sha256').update(canonicalize(withoutSecrets(cfg))).digest('hex');
}

export class Gateway implements GatewayHandle {
  readonly bus = new EventBus();
  readonly startedAt: number;
  private readonly queues = new Map<string, BusQueue>();
  private readonly pollers = new Map<string, MeterPoller>();
  private scheduler: Scheduler | undefined;
  private workers: DeliveryWorker[] = [];
  private pipeline!: Pipeline;
  private regime!: RegimeHook;
  private stopped = false;
  private wakeAttached = false;

  private constructor(
    public config: GatewayConfig,
    readonly db: Db,
    readonly log: EvidenceLog,
    readonly key: GatewayKey,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly opts: GatewayOptions,
  ) {
    this.startedAt = Date.now();
  }

  /** Opens the store and log, logs boot and config changes, starts polling, sync and (by the caller) the status page. */
  static async start(cfg: GatewayConfig, opts: GatewayOptions): Promise<Gateway> {
    const clock = opts.clock ?? realClock;
    const logger = opts.logger ?? createLogger('edge');
    const { key, created } = loadOrCreateKey(dataPath(cfg, cfg.keys.signingKey));
    if (created) logger.info('gateway key created', { fingerprint: fingerprint(key.publicRaw) });
    const db = openDb(dbPath(cfg), { extraMigrations: [samplesMigration] });
    const log = EvidenceLog.open(db, { gatewayId: cfg.gatewayId, privateKey: key.privateKey, now: () => clock.now() });
    const gw = new Gateway(cfg, db, log, key, clock, logger, opts);
    gw.boot();
    gw.startPolling();
    gw.startSync();
    logger.info('gateway started', { gatewayId: cfg.gatewayId, version: VERSION, meters: cfg.meters.length, destinations: cfg.destinations.length, logSize: log.size, fingerprint: fingerprint(key.publicRaw) });
    return gw;
  }

  private boot(): void {
    this.regime = new RegimeHook(this.config, this.db, () => this.clock.now());
    this.pipeline = new Pipeline(this.db, this.log, { gatewayId: this.config.gatewayId, timeZone: this.config.timeZone, clock: this.clock, bus: this.bus, verdicts: this.regime.verdicts, checkpointDelayMs: CHECKPOINT_DELAY_MS });
    this.pipeline.storeEvent({ at: this.clock.now(), type: 'gateway.boot', data: { version: VERSION, keyFingerprint: fingerprint(this.key.publicRaw), pid: process.pid } });
    this.logConfigIfChanged();
  }

  private logConfigIfChanged(): void {
    const hash = configHash(this.config);
    if (getMeta(this.db, 'config.hash') === hash) return;
    this.pipeline.storeEvent({ at: this.clock.now(), type: 'config.change', data: { hash, config: withoutSecrets(this.config) } });
    setMeta(this.db, 'config.hash', hash);
    this.logger.info('config change logged', { hash });
  }

  private startPolling(): void {
    for (const b of this.config.buses) {
      const transport = this.transportFor(b);
      this.queues.set(b.id, new BusQueue(transport, { guardTimeMs: b.guardTimeMs }));
    }
    for (const m of this.config.meters) {
      const bus = this.config.buses.find((b) => b.id === m.bus)!;
      const queue = this.queues.get(m.bus)!;
      const driver = this.opts.drivers(m, queue.transport, { bus, clock: this.clock, timeZone: this.config.timeZone });
      this.pollers.set(m.id, new MeterPoller(m, { queue, driver, pipeline: this.pipeline, db: this.db, clock: this.clock, bus: this.bus, log: this.logger.child('poll') }));
    }
    if (this.opts.schedule !== false) {
      this.scheduler = new Scheduler([...this.pollers.values()], this.clock, this.logger.child('poll'));
      this.scheduler.start();
    }
  }

  private transportFor(bus: BusConfig): Transport {
    // Resolved lazily so tests and the Node-RED palette can load this module without serial bindings.
    return transportFactory(bus);
  }

  private startSync(): void {
    if (!this.opts.sync) return;
    this.workers = this.opts.sync({ cfg: this.config, db: this.db, log: this.log, key: this.key, bus: this.bus, clock: this.clock, logger: this.logger.child('sync') });
    if (this.wakeAttached) return;
    this.wakeAttached = true;
    const wake = () => this.workers.forEach((w) => w.notify?.());
    this.bus.on('hourly', wake);
    this.bus.on('event', wake);
  }

  /** One cycle of every meter (tests, and `opengkh read`-like use). */
  async pollOnce(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((p) => p.cycle()));
  }

  /** Stops polling after the transaction in progress, then sync, then closes the store. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.scheduler?.stop();
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.pipeline.flush();
    await Promise.allSettled(this.workers.map((w) => w.stop()));
    const size = this.log.size;
    try {
      if (size > (this.log.latestCheckpoint()?.size ?? 0)) this.log.checkpoint();
    } finally {
      this.db.close();
    }
    this.logger.info('gateway stopped', { logSize: size });
  }

  /** Null when healthy, else why not (for /healthz). */
  health(): string | null {
    if (this.stopped) return 'stopping';
    if (!this.db.open) return 'store closed';
    return null;
  }

  // --- GatewayHandle -------------------------------------------------------------------------------

  readMeter(meterId: string, what: 'identify'): Promise<MeterIdentity>;
  readMeter(meterId: string, what: 'current'): Promise<CurrentReading>;
  readMeter(meterId: string, what: { fromHour: number; toHour: number }): Promise<HourlyRecord[]>;
  readMeter(meterId: string, what: 'identify' | 'current' | { fromHour: number; toHour: number }): Promise<unknown> {
    const m = this.config.meters.find((x) => x.id === meterId);
    if (!m) return Promise.reject(new GkhError('CONFIG_INVALID', `no meter "${meterId}" in the config / прибор не найден`, { meterId }));
    const q = this.queues.get(m.bus)!;
    const bus = this.config.buses.find((b) => b.id === m.bus)!;
    const driver = this.opts.drivers(m, q.transport, { bus, clock: this.clock, timeZone: this.config.timeZone });
    if (what === 'identify') return q.run(() => driver.identify());
    if (what === 'current') return q.run(() => driver.readCurrent());
    return q.run(() => driver.readHourly(what.fromHour, what.toHour));
  }

  setOutdoorTemperature(celsius: number, at: number, source: string): void {
    this.regime.feedOutdoor(at, celsius);
    this.logger.debug('outdoor temperature', { celsius, at, source });
  }

  async applyConfig(candidate: unknown): Promise<{ ok: true } | { ok: false; problems: SchemaProblem[] }> {
    let next: GatewayConfig;
    try {
      next = validateConfig(candidate, this.config.dataDir);
    } catch (e) {
      if (isGkhError(e, 'CONFIG_INVALID')) return { ok: false, problems: (e.context.problems as SchemaProblem[]) ?? [] };
      throw e;
    }
    // Identity and storage are not changed by a flow deploy.
    next.gatewayId = this.config.gatewayId;
    next.dataDir = this.config.dataDir;
    next.keys = this.config.keys;
    await this.scheduler?.stop();
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    this.pollers.clear();
    const destinationsChanged = canonicalize(next.destinations) !== canonicalize(this.config.destinations);
    this.config = next;
    if (destinationsChanged) {
      await Promise.allSettled(this.workers.map((w) => w.stop()));
      this.workers = [];
      this.startSync();
    }
    this.regime = new RegimeHook(next, this.db, () => this.clock.now());
    this.pipeline.flush();
    this.pipeline = new Pipeline(this.db, this.log, { gatewayId: next.gatewayId, timeZone: next.timeZone, clock: this.clock, bus: this.bus, verdicts: this.regime.verdicts, checkpointDelayMs: CHECKPOINT_DELAY_MS });
    this.logConfigIfChanged();
    this.startPolling();
    return { ok: true };
  }

  status(): StatusSnapshot {
    const now = this.clock.now();
    const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : new Date(ms).toISOString());
    const stored = new Map<string, number>();
    for (const r of this.db.prepare('SELECT meter_id, system, COUNT(*) AS n FROM readings GROUP BY meter_id, system').all() as { meter_id: string; system: number; n: number }[]) stored.set(`${r.meter_id}:${r.system}`, r.n);
    const meters = this.config.meters.map((m) => {
      const s = this.pollers.get(m.id)?.state;
      const cur = s?.current;
      const values: Record<string, { value: number; unit: string }> = {};
      for (const sys of cur?.systems ?? []) for (const [k, v] of Object.entries(sys.values)) values[cur!.systems.length > 1 ? `${k}(${sys.system})` : k] = v;
      return {
        id: m.id,
        ...(m.description !== undefined ? { description: m.description } : {}),
        protocol: m.protocol,
        bus: m.bus,
        link: s?.link ?? 'unknown',
        mode: s?.mode ?? 'unknown',
        ...(s?.lastOkAt ? { lastOkAt: iso(s.lastOkAt)! } : {}),
        ...(s?.lastError ? { lastError: { code: s.lastError.code, message: s.lastError.message, at: iso(s.lastError.at)! } } : {}),
        systems: m.heatSystems.map((h) => {
          const last = s?.lastHour[h.system];
          const verdicts = this.regime.summary(m.id, h.system);
          return { system: h.system, ...(h.name ? { name: h.name } : {}), ...(last !== undefined ? { lastHour: iso(last * 1000)! } : {}), storedHours: stored.get(`${m.id}:${h.system}`) ?? 0, ...(verdicts ? { verdicts } : {}) };
        }),
        ...(cur ? { current: { readAt: iso(cur.readAt)!, values } } : {}),
        ...(s?.clockDriftSeconds !== undefined ? { clockDriftSeconds: s.clockDriftSeconds } : {}),
        ...(s?.identity ? { identity: Object.fromEntries(Object.entries(s.identity).filter(([, v]) => v !== undefined)) as { serial: string; model: string } } : {}),
        polls: s?.polls ?? 0,
        errors: { ...(s?.errors ?? {}) },
      };
    });
    const size = this.log.size;
    const cursors = new Map(listCursors(this.db).map((c) => [c.destination, c]));
    const destinations: DestinationStatus[] = this.config.destinations.map((d) => {
      const w = this.workers.find((x) => x.id === d.id)?.status();
      const c = cursors.get(d.id);
      const acked = Math.max(w?.ackedSize ?? 0, c?.ackedSize ?? 0);
      const oldest = acked < size ? (this.db.prepare("SELECT MIN(hour_start) AS h FROM readings WHERE log_index >= ?").get(acked) as { h: number | null }).h : null;
      const lastCos = this.db.prepare("SELECT json_extract(entry, '$.at') AS at FROM log_entries WHERE json_extract(entry, '$.type') = 'cosignature' AND json_extract(entry, '$.body.destination') = ? ORDER BY idx DESC LIMIT 1").get(d.id) as { at: string } | undefined;
      return {
        id: d.id,
        role: d.role,
        connected: w?.connected ?? false,
        ackedSize: acked,
        backlogEntries: size - acked,
        backlogHours: oldest === null ? 0 : Math.max(0, Math.round((now / 1000 - oldest) / 3600)),
        ...(c?.ackedAt ? { lastAckAt: iso(c.ackedAt)! } : {}),
        ...(lastCos ? { lastCosignatureAt: lastCos.at } : {}),
      };
    });
    let disk: StatusSnapshot['gateway']['disk'] = null;
    try {
      const st = statfsSync(this.config.dataDir);
      disk = { freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize };
    } catch {
      disk = null;
    }
    let storeBytes = 0;
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        storeBytes += statSync(dbPath(this.config) + suffix).size;
      } catch {
        // file absent
      }
    }
    const cp = this.log.latestCheckpoint();
    return {
      gateway: {
        id: this.config.gatewayId,
        version: VERSION,
        keyFingerprint: fingerprint(this.key.publicRaw),
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
        now: new Date(now).toISOString(),
        timeZone: this.config.timeZone,
        ntpSynchronized: ntpState(),
        disk,
        logSize: size,
        ...(cp ? { lastCheckpointAt: new Date(cp.createdAt).toISOString() } : {}),
        storeBytes,
      },
      meters,
      destinations,
      events: recentEvents(this.db, 20).map((e) => ({ at: new Date(e.at).toISOString(), type: e.type, ...(e.meterId ? { meterId: e.meterId } : {}), summary: summarize(e.type, e.data) })),
    };
  }
}

/** systemd-timesyncd's flag file; null when this system does not say. */
function ntpState(): boolean | null {
  try {
    statSync('/run/systemd/timesync/synchronized');
    return true;
  } catch {
    try {
      statSync('/run/systemd/timesync');
      return false;
    } catch {
      return null;
    }
  }
}

function summarize(type: string, d: Record<string, unknown>): string {
  switch (type) {
    case 'comm.lost':
      return `${String(d.code ?? '')} ${String(d.message ?? '')}`.trim();
    case 'regime.verdict': {
      const word: Record<string, string> = { ok: 'норма / ok', below: 'ниже / below', above: 'выше / above', 'no-data': 'нет данных / no data' };
      const w = (v: unknown) => (v === null || v === undefined ? '—' : (word[String(v)] ?? String(v)));
      return `ТС${String(d.system)} ${String(d.param)}: ${w(d.from)} → ${w(d.to)} (${String(d.measured ?? '—')} / ${String(d.expected ?? '—')})`;
    }
    case 'clock.drift':
      return `${String(d.driftSeconds)} s`;
    case 'meter.identity':
      return `№ ${String(d.serial)} ${String(d.model)}`;
    case 'config.change':
      return String(d.hash ?? '').slice(0, 16);
    case 'gateway.boot':
      return `v${String(d.version ?? '')}`;
    case 'cosignature':
      return `${String(d.destination ?? '')} size ${String(d.size ?? '')}`;
    default:
      return '';
  }
}

let transportFactory: (bus: BusConfig) => Transport = () => {
  throw new GkhError('CONFIG_INVALID', 'no transport factory set');
};
/** Sets how buses become transports (edge/drivers/transport's openTransport in production). */
export function setTransportFactory(f: (bus: BusConfig) => Transport): void {
  transportFactory = f;
}
