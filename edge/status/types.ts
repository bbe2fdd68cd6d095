/**
 * The status snapshot: one object rendered three ways — HTML for a technician's phone, `/api/status`
 * JSON (schema: edge/status/schema.ts), and Prometheus `/metrics`. Never holds key material or secrets:
 * only the public key's fingerprint.
 */
export interface MeterStatus {
  id: string;
  description?: string;
  protocol: string;
  bus: string;
  link: 'unknown' | 'ok' | 'lost';
  mode: 'archive' | 'integrated' | 'unknown';
  /** ISO times (gateway clock). */
  lastOkAt?: string;
  lastError?: { code: string; message: string; at: string };
  /** Per heat system: newest stored hour (ISO start) and number of stored hours. */
  systems: { system: number; name?: string; lastHour?: string; storedHours: number; verdicts?: Record<string, string> }[];
  /** Current values by name. */
  current?: { readAt: string; values: Record<string, { value: number; unit: string }> };
  clockDriftSeconds?: number;
  identity?: { serial: string; model: string; manufacturer?: string; firmware?: string };
  polls: number;
  errors: Record<string, number>;
}

export interface DestinationStatus {
  id: string;
  role: string;
  connected: boolean;
  ackedSize: number;
  backlogEntries: number;
  /** Hours of hourly records not yet acknowledged (oldest unacknowledged hour to now). */
  backlogHours: number;
  lastAckAt?: string;
  lastCosignatureAt?: string;
}

export interface StatusSnapshot {
  gateway: {
    id: string;
    version: string;
    keyFingerprint: string;
    startedAt: string;
    uptimeSeconds: number;
    /** Gateway clock (simulated in the demo). */
    now: string;
    timeZone: string;
    ntpSynchronized: boolean | null;
    disk: { freeBytes: number; totalBytes: number } | null;
    logSize: number;
    lastCheckpointAt?: string;
    storeBytes: number;
  };
  meters: MeterStatus[];
  destinations: DestinationStatus[];
  events: { at: string; type: string; meterId?: string; summary: string }[];
}
