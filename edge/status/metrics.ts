/** Prometheus text exposition format 0.0.4 of the status snapshot. */
import type { StatusSnapshot } from './types.js';

/** One metric family: name, type, labels and help (also the source of docs/status.md's table). */
export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge';
  labels: readonly string[];
  help: string;
  /** Samples of this family in a snapshot: [label values in `labels` order, value]. */
  samples(s: StatusSnapshot): [(string | number)[], number][];
}

/** Every family `/metrics` exposes, in output order. Counters end in `_total` (OpenMetrics naming). */
export const METRICS: readonly MetricFamily[] = [
  { name: 'opengkh_info', type: 'gauge', labels: ['gateway', 'version'], help: 'Gateway identity (value 1).', samples: (s) => [[[s.gateway.id, s.gateway.version], 1]] },
  { name: 'opengkh_uptime_seconds', type: 'gauge', labels: [], help: 'Seconds since the runtime started.', samples: (s) => [[[], s.gateway.uptimeSeconds]] },
  { name: 'opengkh_polls_total', type: 'counter', labels: ['meter'], help: 'Poll attempts per meter.', samples: (s) => s.meters.map((m) => [[m.id], m.polls]) },
  {
    name: 'opengkh_poll_errors_total',
    type: 'counter',
    labels: ['meter', 'code'],
    help: 'Failed polls per meter and error code.',
    samples: (s) => s.meters.flatMap((m) => Object.entries(m.errors).map(([code, n]): [(string | number)[], number] => [[m.id, code], n])),
  },
  { name: 'opengkh_meter_up', type: 'gauge', labels: ['meter'], help: '1 when the meter answered its last poll.', samples: (s) => s.meters.map((m) => [[m.id], m.link === 'ok' ? 1 : 0]) },
  {
    name: 'opengkh_meter_last_hour_timestamp_seconds',
    type: 'gauge',
    labels: ['meter', 'system'],
    help: 'Start of the newest stored hour, unix seconds.',
    samples: (s) => s.meters.flatMap((m) => m.systems.filter((x) => x.lastHour).map((x): [(string | number)[], number] => [[m.id, x.system], Date.parse(x.lastHour!) / 1000])),
  },
  {
    name: 'opengkh_meter_stored_hours',
    type: 'gauge',
    labels: ['meter', 'system'],
    help: 'Hourly records stored per meter and heat system.',
    samples: (s) => s.meters.flatMap((m) => m.systems.map((x): [(string | number)[], number] => [[m.id, x.system], x.storedHours])),
  },
  {
    name: 'opengkh_meter_clock_drift_seconds',
    type: 'gauge',
    labels: ['meter'],
    help: 'Meter clock minus gateway clock.',
    samples: (s) => s.meters.filter((m) => m.clockDriftSeconds !== undefined).map((m) => [[m.id], m.clockDriftSeconds!]),
  },
  { name: 'opengkh_destination_connected', type: 'gauge', labels: ['destination', 'role'], help: '1 when the destination broker connection is up.', samples: (s) => s.destinations.map((d) => [[d.id, d.role], d.connected ? 1 : 0]) },
  { name: 'opengkh_destination_backlog_entries', type: 'gauge', labels: ['destination', 'role'], help: 'Log entries not yet acknowledged by the destination.', samples: (s) => s.destinations.map((d) => [[d.id, d.role], d.backlogEntries]) },
  { name: 'opengkh_destination_backlog_hours', type: 'gauge', labels: ['destination', 'role'], help: 'Hours from the oldest unacknowledged hourly record to now.', samples: (s) => s.destinations.map((d) => [[d.id, d.role], d.backlogHours]) },
  { name: 'opengkh_destination_acked_size', type: 'gauge', labels: ['destination', 'role'], help: 'Log size acknowledged by the destination.', samples: (s) => s.destinations.map((d) => [[d.id, d.role], d.ackedSize]) },
  {
    name: 'opengkh_destination_last_ack_timestamp_seconds',
    type: 'gauge',
    labels: ['destination', 'role'],
    help: 'Time of the last application ack, unix seconds.',
    samples: (s) => s.destinations.filter((d) => d.lastAckAt).map((d) => [[d.id, d.role], Date.parse(d.lastAckAt!) / 1000]),
  },
  { name: 'opengkh_log_size', type: 'gauge', labels: [], help: 'Entries in the evidence log.', samples: (s) => [[[], s.gateway.logSize]] },
  { name: 'opengkh_store_bytes', type: 'gauge', labels: [], help: 'Size of the SQLite database files.', samples: (s) => [[[], s.gateway.storeBytes]] },
  { name: 'opengkh_disk_free_bytes', type: 'gauge', labels: [], help: 'Free bytes on the data filesystem (absent when unknown).', samples: (s) => (s.gateway.disk ? [[[], s.gateway.disk.freeBytes]] : []) },
];

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Renders `/metrics`: HELP and TYPE for every family, then its samples. */
export function renderMetrics(s: StatusSnapshot): string {
  const lines: string[] = [];
  for (const f of METRICS) {
    const samples = f.samples(s);
    if (samples.length === 0 && f.name === 'opengkh_disk_free_bytes') continue;
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [values, v] of samples) {
      const l = f.labels.map((k, i) => `${k}="${label(String(values[i]))}"`).join(',');
      lines.push(`${f.name}${l ? `{${l}}` : ''} ${Number.isFinite(v) ? v : 'NaN'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
