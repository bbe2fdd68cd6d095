/**
 * Benchmark: footprint of `opengkh run` (the real CLI as a child process) with 32 simulated meters over a
 * simulated week. 16 Взлёт ТСРВ-034 and 16 Карат-307 (two heat systems each, 64 hourly records per hour)
 * on 8 simulated RS-485 lines (TCP simulator servers in this process, 4 meters per line at Modbus
 * addresses 1-4), two destinations on two real mosquitto brokers, two real receivers (children) so
 * cosigned acks flow back — the gateway's real sync load.
 *
 * Phases: warm-up = the initial backfill of `depth` hours from every meter's archive; steady = one
 * simulated week of hourly cycles on a scaled clock (OPENGKH_CLOCK), then until both destinations have
 * acked the whole log. Samples the gateway's VmRSS/VmHWM and utime+stime (/proc/<pid>/status, stat)
 * every 200 ms and /proc/<pid>/io at the phase boundaries. Prints peak and final RSS against the 100 MB
 * budget, CPU seconds per simulated day and % of one core, disk bytes written per stored hourly record
 * beside the record's canonical evidence-log entry size (= write amplification), records/s.
 * Exits 1 if the peak RSS exceeds the budget or the run does not complete.
 *
 * Current-value reads (status page) run on REAL time (Scheduler.currentLoop sleeps real ms), so the
 * compressed week holds only (real run seconds / currentIntervalSeconds) of them per meter; the
 * "CPU per simulated day" covers the hourly pipeline and sync, not a real day's 1440 current reads per meter.
 *
 * Run: npx tsc -p . && node dist/scripts/bench/runtime.js [weekRealSeconds=180] [backfillHours=168]
 * (BENCH_KEEP=1 keeps the data directory; BENCH_GW_NODE_FLAGS passes node flags to the gateway.)
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { clockSpec, scaledClock } from '../../edge/clock.js';
import { KaratSimulator } from '../../edge/drivers/karat/sim.js';
import { loadProfile } from '../../edge/drivers/profiles/index.js';
import { RtuServer } from '../../edge/drivers/sim/rtu-server.js';
import { TsrvSimulator } from '../../edge/drivers/tsrv/sim.js';
import { generateKeyFile } from '../../edge/keys/index.js';
import { originFor } from '../../edge/log/checkpoint.js';
import { SIG_ED25519 } from '../../edge/log/note.js';
import { formatVkey } from '../../edge/log/vkey.js';
import { startBroker, type Broker } from '../../edge/sync/broker.js';
import { spawnReceiver, writeReceiverConfig, type ReceiverProc } from '../../edge/sync/harness.js';
import type { StatusSnapshot } from '../../edge/status/types.js';

const BIN = fileURLToPath(new URL('../../../bin/opengkh.js', import.meta.url));
const MB = 1024 * 1024;
/** The acceptance budget: resident set of `opengkh run` with 32 meters. */
export const RSS_BUDGET_BYTES = 100 * MB;
const HOUR = 3_600_000;
const TZ = 'Asia/Yekaterinburg';
const GW_ID = 'bench-runtime-gw';
const LINES = 8;
const PER_LINE = 4;

