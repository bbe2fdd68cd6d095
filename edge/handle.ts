/**
 * What a running gateway offers to in-process extensions (Node-RED nodes, the status page): the event
 * bus, on-demand reads, outdoor temperature from another source, status, and config replacement.
 * Implemented by edge/gateway.ts; extensions receive it through their constructor / start function.
 */
import type { EventBus } from './bus.js';
import type { GatewayConfig, SchemaProblem } from './config/index.js';
import type { CurrentReading, HourlyRecord, MeterIdentity } from './drivers/types.js';
import type { StatusSnapshot } from './status/types.js';

export interface GatewayHandle {
  /** The config in force (resolved, validated). */
  readonly config: GatewayConfig;
  readonly bus: EventBus;
  /** On-demand read of one meter through its bus queue (never bypasses the half-duplex line). */
  readMeter(meterId: string, what: 'identify'): Promise<MeterIdentity>;
  readMeter(meterId: string, what: 'current'): Promise<CurrentReading>;
  readMeter(meterId: string, what: { fromHour: number; toHour: number }): Promise<HourlyRecord[]>;
  /** Outdoor temperature from another source (°C, at unix ms), used when outdoorTemperature.source is `external`. */
  setOutdoorTemperature(celsius: number, at: number, source: string): void;
  status(): StatusSnapshot;
  /**
   * Validates `candidate` with the one config schema; when valid, logs a `config.change` entry and applies
   * it (restarting the poll layer); when not, keeps the running config and returns the problems.
   */
  applyConfig(candidate: unknown): Promise<{ ok: true } | { ok: false; problems: SchemaProblem[] }>;
}
