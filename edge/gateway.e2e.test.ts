/**
 * End to end (issue 7 item 4): the real CLI as child processes over several simulated days.
 *
 *   ТСРВ-034 (2 heat systems) ─tcp─┐                       ┌─ mosquitto "УК"  ─ receiver УК  (child)
 *   Карат-307               ─tcp─┴─ opengkh run (child) ──┤
 *   (simulators in this process)                          └─ mosquitto "РСО" ─ receiver РСО (child)
 *
 * On a scaled clock (OPENGKH_CLOCK, one simulated hour per HOUR_REAL_MS real ms) the gateway backfills a
 * day of archive, then runs two more simulated days during which: the ТСРВ goes silent for 6 hours, the
 * РСО broker is stopped for 18 hours, and the gateway is killed with SIGKILL (inside an hourly cycle) and restarted ~6.5 hours later.
 * At the end the meters go silent (so the log stops growing), both receivers catch up, the gateway is
 * stopped with SIGTERM, and the test checks: every hour of every meter/system exactly once and equal to
 * the meter's archive read again through the driver; backfill after the kill and after the silence;
 * byte-identical log_entries at both receivers and the gateway; `opengkh log verify` and
 * `opengkh receiver verify` exit 0. Build first: `npx tsc -p .` (bin/opengkh.js runs dist/).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clockSpec, scaledClock, type Clock } from './clock.js';
import { validateConfig, type GatewayConfig } from './config/index.js';
import { KaratSimulator } from './drivers/karat/sim.js';
import { createMeterDriver } from './drivers/profiles/factory.js';
import { loadProfile } from './drivers/profiles/index.js';
import { RtuServer } from './drivers/sim/rtu-server.js';
import { TcpTransport } from './drivers/transport/index.js';
import { TsrvSimulator, tsrvRawHour } from './drivers/tsrv/sim.js';
import type { HourlyRecord } from './drivers/types.js';
import { generateKeyFile } from './keys/index.js';
import { originFor } from './log/checkpoint.js';
import { SIG_ED25519 } from './log/note.js';
import { formatVkey } from './log/vkey.js';
import { startBroker, type Broker } from './sync/broker.js';
import { cosignerVkey } from './sync/cosign.js';
import { repoRoot, writeReceiverConfig } from './sync/harness.js';

const HOUR = 3_600_000;
/** Real ms per simulated hour. */
const HOUR_REAL_MS = 800;
const TZ = 'Asia/Yekaterinburg';
const GW = 'e2e-ekb-lenina-12';
const DEPTH_HOURS = 24;
const BIN = join(repoRoot(), 'bin/opengkh.js');
/** Simulated start: 00:50 site time (19:50 UTC); the first hour closes 10 simulated minutes in. */
const ORIGIN = Date.UTC(2026, 0, 14, 19, 50);
/**
 * The scenario is scheduled from the first hour boundary after the initial backfill is stored (how long
 * the gateway takes to start on a loaded machine is not known in advance).
 */
let base = 0;
const at = (hours: number) => base + hours * HOUR;
/** The scenario, simulated hours after `base`. */
const PLAN = {
  silentFrom: 4.5,
  silentTo: 10.5, // ТСРВ silent for 6 simulated hours
  rsoDownFrom: 13.5,
  rsoUpAt: 31.5, // РСО broker stopped for 18 simulated hours (the gateway restart falls inside)
  killAt: 19 + 2.5 / 60, // 30 simulated s after the hourly cycle began: likely inside a bus transaction or the store's
  restartAt: 25.5, // gateway dead for ~6.5 simulated hours
  lastHour: 48, // run until the hour base+48h is stored for every series: 2 days after the initial backfill
};
const SERIES = [
  { meter: 'tsrv-1', system: 1 },
  { meter: 'tsrv-1', system: 2 },
  { meter: 'karat-1', system: 1 },
] as const;