/** One reading of the gateway's /proc counters. */
export interface ProcSample {
  /** Real ms since the bench started. */
  t: number;
  rss: number;
  hwm: number;
  /** utime + stime, seconds. */
  cpu: number;
}
export interface ProcIo {
  writeBytes: number;
  wchar: number;
  readBytes: number;
  cancelledWriteBytes: number;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** VmRSS/VmHWM (bytes) and utime+stime (s) of `pid`; undefined once it has exited. */
export function procSample(pid: number, t: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised comm (which may contain spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
    return { t, rss: kb('VmRSS'), hwm: kb('VmHWM'), cpu };
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/io counters (bytes). */
export function procIo(pid: number): ProcIo {
  const s = readFileSync(`/proc/${pid}/io`, 'utf8');
  const f = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { writeBytes: f('write_bytes'), wchar: f('wchar'), readBytes: f('read_bytes'), cancelledWriteBytes: f('cancelled_write_bytes') };
}

interface Gw {
  proc: ChildProcess;
  pid: number;
  lines: string[];
  stored: number;
  hourlyLines: { meter: string; stored: number }[];
  statusUrl?: string;
  exited: Promise<number | null>;
}

/** Node flags the gateway runs with: BENCH_GW_NODE_FLAGS, else NODE_OPTIONS of image/opengkh.service. */
export function gatewayNodeFlags(): string[] {
  const env = process.env.BENCH_GW_NODE_FLAGS;
  if (env !== undefined) return env.split(' ').filter(Boolean);
  return (unitEnvironment().NODE_OPTIONS ?? '').split(' ').filter(Boolean);
}

/** The `Environment=` settings of the production unit (image/opengkh.service), so the bench measures what is deployed. */
export function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(fileURLToPath(new URL('../../../image/opengkh.service', import.meta.url)), 'utf8');
  const out: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(?:"([^"]*)"|(\S+))\s*$/gm)) {
    const kv = m[1] ?? m[2]!;
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function spawnGateway(config: string, env: NodeJS.ProcessEnv, logFile: string): Gw {
  // The gateway runs with the Node flags of the production unit (image/opengkh.service NODE_OPTIONS);
  // BENCH_GW_NODE_FLAGS overrides them to compare footprints ("" = Node's defaults).
  const flags = gatewayNodeFlags();
  // The unit's environment (MALLOC_ARENA_MAX …) except NODE_OPTIONS, which goes on the command line above.
  const { NODE_OPTIONS: _n, ...unitEnv } = process.env.BENCH_GW_NODE_FLAGS === undefined ? unitEnvironment() : {};
  const proc = spawn(process.execPath, [...flags, BIN, 'run', '--config', config], { env: { ...env, ...unitEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const g: Gw = { proc, pid: proc.pid!, lines: [], stored: 0, hourlyLines: [], exited: new Promise((r) => proc.once('exit', (c) => r(c))) };
  let buf = '';
  const on = (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      g.lines.push(l);
      if (!l.startsWith('{')) continue;
      try {
        const j = JSON.parse(l) as { msg?: string; stored?: number; meter?: string; url?: string };
        if (j.msg === 'hours stored' && typeof j.stored === 'number') {
          g.stored += j.stored;
          g.hourlyLines.push({ meter: j.meter ?? '', stored: j.stored });
        }
        if (j.msg === 'status page' && j.url) g.statusUrl = j.url;
      } catch {
        // not a log line
      }
    }
  };
  proc.stdout.on('data', on);
  proc.stderr.on('data', on);
  proc.once('exit', () => writeFileSync(logFile, g.lines.join('\n')));
  return g;
}

async function status(g: Gw): Promise<StatusSnapshot | undefined> {
  if (!g.statusUrl) return undefined;
  try {
    const r = await fetch(new URL('api/status', g.statusUrl));
    return (await r.json()) as StatusSnapshot;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stopChild(p: ChildProcess, ms = 15_000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((res) => {
    const t = setTimeout(() => {
      p.kill('SIGKILL');
    }, ms);
    p.once('exit', () => {
      clearTimeout(t);
      res();
    });
    p.kill('SIGTERM');
  });
}

const mb = (b: number) => (b / MB).toFixed(1);

/** RSS (bytes) of a bare node and of a node that has loaded the CLI's modules (what `opengkh run` starts from). */
function peerRss(): { bare: number; cli: number } {
  const probe = (code: string) => Number(execFileSync(process.execPath, ['--input-type=module', '-e', `${code}; console.log(process.memoryUsage().rss)`]).toString().trim());
  const main = new URL('../../cli/main.js', import.meta.url).href;
  return { bare: probe('0'), cli: probe(`await import(${JSON.stringify(main)})`) };
}

export async function main(weekRealSeconds = 180, backfillHours = 168): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'gkh-bench-runtime-'));
  const servers: RtuServer[] = [];
  const brokers: Broker[] = [];
  const receivers: ReceiverProc[] = [];
  const gws: Gw[] = [];
  let code = 0;
  try {
    const weekHours = 7 * 24;
    const scale = (weekHours * HOUR) / (weekRealSeconds * 1000);
    // Simulated time starts 30 s after a whole hour (site time); the first cycle backfills `backfillHours`.
    const origin = Date.UTC(2026, 9, 5, 19, 0, 30);
    const anchor = Date.now() + 1500; // the gateway needs ~1 s to start: simulated time starts then
    const clock = scaledClock(anchor, origin, scale);
    const now = () => clock.now();

    // --- 8 simulated RS-485 lines, 4 meters each ------------------------------------------------------
    const tsrvProfile = loadProfile('vzljot-tsrv-034');
    const karatProfile = loadProfile('karat-307');
    const buses: object[] = [];
    const meters: object[] = [];
    for (let l = 0; l < LINES; l++) {
      const karat = l % 2 === 1;
      const devs = Array.from({ length: PER_LINE }, (_, i) =>
        karat
          ? new KaratSimulator({ profile: karatProfile, now, timeZone: TZ, address: i + 1, serial: `30700${l}${i}`, seed: l * 10 + i + 1 })
          : new TsrvSimulator({ profile: tsrvProfile, now, timeZone: TZ, address: i + 1, serial: 340000 + l * 10 + i, seed: l * 10 + i + 1 }),
      );
      const srv = new RtuServer(devs);
      servers.push(srv);
      const port = (await srv.listen({ tcp: 0 }))!;
      const bus = `rs485-${l + 1}`;
      buses.push({ id: bus, type: 'tcp', host: '127.0.0.1', port, description: `line ${l + 1}: ${karat ? 'Карат-307' : 'ТСРВ-034'} ×${PER_LINE}`, timeoutMs: 1000, guardTimeMs: 5 });
      for (let i = 0; i < PER_LINE; i++) {
        meters.push({
          id: `${karat ? 'karat' : 'tsrv'}-${l + 1}-${i + 1}`,
          bus,
          protocol: karat ? 'karat' : 'tsrv',
          address: i + 1,
          profile: karat ? 'karat-307' : 'vzljot-tsrv-034',
          heatSystems: [
            { system: 1, name: 'отопление' },
            { system: 2, name: 'ГВС', regimeMap: 'hot-water' },
          ],
          poll: { hourlyOffsetMinutes: 2, archiveDepthHours: backfillHours, currentIntervalSeconds: 60 },
        });
      }
    }
    const recordsPerHour = meters.length * 2;

    // --- brokers, keys, receivers ---------------------------------------------------------------------
    brokers.push(...(await Promise.all([startBroker(join(root, 'broker-uk')), startBroker(join(root, 'broker-rso'))])));
    const gwDir = join(root, 'gateway');
    const key = generateKeyFile(join(gwDir, 'data/keys/gateway.key'));
    const vkey = formatVkey(originFor(GW_ID), SIG_ED25519, key.publicRaw);
    const gateways = [{ id: GW_ID, vkey }];
    receivers.push(
      ...(await Promise.all([
        spawnReceiver(join(root, 'rx-uk'), writeReceiverConfig(join(root, 'rx-uk'), { receiverId: 'rx-uk', url: brokers[0]!.url, gateways })),
        spawnReceiver(join(root, 'rx-rso'), writeReceiverConfig(join(root, 'rx-rso'), { receiverId: 'rx-rso', url: brokers[1]!.url, gateways })),
      ])),
    );
    const config = {
      gatewayId: GW_ID,
      timeZone: TZ,
      dataDir: './data',
      buses,
      meters,
      regimeMaps: [{ id: 'hot-water', kind: 'hotWater' }],
      destinations: [
        { id: 'uk', role: 'УК', url: brokers[0]!.url, protocolVersion: 5 },
        { id: 'rso', role: 'РСО', url: brokers[1]!.url, protocolVersion: 5 },
      ],
      status: { bind: '127.0.0.1', port: 0 },
    };
    mkdirSync(gwDir, { recursive: true });
    const cfgFile = join(gwDir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify(config, null, 2));

    // --- the run ----------------------------------------------------------------------------------------
    const t0 = Date.now();
    const g = spawnGateway(cfgFile, { ...process.env, OPENGKH_CLOCK: clockSpec(anchor, origin, scale) }, join(gwDir, 'gateway.log'));
    gws.push(g);
    const samples: ProcSample[] = [];
    const sampler = setInterval(() => {
      const s = procSample(g.pid, Date.now() - t0);
      if (s) samples.push(s);
    }, 200);
    const io0 = procIo(g.pid);
    const warmRecords = recordsPerHour * backfillHours;
    const endSim = origin + weekHours * HOUR + 3 * 60_000; // past the last hour's cycle (offset 2 min)
    const totalRecords = recordsPerHour * (backfillHours + weekHours);
    const deadline = t0 + 4 * weekRealSeconds * 1000 + 300_000;
    let warm: { t: number; simNow: number; io: ProcIo; cpu: number; stored: number; lines: number } | undefined;
    // Once the week is over and every record is stored: the log size both destinations must ack.
    let target: number | undefined;
    let snap: StatusSnapshot | undefined;
    let lastPrint = 0;
    for (;;) {
      await sleep(250);
      if (g.proc.exitCode !== null || g.proc.signalCode !== null) throw new Error(`gateway exited early (${g.proc.exitCode ?? g.proc.signalCode}):\n${g.lines.slice(-20).join('\n')}`);
      if (!warm && g.stored >= warmRecords) {
        const s = procSample(g.pid, Date.now() - t0)!;
        warm = { t: Date.now(), simNow: clock.now(), io: procIo(g.pid), cpu: s.cpu, stored: g.stored, lines: g.hourlyLines.length };
        samples.push(s);
      }
      snap = await status(g);
      const acked = snap ? Math.min(...snap.destinations.map((d) => d.ackedSize)) : 0;
      const logSize = snap?.gateway.logSize ?? Infinity;
      if (Date.now() - lastPrint > 15_000) {
        lastPrint = Date.now();
        const last = samples.at(-1);
        console.log(`  t=${((Date.now() - t0) / 1000).toFixed(0)} s  sim ${new Date(clock.now()).toISOString().slice(0, 16)}Z  stored ${g.stored}/${totalRecords}  log ${snap?.gateway.logSize ?? '?'} acked ${acked}  rss ${last ? mb(last.rss) : '?'} MB  cpu ${last?.cpu.toFixed(1) ?? '?'} s`);
      }
      if (target === undefined && warm && clock.now() >= endSim && g.stored >= totalRecords && snap) target = logSize;
      if (target !== undefined && acked >= target) break;
      if (Date.now() > deadline) throw new Error(`not done by the deadline: stored ${g.stored}/${totalRecords}, acked ${acked}/${logSize}`);
    }
    const tEnd = Date.now();
    const simEnd = clock.now();
    const endSample = procSample(g.pid, tEnd - t0)!;
    samples.push(endSample);
    const io1 = procIo(g.pid);
    clearInterval(sampler);
    await stopChild(g.proc);
    const exitCode = await g.exited;

    // --- the store, read after a clean stop --------------------------------------------------------------
    const dbFile = join(gwDir, 'data/gateway.db');
    const db = new Database(dbFile, { readonly: true });
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const readings = n('SELECT count(*) AS n FROM readings');
    const distinct = n('SELECT count(*) AS n FROM (SELECT DISTINCT meter_id, system, hour_start FROM readings)');
    const logEntries = n('SELECT count(*) AS n FROM log_entries');
    const checkpoints = n('SELECT count(*) AS n FROM checkpoints');
    const hourlyEntryBytes = (db.prepare('SELECT avg(length(e.entry)) AS a FROM log_entries e JOIN readings r ON r.log_index = e.idx').get() as { a: number }).a;
    const readingRowBytes = (db.prepare('SELECT avg(length(values_json) + length(flags_json) + length(raw_frames_json) + length(meter_id) + 40) AS a FROM readings').get() as { a: number }).a;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const dbBytes = statSync(dbFile).size + (existsSync(`${dbFile}-wal`) ? statSync(`${dbFile}-wal`).size : 0);

    // --- figures ------------------------------------------------------------------------------------------
    const peak = Math.max(...samples.map((s) => Math.max(s.rss, s.hwm)));
    const w = warm!;
    const warmSamples = samples.filter((s) => s.t <= w.t - t0);
    const steadySamples = samples.filter((s) => s.t > w.t - t0);
    const peakWarm = Math.max(...warmSamples.map((s) => s.rss));
    const peakSteady = Math.max(...steadySamples.map((s) => s.rss));
    const simDaysSteady = (simEnd - w.simNow) / (24 * HOUR);
    const realWarm = (w.t - t0) / 1000;
    const realSteady = (tEnd - w.t) / 1000;
    const cpuWarm = w.cpu;
    const cpuSteady = endSample.cpu - w.cpu;
    const recWarm = w.stored;
    const recSteady = g.stored - w.stored;
    const wbWarm = w.io.writeBytes - io0.writeBytes;
    const wbSteady = io1.writeBytes - w.io.writeBytes;
    const wcSteady = io1.wchar - w.io.wchar;
    const pad = (s: string) => s.padEnd(44);
    console.log('');
    console.log(`opengkh run: ${meters.length} meters (16 ТСРВ-034 + 16 Карат-307, 2 systems each) on ${LINES} RS-485 lines, ${recordsPerHour} hourly records/h, 2 destinations (mosquitto) + 2 receivers`);
    console.log(`simulated clock ×${scale.toFixed(0)} (1 h per ${((HOUR / scale) / 1000).toFixed(2)} s); warm-up backfill ${backfillHours} h, then ${(simDaysSteady).toFixed(2)} simulated days`);
    console.log(`${pad('records stored (log lines / readings rows)')}${g.stored} / ${readings} (distinct ${distinct}, expected ≥ ${totalRecords})`);
    console.log(`${pad('log entries / checkpoints / db+wal size')}${logEntries} / ${checkpoints} / ${mb(dbBytes)} MB (page ${pageSize} B)`);
    console.log(`${pad('RSS peak (VmHWM) / final, budget 100 MB')}${mb(peak)} MB (${(peak / RSS_BUDGET_BYTES).toFixed(2)} of budget) / ${mb(endSample.rss)} MB (${(endSample.rss / RSS_BUDGET_BYTES).toFixed(2)})`);
    console.log(`${pad('RSS peak warm-up / steady')}${mb(peakWarm)} MB / ${mb(peakSteady)} MB`);
    console.log(`${pad('warm-up: real s, CPU s, records/s')}${realWarm.toFixed(1)} s, ${cpuWarm.toFixed(1)} s CPU (${((100 * cpuWarm) / realWarm).toFixed(0)} % of a core), ${(recWarm / realWarm).toFixed(0)} rec/s, ${((cpuWarm * 1e3) / recWarm).toFixed(2)} ms CPU/record`);
    console.log(`${pad('steady: real s, CPU s, records/s')}${realSteady.toFixed(1)} s, ${cpuSteady.toFixed(1)} s CPU (${((100 * cpuSteady) / realSteady).toFixed(0)} % of a core), ${(recSteady / realSteady).toFixed(0)} rec/s, ${((cpuSteady * 1e3) / recSteady).toFixed(2)} ms CPU/record`);
    console.log(`${pad('steady CPU per simulated day')}${(cpuSteady / simDaysSteady).toFixed(2)} s/day = ${((100 * cpuSteady) / simDaysSteady / 86400).toFixed(4)} % of a core on real time (hourly work + sync; current-value reads run on real time, not included)`);
    console.log(`${pad('disk write_bytes warm-up / steady')}${mb(wbWarm)} MB / ${mb(wbSteady)} MB (wchar steady ${mb(wcSteady)} MB, incl. stdout)`);
    console.log(`${pad('bytes written per hourly record warm-up')}${(wbWarm / recWarm).toFixed(0)} B vs canonical entry ${hourlyEntryBytes.toFixed(0)} B → write amplification ×${(wbWarm / recWarm / hourlyEntryBytes).toFixed(1)}`);
    console.log(`${pad('bytes written per hourly record steady')}${(wbSteady / recSteady).toFixed(0)} B vs canonical entry ${hourlyEntryBytes.toFixed(0)} B → write amplification ×${(wbSteady / recSteady / hourlyEntryBytes).toFixed(1)}`);
    console.log(`${pad('  per meter-hour (2 records, 1 txn + checkpoint)')}${((2 * wbSteady) / recSteady / pageSize).toFixed(1)} pages of ${pageSize} B; readings row ≈ ${readingRowBytes.toFixed(0)} B`);
    const steadyLines = g.hourlyLines.slice(w.lines);
    const lagging = steadyLines.filter((x) => x.stored > 2).length;
    console.log(`${pad('steady meter-cycles that found >1 h waiting')}${lagging} of ${steadyLines.length} (0 = each cycle stored exactly its meter's last hour, as on real time)`);
    const base = peerRss();
    console.log(`${pad('peers: bare node / node + opengkh modules')}${mb(base.bare)} MB / ${mb(base.cli)} MB (gateway final − modules loaded = ${mb(endSample.rss - base.cli)} MB of runtime state)`);
    console.log(`${pad('gateway exit after SIGTERM')}${exitCode}`);
    if (peak > RSS_BUDGET_BYTES) {
      console.error(`FAIL: peak RSS ${mb(peak)} MB exceeds the 100 MB budget`);
      code = 1;
    }
    if (distinct !== readings || readings < totalRecords) {
      console.error(`FAIL: readings ${readings} (distinct ${distinct}) < expected ${totalRecords}`);
      code = 1;
    }
    return code;
  } finally {
    for (const g of gws) await stopChild(g.proc);
    await Promise.allSettled(receivers.map((r) => r.stop()));
    await Promise.allSettled(brokers.map((b) => b.stop()));
    await Promise.allSettled(servers.map((s) => s.close()));
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const a = process.argv.slice(2).map(Number);
  main(a[0] || undefined, a[1] || undefined).then(
    (c) => process.exit(c),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
