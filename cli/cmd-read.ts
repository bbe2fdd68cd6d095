/**
 * `opengkh read <meter-id> --config F [--from … --to …] [--json]` — reads one meter once, as the gateway
 * would: identity, current values, and the hourly archive for a range (default: the last 24 closed hours),
 * with a progress bar on long archive reads. For installers checking a line and for support.
 */
import { loadConfig } from '../edge/config/index.js';
import { isGkhError } from '../edge/errors.js';
import { openTransport } from '../edge/drivers/transport/index.js';
import { createMeterDriver } from '../edge/drivers/profiles/factory.js';
import type { CurrentReading, HourlyRecord, MeterIdentity } from '../edge/drivers/types.js';
import { str, UsageError, type Command, type Io } from './command.js';

/** Parses --from/--to: ISO 8601 (UTC unless an offset is given) or hours/days ago `48h` / `45d` (`-45d` too); floors to the hour. */
export function parseWhen(flag: string, s: string, nowMs: number): number {
  const rel = /^-?(\d+)([hd])$/.exec(s);
  let ms: number;
  if (rel) ms = nowMs - Number(rel[1]) * (rel[2] === 'h' ? 3600_000 : 86400_000);
  else if (s === 'now') ms = nowMs;
  else {
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) throw new UsageError(`--${flag}: expected an ISO date/time (2026-11-01T00:00Z), 48h, 45d (ago) or now; found "${s}"`);
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(s) || s.length === 10 ? s : `${s}Z`);
    if (Number.isNaN(ms)) throw new UsageError(`--${flag}: not a valid date "${s}"`);
  }
  return Math.floor(ms / 3600_000) * 3600;
}

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace(':00.000Z', 'Z');

function valuesText(values: Record<string, { value: number; unit: string } | undefined>): string {
  return Object.entries(values)
    .filter((e): e is [string, { value: number; unit: string }] => e[1] !== undefined)
    .map(([k, m]) => `${k}=${m.value}${m.unit ? ` ${m.unit}` : ''}`)
    .join('  ');
}

/** A one-line progress bar written to stderr with CR (only when stderr is a terminal or forced). */
function progressBar(io: Io, enabled: boolean): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    if (!enabled || total <= 0) return;
    const pct = Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    const w = 30;
    const fill = Math.round((done / total) * w);
    process.stderr.write(`\r[${'#'.repeat(fill)}${' '.repeat(w - fill)}] ${done}/${total} h${done >= total ? '\n' : ''}`);
    void io;
  };
}

export const read: Command = {
  name: 'read',
  summary: 'read one meter once / однократно опросить счётчик',
  help: `Usage: opengkh read <meter-id> --config <file> [--from T] [--to T] [--json] [--no-current]

Reads the meter as the gateway would: identity (serial, model, meter clock), current values, and the hourly
archive for hours in [--from, --to) (default: the last 24 closed hours). T: ISO time (2026-11-01T00:00Z,
UTC unless an offset is given), 48h or 45d ago (also --from=-45d), or now. --json prints one JSON object with the raw frames.
A progress bar goes to stderr on a terminal. Exit 1 when the meter does not answer (the reason names the
line, the address and the tries).

Однократный опрос счётчика из конфигурации: идентификация, текущие значения, часовой архив за период.`,
  options: { config: { type: 'string', short: 'c' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' }, 'no-current': { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: ['meter-id'] },
  async run(v, pos, io) {
    const file = str(v, 'config');
    if (!file) throw new UsageError('--config <file> is required');
    const cfg = loadConfig(file);
    const id = pos[0]!;
    const meter = cfg.meters.find((m) => m.id === id);
    if (!meter) throw new UsageError(`no meter "${id}" in ${file} (meters: ${cfg.meters.map((m) => m.id).join(', ') || 'none'})`);
    const bus = cfg.buses.find((b) => b.id === meter.bus)!;
    const now = Date.now();
    const to = parseWhen('to', str(v, 'to') ?? 'now', now);
    const from = parseWhen('from', str(v, 'from') ?? '24h', now);
    if (from >= to) throw new UsageError(`--from must be before --to (${iso(from)} ≥ ${iso(to)})`);
    const gaps: { system: number; hourStart: number }[] = [];
    const transport = openTransport(bus);
    const driver = createMeterDriver(meter, bus, transport, { timeZone: cfg.timeZone, onGap: (system, hourStart) => gaps.push({ system, hourStart }) });
    const json = v.json === true;
    let identity: MeterIdentity | undefined;
    let current: CurrentReading | undefined;
    let hourly: HourlyRecord[] = [];
    let archiveNote: string | undefined;
    try {
      await transport.open();
      identity = await driver.identify();
      if (!json) {
        io.out(`${meter.id}: ${identity.manufacturer ?? ''} ${identity.model} serial ${identity.serial}${identity.firmware ? ` fw ${identity.firmware}` : ''}`);
        if (identity.meterClock !== undefined) io.out(`  meter clock ${new Date(identity.meterClock * 1000).toISOString()} (drift ${Math.round(identity.meterClock - Date.now() / 1000)} s) / часы прибора`);
      }
      if (v['no-current'] !== true) {
        current = await driver.readCurrent();
        if (!json) for (const s of current.systems) io.out(`  current ТС${s.system}: ${valuesText(s.values)}`);
      }
      try {
        hourly = await driver.readHourly(from, to, progressBar(io, !json && process.stderr.isTTY === true));
      } catch (e) {
        if (!isGkhError(e, 'DRIVER_NO_ARCHIVE')) throw e;
        archiveNote = e.message;
      }
    } finally {
      await transport.close().catch(() => undefined);
    }
    if (json) {
      io.out(JSON.stringify({ meterId: meter.id, identity, current, from: iso(from), to: iso(to), hourly, gaps, archive: archiveNote ?? 'ok' }, null, 2));
      return 0;
    }
    if (archiveNote) io.out(`  hourly: ${archiveNote}`);
    else {
      io.out(`  hourly ${iso(from)} … ${iso(to)}: ${hourly.length} records${gaps.length ? `, ${gaps.length} hours missing in the meter's archive / нет в архиве прибора` : ''}`);
      for (const r of hourly) io.out(`  ${iso(r.hourStart)} ТС${r.system}  ${valuesText(r.values)}${r.flags.length ? `  [${r.flags.join(' ')}]` : ''}`);
    }
    return 0;
  },
};
