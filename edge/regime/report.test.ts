import Database from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/index.js';
import { openDb } from '../store/index.js';
import { leafHash } from './logdb.js';
import { chromiumPath } from './pdf.js';
import { toCsv, toHtml } from './render.js';
import { buildMonthlyReport, type LogEntry } from './report.js';

/** RFC 8785 canonical JSON for the values used here (sorted keys, ES number form). */
function canon(x: unknown): string {
  if (x === null || typeof x !== 'object') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(canon).join(',')}]`;
  const o = x as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon(o[k])}`)
    .join(',')}}`;
}

const H = 3_600_000;
const TZ = 'Asia/Yekaterinburg'; // UTC+5
/** UTC ms of local time 2026-02-<day> <hour>:00 in Yekaterinburg. */
const local = (day: number, hour: number) => Date.UTC(2026, 1, day, hour) - 5 * H;
const MONTH_START = local(1, 0); // 2026-01-31T19:00Z
const MONTH_END = local(29, 0); // 2026-03-01 00:00 local = 2026-02-28T19:00Z

const rawConfig = (dataDir: string) => ({
  gatewayId: 'gw-test',
  timeZone: TZ,
  dataDir,
  buses: [{ id: 'b1', type: 'serial', path: '/dev/ttyUSB0' }],
  meters: [
    {
      id: 'vkt-1',
      bus: 'b1',
      protocol: 'mbus',
      address: 1,
      heatSystems: [
        { system: 1, name: 'Отопление', regimeMap: 'heat' },
        { system: 2, name: 'ГВС', regimeMap: 'gvs' },
      ],
    },
  ],
  regimeMaps: [
    {
      id: 'heat',
      schedule: [
        { outdoor: 10, t1: 80, t2: 33 },
        { outdoor: 0, t1: 85, t2: 45 },
        { outdoor: -15, t1: 123, t2: 60 },
        { outdoor: -25, t1: 146, t2: 69 },
        { outdoor: -28, t1: 150, t2: 70 },
      ],
      tolerances: { t1: { below: 3, above: 3 }, t2: { above: 5 } },
    },
    { id: 'gvs', kind: 'hotWater' },
  ],
  outdoorTemperature: { source: 'meter', meter: 'vkt-1' },
});

type Vals = Record<string, number>;
const units: Record<string, string> = { Q: 'Gcal', M1: 't', M2: 't', t1: '°C', t2: '°C', tOutdoor: '°C', P1: 'MPa', P2: 'MPa', hoursNormal: 'h', hoursError: 'h' };

/**
 * February 2026 in Yekaterinburg (672 hours), meter vkt-1.
 * ТС1 heating: outdoor −15 °C all month → T1 123 ±3 % = [119.31, 126.69], T2 60 (≤ 63). Normal hour: T1 123,
 *   T2 60, M1 10.25, M2 10.2, Q 0.65. Interruption Feb 7 00:00–19:59 local (20 h, M1 = 0). T1 115 on Feb 8
 *   10:00 and 11:00 local (below).
 * ТС2 ГВС: normal hour t1 62 °C, M1 1.52, M2 1.2, Q 0.075. Known violations (local time):
 *   Feb 3 10,11,12 h (day) 53 °C: 57 − 53 = 4 °C beyond → ceil(4/3) = 2 steps × 3 h = 6 steps
 *   Feb 5 02,03 h (night) 53 °C: 55 − 53 = 2 °C beyond → 1 step × 2 h = 2 steps
 *   Feb 12 08 h (day) 80 °C: 80 − 78 = 2 °C beyond → 1 step
 *   Feb 10 14 h 38 °C: below 40 → billed as cold water (no steps)
 *   Feb 20 09–14 h (6 h) and Feb 25 01–03 h (3 h): M1 = 0, t1 30 → interruptions (no quality steps)
 *   Feb 15 12 h: no record at all.
 */
function month(): LogEntry[] {
  const entries: LogEntry[] = [];
  const cfg = validateConfig(rawConfig('/var/lib/opengkh'), '/');
  entries.push({ v: 1, type: 'gateway.boot', gw: 'gw-test', at: '2026-01-31T00:00:00.000Z', body: { version: '0.1.0' } });
  entries.push({ v: 1, type: 'config.change', gw: 'gw-test', at: '2026-01-31T00:00:01.000Z', body: { hash: createHash('sha256').update(canon(cfg)).digest('hex'), config: cfg } });
  const hourly = (system: number, h: number, values: Vals) =>
    entries.push({
      v: 1,
      type: 'hourly',
      gw: 'gw-test',
      at: new Date(h + H + 5 * 60_000).toISOString(),
      body: {
        meterId: 'vkt-1',
        system,
        hourStart: new Date(h).toISOString(),
        tz: TZ,
        values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, unit: units[k]! }])),
        flags: [],
        source: 'archive',
        rawFrames: [],
        readAt: new Date(h + H + 5 * 60_000).toISOString(),
      },
    });
  const inRange = (h: number, day: number, from: number, to: number) => h >= local(day, from) && h < local(day, to + 1);
  for (let h = MONTH_START - 24 * H; h < MONTH_END; h += H) {
    let heat: Vals = { Q: 0.65, M1: 10.25, M2: 10.2, t1: 123, t2: 60, P1: 0.6, P2: 0.45, tOutdoor: -15, hoursNormal: 1, hoursError: 0 };
    if (inRange(h, 7, 0, 19)) heat = { ...heat, Q: 0, M1: 0, M2: 0, t1: 20, t2: 20 };
    if (inRange(h, 8, 10, 11)) heat = { ...heat, t1: 115 };
    hourly(1, h, heat);
    if (inRange(h, 15, 12, 12)) continue;
    let gvs: Vals = { Q: 0.075, M1: 1.52, M2: 1.2, t1: 62, t2: 45, hoursNormal: 1, hoursError: 0 };
    if (inRange(h, 3, 10, 12) || inRange(h, 5, 2, 3)) gvs = { ...gvs, t1: 53 };
    if (inRange(h, 12, 8, 8)) gvs = { ...gvs, t1: 80 };
    if (inRange(h, 10, 14, 14)) gvs = { ...gvs, t1: 38 };
    if (inRange(h, 20, 9, 14) || inRange(h, 25, 1, 3)) gvs = { ...gvs, Q: 0, M1: 0, M2: 0, t1: 30 };
    hourly(2, h, gvs);
  }
  return entries;
}

const log = month();
const indexed = log.map((entry, idx) => ({ idx, entry }));

describe('monthly report: a whole month with known violations (pure function of the log)', () => {
  it('ГВС claim: 9 steps × 0.1 % = 0.9 %, interruptions 2 h × 0.15 % = 0.3 % → 1.2 % of the month\'s charge', () => {
    const r = buildMonthlyReport(indexed, { meterId: 'vkt-1', system: 2, month: '2026-02' });
    expect(r.hoursInMonth).toBe(672);
    expect(r.kind).toBe('hotWater');
    expect(r.hotWater).toEqual({ hoursBeyond: 6, steps: 9, coldHours: 1, percent: 0.9 });
    // Interruptions 6 h and 3 h: total 9 − 8 = 1 h beyond the month limit; once: (6 − 4) + 0 = 2 h → 2 h (ПП 354 прил. 1 п. 4).
    expect(r.interruptions.map((x) => [new Date(x.start).toISOString(), x.hours])).toEqual([
      ['2026-02-20T04:00:00.000Z', 6],
      ['2026-02-24T20:00:00.000Z', 3],
    ]);
    expect(r.interruptionExcessHours).toBe(2);
    expect(r.interruptionPercent).toBe(0.3);
    expect(r.claimPercent).toBe(1.2);
    // t1 below: 3 + 2 (53 °C) + 1 (38 °C) + 9 (interruption hours at 30 °C) = 15; above: 1; no data: 1.
    expect(r.violations).toEqual([{ param: 't1', below: 15, above: 1, noData: 1 }]);
  });

  it('ведомость: exact decimal sums per day and for the month', () => {
    const r = buildMonthlyReport(indexed, { meterId: 'vkt-1', system: 2, month: '2026-02' });
    expect(r.days).toHaveLength(28);
    const d = (date: string) => r.days.find((x) => x.label === date)!;
    // Feb 1: 24 × 0.075 = 1.800 Gcal, 24 × 1.52 = 36.48 t, 24 × 1.2 = 28.8 t, M1 − M2 = 7.68 t.
    expect(d('2026-02-01')).toMatchObject({ sums: { Q: 1.8, M1: 36.48, M2: 28.8, hoursNormal: 24, hoursError: 0 }, dM: 7.68, hoursWithData: 24, hours: 24 });
    // Feb 3: mean t1 = (21 × 62 + 3 × 53) / 24 = 1461 / 24 = 60.875.
    expect(d('2026-02-03').means.t1).toBe(60.875);
    expect(d('2026-02-15')).toMatchObject({ hoursWithData: 23, sums: { Q: 1.725 } }); // 23 × 0.075
    expect(d('2026-02-20').sums.Q).toBe(1.35); // 18 × 0.075
    // Month: 671 hours with data, 9 of them with no flow: Q = 662 × 0.075 = 49.650, M1 = 662 × 1.52 = 1006.24, M2 = 794.4.
    expect(r.total).toMatchObject({ sums: { Q: 49.65, M1: 1006.24, M2: 794.4 }, dM: 211.84, hoursWithData: 671, hours: 672 });
    const csv = toCsv(r);
    expect(csv).toContain('\r\n2026-02-01;1.800;36.48;28.8;7.68;62.00;45.00;;;24;0;24/24\r\n');
    expect(csv).toContain('Итого;49.650;1006.24;794.4;211.84;');
    expect(csv).toContain('Итого снижение платы за месяц, %;1.2\r\n');
    expect(csv).toContain('2026-02-15 12:00;нет данных;0;t1: нет данных норм. 60 допуск 57…78 день\r\n');
    expect(csv).toContain('2026-02-05 02:00;;1;t1: ниже изм. 53 норм. 60 допуск 55…80 ночь\r\n');
  });

  it('heating: a 20 h interruption is 4 h beyond 16 h at once → 0.6 %; T1 below 2 + 20 h', () => {
    const r = buildMonthlyReport(indexed, { meterId: 'vkt-1', system: 1, month: '2026-02' });
    expect(r.kind).toBe('heating');
    expect(r.interruptions.map((x) => x.hours)).toEqual([20]);
    expect(r.interruptionLimits).toEqual({ monthHours: 24, onceHours: 16, percentPerHour: 0.15 });
    expect(r.interruptionExcessHours).toBe(4);
    expect(r.claimPercent).toBe(0.6);
    expect(r.violations).toEqual([
      { param: 't1', below: 22, above: 0, noData: 0 },
      { param: 't2', below: 0, above: 0, noData: 0 },
    ]);
    expect(toHtml(r)).toContain('<td>0.6</td>');
  });

  it('a log without config.change cannot say which rules were in force: REPORT_NO_CONFIG', () => {
    expect(() => buildMonthlyReport(indexed.filter((e) => e.entry.type !== 'config.change'), { meterId: 'vkt-1', system: 2, month: '2026-02' })).toThrow(
      expect.objectContaining({ code: 'REPORT_NO_CONFIG' }),
    );
  });
});

describe('opengkh report: the same log gives the same bytes on the gateway and on a receiver', () => {
  const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
  const bin = join(repo, 'bin/opengkh.js');
  let dir: string;
  let gwConfig: string;
  let receiverDb: string;
  const cli = (args: string[]) => spawnSync(process.execPath, [bin, 'report', ...args], { encoding: 'buffer', timeout: 60_000 });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'opengkh-report-'));
    const dataDir = join(dir, 'data');
    gwConfig = join(dir, 'gateway.json');
    writeFileSync(gwConfig, JSON.stringify(rawConfig(dataDir), null, 2));
    // Gateway side: the store's own schema (migrations), entries appended in order.
    const gdb = openDb(join(dataDir, 'gateway.db'));
    const ins = gdb.prepare('INSERT INTO log_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)');
    gdb.transaction(() => {
      for (const { idx, entry } of indexed) {
        const b = Buffer.from(canon(entry), 'utf8');
        ins.run(idx, b, leafHash(b));
      }
    })();
    gdb.close();
    // Receiver side: one table for several gateways, keyed by gateway; another gateway's rows interleaved.
    receiverDb = join(dir, 'receiver.db');
    const rdb = new Database(receiverDb);
    rdb.exec('CREATE TABLE log_entries (gw TEXT NOT NULL, idx INTEGER NOT NULL, entry BLOB NOT NULL, leaf_hash BLOB NOT NULL, PRIMARY KEY (gw, idx)) STRICT');
    const rins = rdb.prepare('INSERT INTO log_entries (gw, idx, entry, leaf_hash) VALUES (?, ?, ?, ?)');
    rdb.transaction(() => {
      for (const { idx, entry } of indexed) {
        const b = Buffer.from(canon(entry), 'utf8');
        rins.run('gw-test', idx, b, leafHash(b));
        if (idx < 50) {
          const other = Buffer.from(canon({ ...entry, gw: 'gw-other' }), 'utf8');
          rins.run('gw-other', idx, other, leafHash(other));
        }
      }
    })();
    rdb.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const format of ['csv', 'html']) {
    it(`${format}: --config gateway.json and --db receiver.db --gateway gw-test give identical bytes`, () => {
      const a = cli(['--config', gwConfig, '--month', '2026-02', '--meter', 'vkt-1', '--system', '2', '--format', format]);
      expect(a.stderr.toString()).toBe('');
      expect(a.status).toBe(0);
      const out = join(dir, `r.${format}`);
      const b = cli(['--db', receiverDb, '--gateway', 'gw-test', '--month', '2026-02', '--meter', 'vkt-1', '--system', '2', '--format', format, '--out', out]);
      expect(b.status).toBe(0);
      const fromReceiver = readFileSync(out);
      expect(fromReceiver.length).toBeGreaterThan(1000);
      expect(Buffer.compare(a.stdout, fromReceiver)).toBe(0);
      expect(fromReceiver.toString('utf8')).toContain(format === 'csv' ? 'Итого снижение платы за месяц, %;1.2' : 'Итого снижение платы за месяц, %</th><td>1.2</td>');
    });
  }

  it('a receiver store with two gateways and no --gateway: exit 1 naming both', () => {
    const r = cli(['--db', receiverDb, '--month', '2026-02', '--meter', 'vkt-1']);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toContain('gw-other, gw-test');
  });

  it('an entry edited behind the log\'s back: exit 1, REPORT_LOG_CORRUPT names the index', () => {
    const copy = join(dir, 'tampered.db');
    const db = new Database(receiverDb);
    db.exec(`VACUUM INTO '${copy.replace(/'/g, "''")}'`);
    db.close();
    const t = new Database(copy);
    const row = t.prepare("SELECT entry FROM log_entries WHERE gw = 'gw-test' AND idx = 100").get() as { entry: Buffer };
    t.prepare("UPDATE log_entries SET entry = ? WHERE gw = 'gw-test' AND idx = 100").run(Buffer.from(row.entry.toString().replace('"hoursError":{"unit":"h","value":0}', '"hoursError":{"unit":"h","value":1}')));
    t.close();
    const r = cli(['--db', copy, '--gateway', 'gw-test', '--month', '2026-02', '--meter', 'vkt-1', '--system', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toContain('log entry 100 does not match its leaf hash');
  });

  it('usage errors exit 2: bad month, both --config and --db', () => {
    expect(cli(['--config', gwConfig, '--month', '2026-13', '--meter', 'vkt-1']).status).toBe(2);
    expect(cli(['--config', gwConfig, '--db', receiverDb, '--month', '2026-02', '--meter', 'vkt-1']).status).toBe(2);
  });

  it('pdf: through headless Chromium where installed, a clear error otherwise', () => {
    const out = join(dir, 'r.pdf');
    const r = cli(['--config', gwConfig, '--month', '2026-02', '--meter', 'vkt-1', '--system', '2', '--format', 'pdf', '--out', out]);
    if (chromiumPath()) {
      expect(r.stderr.toString()).toContain('pdf');
      expect(r.status).toBe(0);
      const pdf = readFileSync(out);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(10_000);
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toContain('Chromium');
    }
  });

  it('the help text is printed', () => {
    expect(execFileSync(process.execPath, [bin, 'report', '--help']).toString()).toContain('--month YYYY-MM');
  });
});

describe('interruptions are listed in site time', () => {
  it('the 6 h ГВС stop reads 2026-02-20 09:00 … 15:00 local', () => {
    const csv = toCsv(buildMonthlyReport(indexed, { meterId: 'vkt-1', system: 2, month: '2026-02' }));
    expect(csv).toContain('\r\n1;2026-02-20 09:00;2026-02-20 15:00;6\r\n2;2026-02-25 01:00;2026-02-25 04:00;3\r\n');
  });
});