const root = mkdtempSync(join(tmpdir(), 'gkh-e2e-'));
let clock: Clock = scaledClock(Date.now(), ORIGIN, HOUR / HOUR_REAL_MS);
const now = () => clock.now();
const tsrvServer = new RtuServer([new TsrvSimulator({ profile: loadProfile('vzljot-tsrv-034'), now, timeZone: TZ, serial: 340123 })]);
const karatServer = new RtuServer([new KaratSimulator({ profile: loadProfile('karat-307'), now, timeZone: TZ, address: 2 })]);
const brokers: { uk?: Broker; rso?: Broker } = {};
const receivers: Child[] = [];
let gwConfigFile = '';
let gwConfig: GatewayConfig;
let rxConfigs: { uk: string; rso: string };
let rxData: { uk: string; rso: string };

// --- child processes (gateway, receivers): every one is tracked and ended in afterAll ---------------------

interface Child {
  name: string;
  proc: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const children: Child[] = [];

/** Spawns `opengkh <args>`; its output goes to `<root>/<name>.log` and to `lines`. */
function spawnCli(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const proc = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = createWriteStream(join(root, `${name}.log`), { flags: 'a' });
  const c: Child = { name, proc, lines: [], exited: new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal }))) };
  void c.exited.then(() => file.end());
  let buf = '';
  const onData = (d: Buffer) => {
    file.write(d);
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    c.lines.push(...parts);
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  children.push(c);
  return c;
}

const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
async function terminate(c: Child, graceMs = 10_000): Promise<void> {
  if (!alive(c.proc)) return;
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(t);
}

