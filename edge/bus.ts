/**
 * The one typed event bus of a running gateway (after zigbee2mqtt's lib/eventBus.ts). Producers (poll,
 * sync) emit; cross-cutting listeners (status page, Node-RED nodes) subscribe and detach in their stop().
 */
import { EventEmitter } from 'node:events';
import type { CurrentReading, HourlyRecord } from './drivers/types.js';

/** A gateway event as stored and logged (type names as in the evidence log). */
export interface GatewayEvent {
  /** Unix ms (gateway clock). */
  at: number;
  type: string;
  meterId?: string;
  data: Record<string, unknown>;
}

export interface BusEvents {
  /** An hourly record was stored and logged at `logIndex`. */
  hourly: [record: HourlyRecord, logIndex: number];
  /** An event was stored and logged. */
  event: [event: GatewayEvent, logIndex: number];
  /** Current values were read (not logged). */
  current: [meterId: string, reading: CurrentReading];
  /** A poll attempt finished. */
  poll: [meterId: string, ok: boolean, error?: { code: string; message: string }];
  /** A destination's state changed (connected, backlog, ack). */
  destination: [destinationId: string];
}

type Listener<K extends keyof BusEvents> = (...args: BusEvents[K]) => void;

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<K extends keyof BusEvents>(name: K, ...args: BusEvents[K]): void {
    this.emitter.emit(name, ...args);
  }

  /** Subscribes; returns the function that detaches. */
  on<K extends keyof BusEvents>(name: K, fn: Listener<K>): () => void {
    this.emitter.on(name, fn as (...a: unknown[]) => void);
    return () => this.emitter.off(name, fn as (...a: unknown[]) => void);
  }
}
