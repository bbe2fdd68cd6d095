/**
 * A small GatewayHandle for tests of the Node-RED layer without the poll runtime: the real event bus, the
 * real config validation (validateConfig) for applyConfig, and recorders for what the nodes ask of the
 * gateway. Not used in production.
 */
import { EventBus } from '../bus.js';
import { validateConfig, type GatewayConfig, type SchemaProblem } from '../config/index.js';
import type { CurrentReading, HourlyRecord, MeterIdentity } from '../drivers/types.js';
import { GkhError, isGkhError } from '../errors.js';
import type { GatewayHandle } from '../handle.js';
import type { StatusSnapshot } from '../status/types.js';

export type ReadRequest = 'identify' | 'current' | { fromHour: number; toHour: number };

export class TestGateway implements GatewayHandle {
  config: GatewayConfig;
  readonly bus = new EventBus();
  /** Every config applied, in order. */
  readonly applied: GatewayConfig[] = [];
  readonly reads: { meterId: string; what: ReadRequest }[] = [];
  readonly outdoor: { celsius: number; at: number; source: string }[] = [];
  /** What readMeter answers (set by a test); a meter not in the config fails with DRIVER_UNKNOWN_METER. */
  answer: (meterId: string, what: ReadRequest) => Promise<unknown> = () => Promise.reject(new GkhError('TRANSPORT_TIMEOUT', 'no reply'));
  private readonly startedAt = Date.now();

  constructor(config: unknown) {
    this.config = validateConfig(config);
  }

  readMeter(meterId: string, what: 'identify'): Promise<MeterIdentity>;
  readMeter(meterId: string, what: 'current'): Promise<CurrentReading>;
  readMeter(meterId: string, what: { fromHour: number; toHour: number }): Promise<HourlyRecord[]>;
  readMeter(meterId: string, what: ReadRequest): Promise<unknown> {
    this.reads.push({ meterId, what });
    if (!this.config.meters.some((m) => m.id === meterId)) return Promise.reject(new GkhError('DRIVER_UNKNOWN_METER', `no meter ${meterId}`, { meterId }));
    return this.answer(meterId, what);
  }

  setOutdoorTemperature(celsius: number, at: number, source: string): void {
    this.outdoor.push({ celsius, at, source });
  }

  status(): StatusSnapshot {
    const now = new Date();
    return {
      gateway: {
        id: this.config.gatewayId,
        version: 'test',
        keyFingerprint: 'SHA256:test',
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeSeconds: Math.floor((now.getTime() - this.startedAt) / 1000),
        now: now.toISOString(),
        timeZone: this.config.timeZone,
        ntpSynchronized: null,
        disk: null,
        logSize: 0,
        storeBytes: 0,
      },
      meters: this.config.meters.map((m) => ({ id: m.id, protocol: m.protocol, bus: m.bus, link: 'unknown', mode: 'unknown', systems: m.heatSystems.map((h) => ({ system: h.system, storedHours: 0 })), polls: 0, errors: {} })),
      destinations: [],
      events: [],
    };
  }

  applyConfig(candidate: unknown): Promise<{ ok: true } | { ok: false; problems: SchemaProblem[] }> {
    try {
      this.config = validateConfig(candidate, this.config.dataDir);
    } catch (e) {
      if (isGkhError(e, 'CONFIG_INVALID')) return Promise.resolve({ ok: false, problems: e.context.problems as SchemaProblem[] });
      throw e;
    }
    this.applied.push(this.config);
    return Promise.resolve({ ok: true });
  }
}