/** Resolves when `c` prints a line matching `re`; rejects when it exits first or after `timeoutMs`. */
async function lineOf(c: Child, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!c.lines.some((l) => re.test(l))) {
    if (!alive(c.proc)) throw new Error(`${c.name} exited before printing ${re}:\n${c.lines.slice(-15).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${c.name} did not print ${re} within ${timeoutMs} ms:\n${c.lines.slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const gateways: Child[] = [];
function startGateway(env: NodeJS.ProcessEnv): Child {
  const g = spawnCli(`gateway-${gateways.length + 1}`, ['run', '--config', gwConfigFile], env);
  gateways.push(g);
  return g;
}

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      res({ code, out: `${stdout}${stderr}` });
    });
  });
}

// --- observing the databases (read-only, WAL: concurrent with the writers) -------------------------------

const dbs = new Map<string, Database.Database>();
function ro(file: string): Database.Database | undefined {
  let db = dbs.get(file);
  if (db) return db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return undefined; // not created yet
  }
  dbs.set(file, db);
  return db;
}
const gwDbFile = () => join(gwConfig.dataDir, 'gateway.db');
const rxDbFile = (dataDir: string) => join(dataDir, 'gateways', `${GW}.db`);

/** Rows of a query, or [] while the database or its tables do not exist yet (the writer is starting). */
function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = ro(file);
  if (!db) return [];
  try {
    return db.prepare(sql).all(...params) as T[];
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return [];
    throw e;
  }
}
const logSize = (file: string) => query<{ n: number }>(file, 'SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM log_entries')[0]?.n ?? 0;
/** Newest stored hour (unix s) of a series at the gateway, or -Infinity. */
const lastHour = (meter: string, system: number) => query<{ h: number | null }>(gwDbFile(), 'SELECT MAX(hour_start) AS h FROM readings WHERE meter_id = ? AND system = ?', meter, system)[0]?.h ?? -Infinity;
const allStoredThrough = (hours: number) => SERIES.every((s) => lastHour(s.meter, s.system) * 1000 >= at(hours));
const cursors = (): Record<string, number> => Object.fromEntries(query<{ destination: string; acked_size: number }>(gwDbFile(), 'SELECT destination, acked_size FROM cursors').map((r) => [r.destination, r.acked_size]));

/** Polls `cond` every 100 ms until true; throws with `what()` (diagnostics) after `timeoutMs`. */
async function waitUntil(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    // Gateway and receivers are meant to run whenever the test waits: a crash fails at once, with its output.
    for (const c of [gateways.at(-1), ...receivers]) if (c && !alive(c.proc)) throw new Error(`${c.name} exited (${c.proc.exitCode ?? c.proc.signalCode}) while waiting for ${what()}:\n${c.lines.slice(-15).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}\n--- gateway log tail ---\n${gateways.at(-1)?.lines.slice(-15).join('\n') ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** Sleeps until simulated time `t` (the shared scaled clock). */
const untilSim = (t: number) => new Promise((r) => setTimeout(r, clock.realDelayUntil(t)));

// --- what the scenario records --------------------------------------------------------------------------

/** A log_entries row. */
interface Row {
  idx: number;
  entry: Buffer;
  leaf_hash: Buffer;
}
interface Entry {
  idx: number;
  type: string;
  at: string;
  body: Record<string, unknown>;
}
const rec = {
  /** The scenario ran to the end (the checks below need its records). */
  completed: false,
  phases: [] as string[],
  /** Newest stored hour of each series just before the SIGKILL (unix s). */
  beforeKill: {} as Record<string, number>,
  rsoBehindAtRestart: { rso: 0, gateway: 0, uk: 0 },
  /** Exit of the killed and of the finally stopped gateway. */
  killed: { code: null as number | null, signal: null as NodeJS.Signals | null },
  stopped: { code: null as number | null, signal: null as NodeJS.Signals | null, clean: false },
  rows: { gateway: [] as Row[], uk: [] as Row[], rso: [] as Row[] },
  entries: [] as Entry[],
  readings: [] as { meter_id: string; system: number; hour_start: number; log_index: number }[],
  archive: new Map<string, HourlyRecord>(),
};
const key = (meter: string, system: number, hourStart: number) => `${meter}|${system}|${hourStart}`;
const started = Date.now();
const mark = (what: string) => rec.phases.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${what} (sim ${new Date(clock.now()).toISOString().slice(5, 16)})`);

beforeAll(async () => {
  // Simulators on TCP, like meters behind RS-485-to-Ethernet converters.
  const tsrvPort = (await tsrvServer.listen({ tcp: 0 }))!;
  const karatPort = (await karatServer.listen({ tcp: 0 }))!;
  // Keys: the gateway's and both receivers' (each receiver knows the other's cosigner key).
  const gwDir = join(root, 'gateway');
  const gwKey = generateKeyFile(join(gwDir, 'data/keys/gateway.key'));
  const gwVkey = formatVkey(originFor(GW), SIG_ED25519, gwKey.publicRaw);
  const ukKey = generateKeyFile(join(root, 'rx-uk/data/keys/receiver.key'));
  const rsoKey = generateKeyFile(join(root, 'rx-rso/data/keys/receiver.key'));
  const uk = await startBroker(join(root, 'mosquitto-uk'));
  brokers.uk = uk;
  const rso = await startBroker(join(root, 'mosquitto-rso'));
  brokers.rso = rso;
  const gateways = [{ id: GW, vkey: gwVkey }];
  rxConfigs = {
    uk: writeReceiverConfig(join(root, 'rx-uk'), { receiverId: 'rx-uk', url: uk.url, gateways, peers: [{ vkey: cosignerVkey('rx-rso', rsoKey.publicRaw) }] }),
    rso: writeReceiverConfig(join(root, 'rx-rso'), { receiverId: 'rx-rso', url: rso.url, gateways, protocolVersion: 4, peers: [{ vkey: cosignerVkey('rx-uk', ukKey.publicRaw) }] }),
  };
  rxData = { uk: join(root, 'rx-uk/data'), rso: join(root, 'rx-rso/data') };
  const bus = { type: 'tcp', host: '127.0.0.1', timeoutMs: 1000, retries: 1, guardTimeMs: 5 } as const;
  // Fast simulated time makes transaction latency look like meter clock drift (1 real ms = 4.5 simulated s): bound it out.
  const poll = { hourlyOffsetMinutes: 2, archiveDepthHours: DEPTH_HOURS, currentIntervalSeconds: 5, clockDriftLimitSeconds: 86400 };
  const raw = {
    gatewayId: GW,
    timeZone: TZ,
    dataDir: './data',
    buses: [
      { id: 'rs485-1', ...bus, port: tsrvPort },
      { id: 'rs485-2', ...bus, port: karatPort },
    ],
    meters: [
      { id: 'tsrv-1', bus: 'rs485-1', protocol: 'tsrv', address: 1, profile: 'vzljot-tsrv-034', heatSystems: [{ system: 1, name: 'отопление' }, { system: 2, name: 'ГВС' }], poll },
      { id: 'karat-1', bus: 'rs485-2', protocol: 'karat', address: 2, profile: 'karat-307', poll },
    ],
    destinations: [
      { id: 'uk', role: 'УК', url: uk.url },
      { id: 'rso', role: 'РСО', url: rso.url, protocolVersion: 4 },
    ],
    status: { bind: '127.0.0.1', port: 0 },
  };
  mkdirSync(gwDir, { recursive: true });
  gwConfigFile = join(gwDir, 'config.json');
  writeFileSync(gwConfigFile, `${JSON.stringify(raw, null, 2)}\n`);
  gwConfig = validateConfig(raw, gwDir);
  receivers.push(spawnCli('receiver-uk', ['receiver', '--config', rxConfigs.uk]), spawnCli('receiver-rso', ['receiver', '--config', rxConfigs.rso]));
  await Promise.all(receivers.map((r) => lineOf(r, /subscribed/, 30_000)));
  mark('simulators, brokers, receivers up');
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(children.map((c) => terminate(c)));
  await Promise.allSettled([brokers.uk?.stop(), brokers.rso?.stop(), tsrvServer.close(), karatServer.close()]);
  for (const db of dbs.values()) db.close();
  // Keep the evidence of a failed run (logs, databases) for a post-mortem; OPENGKH_E2E_KEEP=1 keeps any run.
  if (failed || process.env.OPENGKH_E2E_KEEP) console.error(`e2e: run kept in ${root}\n${rec.phases.join('\n')}`);
  else rmSync(root, { recursive: true, force: true });
}, 60_000);

/** Any failed test keeps the run directory. */
let failed = false;
beforeEach(({ onTestFailed }) => onTestFailed(() => void (failed = true)));

describe.sequential('gateway end to end: real CLI, simulators, mosquitto, several simulated days', () => {
  it('runs 3 simulated days with a silent meter, a broker outage and a SIGKILL, then converges', async () => {
    // The clock starts now: gateway and simulators share it through OPENGKH_CLOCK.
    const anchor = Date.now();
    clock = scaledClock(anchor, ORIGIN, HOUR / HOUR_REAL_MS);
    const env = { ...process.env, OPENGKH_CLOCK: clockSpec(anchor, ORIGIN, HOUR / HOUR_REAL_MS) };
    const spawnedAt = clock.now();
    let gw = startGateway(env);
    // Initial backfill: a day of archive for every series, up to the hour the gateway started in at least.
    const startHour = Math.floor(spawnedAt / HOUR) * HOUR;
    // Its database is observed once the store is open and migrated.
    await lineOf(gw, /"gateway started"/, 30_000);
    await waitUntil(() => SERIES.every((s) => lastHour(s.meter, s.system) * 1000 >= startHour - HOUR), 30_000, () => 'the initial backfill');
    base = Math.ceil(clock.now() / HOUR) * HOUR;
    mark('initial backfill stored');

    await untilSim(at(PLAN.silentFrom));
    tsrvServer.faults.rules = [{ kind: 'silent', every: 1 }];
    mark('ТСРВ silent');
    await untilSim(at(PLAN.silentTo));
    tsrvServer.faults.rules = [];
    mark('ТСРВ answers again');

    await untilSim(at(PLAN.rsoDownFrom));
    await brokers.rso!.stop();
    mark('РСО broker stopped');

    await untilSim(at(PLAN.killAt));
    await waitUntil(() => allStoredThrough(PLAN.killAt - 2.5), 15_000, () => 'the hours before the kill');
    gw.proc.kill('SIGKILL');
    rec.killed = await gw.exited;
    for (const s of SERIES) rec.beforeKill[`${s.meter}|${s.system}`] = lastHour(s.meter, s.system);
    mark('gateway SIGKILLed');
    await untilSim(at(PLAN.restartAt));
    gw = startGateway(env);
    mark('gateway restarted');

    await untilSim(at(PLAN.rsoUpAt));
    rec.rsoBehindAtRestart = { rso: logSize(rxDbFile(rxData.rso)), gateway: logSize(gwDbFile()), uk: logSize(rxDbFile(rxData.uk)) };
    await brokers.rso!.start();
    mark('РСО broker restarted');

    await waitUntil(() => allStoredThrough(PLAN.lastHour), 60_000, () => `hour +${PLAN.lastHour} of every series (newest: ${SERIES.map((s) => new Date(lastHour(s.meter, s.system) * 1000).toISOString()).join(', ')})`);
    mark(`hour +${PLAN.lastHour} stored`);
    // Quiesce: with every meter silent the log stops growing once each meter's comm.lost is logged (then
    // nothing: failed polls of a lost meter add no entry), so both destinations can catch up to the very
    // last entry, receipts included, and the SIGTERM below appends nothing they lack.
    const silencedAt = logSize(gwDbFile());
    tsrvServer.faults.rules = [{ kind: 'silent', every: 1 }];
    karatServer.faults.rules = [{ kind: 'silent', every: 1 }];
    const lostSince = () =>
      query<{ m: string }>(gwDbFile(), "SELECT DISTINCT json_extract(entry, '$.body.meterId') AS m FROM log_entries WHERE idx >= ? AND json_extract(entry, '$.type') = 'comm.lost'", silencedAt).length;
    let stable = { size: -1, since: Date.now() };
    await waitUntil(
      () => {
        if (lostSince() < gwConfig.meters.length) return false;
        const size = logSize(gwDbFile());
        if (size !== stable.size) stable = { size, since: Date.now() };
        const c = cursors();
        return Date.now() - stable.since > 1500 && c.uk === size && c.rso === size && logSize(rxDbFile(rxData.uk)) === size && logSize(rxDbFile(rxData.rso)) === size;
      },
      30_000,
      () => `convergence: meters lost ${lostSince()}/${gwConfig.meters.length}, gateway ${logSize(gwDbFile())}, cursors ${JSON.stringify(cursors())}, УК ${logSize(rxDbFile(rxData.uk))}, РСО ${logSize(rxDbFile(rxData.rso))}`,
    );
    mark('both receivers caught up');

    // SIGTERM: finish, commit, exit 0.
    await terminate(gw, 20_000);
    const ex = await gw.exited;
    rec.stopped = { ...ex, clean: gw.lines.some((l) => l.includes('stopped cleanly')) };
    await Promise.all(receivers.map((r) => terminate(r)));
    for (const db of dbs.values()) db.close();
    dbs.clear();
    mark('gateway and receivers stopped');

    // Snapshot of the three logs and the gateway's readings.
    const read = (file: string) => {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx').all() as Row[];
      } finally {
        db.close();
      }
    };
    rec.rows = { gateway: read(gwDbFile()), uk: read(rxDbFile(rxData.uk)), rso: read(rxDbFile(rxData.rso)) };
    rec.entries = rec.rows.gateway.map((r) => ({ idx: r.idx, ...(JSON.parse(r.entry.toString('utf8')) as Omit<Entry, 'idx'>) }));
    const g = new Database(gwDbFile(), { readonly: true });
    rec.readings = g.prepare('SELECT meter_id, system, hour_start, log_index FROM readings').all() as typeof rec.readings;
    g.close();

    // The meters' archives, read once more through the drivers (an independent read of the same hours).
    tsrvServer.faults.rules = [];
    karatServer.faults.rules = [];
    const first = Math.min(...rec.readings.map((r) => r.hour_start));
    const last = Math.max(...rec.readings.map((r) => r.hour_start));
    for (const m of gwConfig.meters) {
      const bus = gwConfig.buses.find((b) => b.id === m.bus)!;
      if (bus.type !== 'tcp') throw new Error('tcp buses only');
      const t = new TcpTransport({ host: bus.host, port: bus.port });
      await t.open();
      try {
        const d = createMeterDriver(m, bus, t, { timeZone: TZ, now });
        for (const r of await d.readHourly(first, last + 3600)) rec.archive.set(key(m.id, r.system, r.hourStart), r);
      } finally {
        await t.close();
      }
    }
    mark('archives re-read');

    rec.completed = true;
    expect(rec.killed.signal).toBe('SIGKILL');
    expect(rec.stopped).toEqual({ code: 0, signal: null, clean: true });
  }, 150_000);

  it('every simulator hour is present exactly once per meter/system, equal to the meter archive', () => {
    expect(rec.completed, 'the scenario run above completed').toBe(true);
    const hourly = rec.entries.filter((e) => e.type === 'hourly');
    expect(hourly.length).toBe(rec.readings.length);
    for (const s of SERIES) {
      const mine = hourly.filter((e) => e.body.meterId === s.meter && e.body.system === s.system);
      const hours = mine.map((e) => Date.parse(e.body.hourStart as string) / 1000);
      expect(new Set(hours).size, `${s.meter}/${s.system}: no hour twice`).toBe(hours.length);
      const first = Math.min(...hours);
      const last = Math.max(...hours);
      // Contiguous from the initial backfill through the last hour of the run.
      expect(hours.length, `${s.meter}/${s.system}: no hour missing in [${new Date(first * 1000).toISOString()}, ${new Date(last * 1000).toISOString()}]`).toBe((last - first) / 3600 + 1);
      expect(last * 1000).toBeGreaterThanOrEqual(at(PLAN.lastHour));
      // The initial backfill went back the configured archive depth from the first cycle (whose read may
      // run past the next hour boundary on a loaded machine: one simulated hour is 800 real ms).
      const firstRead = Math.min(...mine.map((e) => Date.parse(e.body.readAt as string)));
      const depthReached = Math.floor(firstRead / HOUR) - DEPTH_HOURS - first / 3600;
      expect(depthReached, `${s.meter}/${s.system}: first hour vs archive depth from the first read`).toBeGreaterThanOrEqual(0);
      expect(depthReached).toBeLessThanOrEqual(2);
      expect(last * 1000 - first * 1000).toBeGreaterThanOrEqual((PLAN.lastHour + DEPTH_HOURS - 4) * HOUR);
      // Values, flags and source are what the driver decodes from the meter's archive for that hour.
      for (const e of mine) {
        const a = rec.archive.get(key(s.meter, s.system, Date.parse(e.body.hourStart as string) / 1000));
        expect(a, `${s.meter}/${s.system} ${e.body.hourStart as string} in the archive`).toBeDefined();
        expect({ values: e.body.values, flags: e.body.flags, source: e.body.source, tz: e.body.tz }).toEqual({ values: a!.values, flags: a!.flags, source: a!.source, tz: TZ });
        expect(Object.keys(e.body.values as object).length).toBeGreaterThanOrEqual(6);
        if (s.meter === 'tsrv-1') {
          // And, independently of the driver, what the simulated ТСРВ stores (profile: Q GJ and M t ×10⁻³, t °C ×10⁻²).
          const raw = tsrvRawHour(Date.parse(e.body.hourStart as string) / 1000, s.system);
          const v = e.body.values as Record<string, { value: number; unit: string }>;
          expect([v.Q, v.M1, v.M2, v.t1, v.t2]).toEqual([
            { value: Number(`${raw.Q}e-3`), unit: 'GJ' },
            { value: Number(`${raw.M1}e-3`), unit: 't' },
            { value: Number(`${raw.M2}e-3`), unit: 't' },
            { value: Number(`${raw.t1}e-2`), unit: '°C' },
            { value: Number(`${raw.t2}e-2`), unit: '°C' },
          ]);
        }
      }
      // Every readings row points at its own hourly entry.
      for (const r of rec.readings.filter((x) => x.meter_id === s.meter && x.system === s.system)) {
        const e = rec.entries[r.log_index]!;
        expect([e.type, e.body.meterId, e.body.system, e.body.hourStart]).toEqual(['hourly', s.meter, s.system, new Date(r.hour_start * 1000).toISOString()]);
      }
    }
  });

  it('hours missed while the gateway was killed are backfilled from the archive after the restart', () => {
    expect(rec.completed, 'the scenario run above completed').toBe(true);
    const boots = rec.entries.filter((e) => e.type === 'gateway.boot');
    expect(boots.length).toBe(2);
    const restartAt = Date.parse(boots[1]!.at);
    expect(restartAt).toBeGreaterThanOrEqual(at(PLAN.restartAt));
    for (const s of SERIES) {
      const before = rec.beforeKill[`${s.meter}|${s.system}`]!;
      // Hours closed while the gateway was down were read after the restart, none lost, none twice (above).
      const missed = rec.entries.filter((e) => e.type === 'hourly' && e.body.meterId === s.meter && e.body.system === s.system && Date.parse(e.body.hourStart as string) / 1000 > before && Date.parse(e.body.hourStart as string) + HOUR <= restartAt);
      expect(missed.length, `${s.meter}/${s.system}: hours closed during the outage`).toBeGreaterThanOrEqual(5);
      for (const e of missed) expect(Date.parse(e.body.readAt as string)).toBeGreaterThanOrEqual(restartAt);
      expect(missed.every((e) => e.idx > boots[1]!.idx)).toBe(true);
    }
  });

  it('the gateway processes printed no warning of node and no error line', () => {
    expect(rec.completed, 'the scenario run above completed').toBe(true);
    const bad = gateways.flatMap((g) => g.lines.filter((l) => /Warning|"level":"error"/.test(l)).map((l) => `${g.name}: ${l}`));
    expect(bad).toEqual([]);
  });

  it('the ТСРВ silent for 6 simulated hours: comm lost, restored, and its hours backfilled', () => {
    expect(rec.completed, 'the scenario run above completed').toBe(true);
    const ev = (type: string) => rec.entries.filter((e) => e.type === type && e.body.meterId === 'tsrv-1' && Date.parse(e.at) >= at(PLAN.silentFrom) && Date.parse(e.at) < at(PLAN.silentTo + 2));
    const lost = ev('comm.lost');
    const restored = ev('comm.restored');
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(restored.length).toBeGreaterThanOrEqual(1);
    expect(Date.parse(restored.at(-1)!.at)).toBeGreaterThanOrEqual(at(PLAN.silentTo));
    expect(Date.parse(restored.at(-1)!.at)).toBeGreaterThan(Date.parse(lost[0]!.at));
    for (const system of [1, 2]) {
      // The 6 hours that closed while it was silent were read after it answered again.
      const gap = rec.entries.filter((e) => e.type === 'hourly' && e.body.meterId === 'tsrv-1' && e.body.system === system && Date.parse(e.body.hourStart as string) + HOUR > at(PLAN.silentFrom) && Date.parse(e.body.hourStart as string) + HOUR <= at(PLAN.silentTo));
      expect(gap.length, `ТС${system}: hours closed during the silence`).toBe(6);
      for (const e of gap) expect(Date.parse(e.body.readAt as string)).toBeGreaterThanOrEqual(at(PLAN.silentTo));
    }
  });

  it('the РСО destination offline for 18 simulated hours caught up', () => {
    expect(rec.completed, 'the scenario run above completed').toBe(true);
    // At the broker's restart РСО was behind while УК kept up.
    expect(rec.rsoBehindAtRestart.rso).toBeLessThan(rec.rsoBehindAtRestart.gateway - 20);
    expect(rec.rsoBehindAtRestart.uk).toBeGreaterThan(rec.rsoBehindAtRestart.rso);
    expect(rec.rows.rso.length).toBe(rec.rows.gateway.length);
    // Each party's receipt travelled through the log.
    const receipts = rec.entries.filter((e) => e.type === 'cosignature');
    expect(new Set(receipts.map((e) => e.body.destination))).toEqual(new Set(['uk', 'rso']));
  });

  it('both receivers hold byte-identical log entries equal to the gateway’s', () => {
    expect(rec.completed, 'the scenario run above completed').toBe(true);
    const n = rec.rows.gateway.length;
    expect(n).toBeGreaterThan(200);
    for (const side of ['uk', 'rso'] as const) {
      const rows = rec.rows[side];
      expect(rows.length, side).toBe(n);
      for (let i = 0; i < n; i++) {
        const a = rec.rows.gateway[i]!;
        const b = rows[i]!;
        if (a.idx !== b.idx || !a.entry.equals(b.entry) || !a.leaf_hash.equals(b.leaf_hash)) expect.fail(`${side}: entry ${i} differs from the gateway's`);
      }
    }
  });

  it('opengkh log verify (gateway) and opengkh receiver verify (both receivers) pass', async () => {
    expect(rec.completed, 'the scenario run above completed').toBe(true);
    const [lv, uk, rso] = await Promise.all([cli(['log', 'verify', '--config', gwConfigFile]), cli(['receiver', 'verify', '--config', rxConfigs.uk]), cli(['receiver', 'verify', '--config', rxConfigs.rso])]);
    expect(lv.code, lv.out).toBe(0);
    for (const r of [uk, rso]) {
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`ok   ${GW}: ${rec.rows.gateway.length} entries`);
    }
    mark('verified');
    console.log(`e2e phases:\n${rec.phases.join('\n')}`);
  }, 60_000);
});
