/**
 * Bench: the monthly report from a year-long evidence log (2 heat systems × 8760 h + config) in SQLite.
 * The peer measured in the same run is the floor any report must pay: reading the rows, checking the
 * leaf hashes and JSON.parse of every entry. Prints absolute times and the ratio to that floor.
 * Run: `npx tsc -p . && node dist/scripts/bench/report.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../../edge/config/index.js';
import { buildMonthlyReport, leafHash, readLogEntries, toCsv, toHtml } from '../../edge/regime/index.js';
import { openDb } from '../../edge/store/index.js';

function canon(x: unknown): string {
  if (x === null || typeof x !== 'object') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(canon).join(',')}]`;
  const o = x as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canon(o[k])}`).join(',')}}`;
}

function best(n: number, f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    f();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return min;
}

export function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'opengkh-bench-report-'));
  try {
    const cfg = validateConfig({
      gatewayId: 'gw-bench',
      timeZone: 'Asia/Yekaterinburg',
      dataDir: dir,
      buses: [{ id: 'b', type: 'serial', path: '/dev/ttyUSB0' }],
      meters: [{ id: 'm', bus: 'b', protocol: 'mbus', heatSystems: [{ system: 1, regimeMap: 'heat' }, { system: 2, regimeMap: 'gvs' }] }],
      regimeMaps: [
        { id: 'heat', schedule: [{ outdoor: 10, t1: 80, t2: 33 }, { outdoor: -28, t1: 150, t2: 70 }], tolerances: { t1: { below: 3, above: 3 }, t2: { above: 5 } }, pressure: { p1: 0.6, dpMin: 0.1 } },
        { id: 'gvs', kind: 'hotWater' },
      ],
    });
    const db = openDb(join(dir, 'gateway.db'));
    const ins = db.prepare('INSERT INTO log_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)');
    let idx = 0;
    const put = (e: unknown) => {
      const b = Buffer.from(canon(e), 'utf8');
      ins.run(idx++, b, leafHash(b));
    };
    const start = Date.UTC(2025, 11, 31, 19);
    db.transaction(() => {
      put({ v: 1, type: 'config.change', gw: 'gw-bench', at: new Date(start - 1000).toISOString(), body: { hash: '0'.repeat(64), config: cfg } });
      for (let h = 0; h < 8760; h++) {
        const hs = start + h * 3_600_000;
        const out = -10 + 10 * Math.sin(h / 500);
        for (const system of [1, 2]) {
          const values =
            system === 1
              ? { Q: { value: 0.512, unit: 'Gcal' }, M1: { value: 10.25, unit: 't' }, M2: { value: 10.2, unit: 't' }, t1: { value: 100 + (h % 7), unit: '°C' }, t2: { value: 55, unit: '°C' }, P1: { value: 0.6, unit: 'MPa' }, P2: { value: 0.45, unit: 'MPa' }, tOutdoor: { value: Number(out.toFixed(1)), unit: '°C' } }
              : { Q: { value: 0.075, unit: 'Gcal' }, M1: { value: h % 97 === 0 ? 0 : 1.52, unit: 't' }, M2: { value: 1.2, unit: 't' }, t1: { value: 52 + (h % 11), unit: '°C' } };
          put({ v: 1, type: 'hourly', gw: 'gw-bench', at: new Date(hs + 3_900_000).toISOString(), body: { meterId: 'm', system, hourStart: new Date(hs).toISOString(), tz: cfg.timeZone, values, flags: [], source: 'archive', rawFrames: ['68 4d 4d 68 08 01 72 45 23 01 00'], readAt: new Date(hs + 3_900_000).toISOString() } });
        }
      }
    })();
    db.close();
    const file = join(dir, 'gateway.db');
    const entries = readLogEntries(file);
    const floor = best(5, () => void readLogEntries(file));
    const build = best(5, () => void buildMonthlyReport(entries, { meterId: 'm', system: 1, month: '2026-02' }));
    const buildGvs = best(5, () => void buildMonthlyReport(entries, { meterId: 'm', system: 2, month: '2026-02' }));
    const rep = buildMonthlyReport(entries, { meterId: 'm', system: 2, month: '2026-02' });
    const render = best(5, () => void (toCsv(rep) + toHtml(rep)));
    console.log(`report bench: log of ${entries.length} entries (one year, 2 heat systems)`);
    console.log(`  floor: read rows + leaf-hash check + JSON.parse  ${floor.toFixed(1)} ms (${((entries.length / floor) * 1000).toFixed(0)} entries/s)`);
    console.log(`  build report, heating month               ${build.toFixed(1)} ms  = ${(build / floor).toFixed(2)} × floor`);
    console.log(`  build report, hot-water month             ${buildGvs.toFixed(1)} ms  = ${(buildGvs / floor).toFixed(2)} × floor`);
    console.log(`  render CSV + HTML                         ${render.toFixed(1)} ms  = ${(render / floor).toFixed(2)} × floor`);
    console.log(`  whole report (floor + build + render)     ${(floor + buildGvs + render).toFixed(1)} ms = ${((floor + buildGvs + render) / floor).toFixed(2)} × floor`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
