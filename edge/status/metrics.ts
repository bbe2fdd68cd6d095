/** Prometheus text exposition format 0.0.4 of the status snapshot. */
import type { StatusSnapshot } from './types.js';

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Out {
  lines: string[] = [];
  family(name: string, type: 'counter' | 'gauge', help: string) {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }
  sample(name: string, labels: Record<string, string | number>, value: number) {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${label(String(v))}"`)
      .join(',');
    this.lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
  }
}

/** Renders `/metrics`. Counters end in `_total` (OpenMetrics naming). */
export function renderMetrics(s: StatusSnapshot): string {
  const o = new Out();
  o.family('opengkh_info', 'gauge', 'Gateway identity (value 1).');
  o.sample('opengkh_info', { gateway: s.gateway.id, version: s.gateway.version }, 1);
  o.family('opengkh_uptime_seconds', 'gauge', 'Seconds since the runtime started.');
  o.sample('opengkh_uptime_seconds', {}, s.gateway.uptimeSeconds);
  o.family('opengkh_polls_total', 'counter', 'Poll attempts per meter.');
  for (const m of s.meters) o.sample('opengkh_polls_total', { meter: m.id }, m.polls);
  o.family('opengkh_poll_errors_total', 'counter', 'Failed polls per meter and error code.');
  for (const m of s.meters) for (const [code, n] of Object.entries(m.errors)) o.sample('opengkh_poll_errors_total', { meter: m.id, code }, n);
  o.family('opengkh_meter_up', 'gauge', '1 when the meter answered its last poll.');
  for (const m of s.meters) o.sample('opengkh_meter_up', { meter: m.id }, m.link === 'ok' ? 1 : 0);
  o.family('opengkh_meter_last_hour_timestamp_seconds', 'gauge', 'Start of the newest stored hour, unix seconds.');
  for (const m of s.meters) for (const x of m.systems) if (x.lastHour) o.sample('opengkh_meter_last_hour_timestamp_seconds', { meter: m.id, system: x.system }, Date.parse(x.lastHour) / 1000);
  o.family('opengkh_meter_stored_hours', 'gauge', 'Hourly records stored per meter and heat system.');
  for (const m of s.meters) for (const x of m.systems) o.sample('opengkh_meter_stored_hours', { meter: m.id, system: x.system }, x.storedHours);
  o.family('opengkh_meter_clock_drift_seconds', 'gauge', 'Meter clock minus gateway clock.');
  for (const m of s.meters) if (m.clockDriftSeconds !== undefined) o.sample('opengkh_meter_clock_drift_seconds', { meter: m.id }, m.clockDriftSeconds);
  o.family('opengkh_destination_connected', 'gauge', '1 when the destination broker connection is up.');
  for (const d of s.destinations) o.sample('opengkh_destination_connected', { destination: d.id, role: d.role }, d.connected ? 1 : 0);
  o.family('opengkh_destination_backlog_entries', 'gauge', 'Log entries not yet acknowledged by the destination.');
  for (const d of s.destinations) o.sample('opengkh_destination_backlog_entries', { destination: d.id, role: d.role }, d.backlogEntries);
  o.family('opengkh_destination_acked_size', 'gauge', 'Log size acknowledged by the destination.');
  for (const d of s.destinations) o.sample('opengkh_destination_acked_size', { destination: d.id, role: d.role }, d.ackedSize);
  o.family('opengkh_log_size', 'gauge', 'Entries in the evidence log.');
  o.sample('opengkh_log_size', {}, s.gateway.logSize);
  o.family('opengkh_store_bytes', 'gauge', 'Size of the SQLite database files.');
  o.sample('opengkh_store_bytes', {}, s.gateway.storeBytes);
  if (s.gateway.disk) {
    o.family('opengkh_disk_free_bytes', 'gauge', 'Free bytes on the data filesystem.');
    o.sample('opengkh_disk_free_bytes', {}, s.gateway.disk.freeBytes);
  }
  return `${o.lines.join('\n')}\n`;
}
