/**
 * Each flow in flows/ deployed to the embedded editor (admin API, as the editor's Deploy button sends it)
 * and run by the real gateway runtime against simulators on socat pty pairs: the M-Bus heat meter; the
 * ТСРВ-034 with two heat systems; a ТСРВ-034 and a Карат-307 sharing one RS-485 line plus an IEC 62056-21
 * optical meter. The only edit is the serial port, as an installer would make it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { driverFactory } from '../../cli/cmd-run.js';
import { validateConfig } from '../config/index.js';
import { openTransport } from '../drivers/index.js';
import { IecSimulator } from '../drivers/iec62056/sim.js';
import { KaratSimulator } from '../drivers/karat/sim.js';
import { serveSerial, SimBus } from '../drivers/mbus/simulator.js';
import { loadProfile } from '../drivers/profiles/index.js';
import { RtuServer } from '../drivers/sim/rtu-server.js';
import { socatPair, type PtyPair } from '../drivers/transport/socat.js';
import { TsrvSimulator } from '../drivers/tsrv/sim.js';
import { Gateway, setTransportFactory } from '../gateway.js';
import { createLogger } from '../logger.js';
import { startNodeRed, type RunningNodeRed } from './index.js';

const nrRequire = createRequire(createRequire(import.meta.url).resolve('node-red'));
const bcrypt = nrRequire('bcryptjs') as { hashSync(pw: string, rounds: number): string };
const flowsDir = resolve(import.meta.dirname, '../../flows');
const TZ = 'Asia/Yekaterinburg';

let dir: string;
let gateway: Gateway;
let editor: RunningNodeRed;
let auth: Record<string, string>;
const cleanup: (() => Promise<void>)[] = [];
const polls: { meterId: string; ok: boolean; code?: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opengkh-flows-'));
  const log = createLogger('test', () => undefined);
  setTransportFactory((bus) => openTransport(bus));
  const adminAuth = { username: 'installer', passwordHash: bcrypt.hashSync('pw-flows', 8) };
  const cfg = validateConfig({ gatewayId: 'gw-flows', timeZone: TZ, dataDir: dir, buses: [], meters: [], nodeRed: { enabled: true, port: 0, adminAuth } });
  gateway = await Gateway.start(cfg, { logger: log, drivers: driverFactory(log) });
  gateway.bus.on('poll', (meterId, ok, error) => polls.push({ meterId, ok, ...(error ? { code: error.code } : {}) }));
  editor = await startNodeRed(gateway, { dataDir: dir, keysDir: join(dir, 'keys'), bind: '127.0.0.1', port: 0, adminAuth, log });
  const res = await fetch(`${editor.url}auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username: 'installer', password: 'pw-flows' }) });
  auth = { authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}`, 'Node-RED-API-Version': 'v2' };
}, 60_000);

// Each flow's simulators go when its test ends: the gateway applies the next deploy only after the poll
// cycle in progress (a 45-day backfill) ends, and with the line gone it ends at the next transaction.
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup.length = 0;
});

afterAll(async () => {
  await editor?.stop();
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function pty(): Promise<PtyPair> {
  const p = await socatPair();
  cleanup.push(() => p.close());
  return p;
}

/** Deploys a flow file with its serial ports replaced, as the editor's Deploy (full) does. */
async function deploy(file: string, ports: Record<string, string>): Promise<void> {
  let text = readFileSync(join(flowsDir, file), 'utf8');
  for (const [from, to] of Object.entries(ports)) {
    expect(text).toContain(JSON.stringify(from));
    text = text.replaceAll(JSON.stringify(from), JSON.stringify(to));
  }
  const r = await fetch(`${editor.url}flows`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify({ flows: JSON.parse(text) as unknown }) });
  expect(r.status).toBe(200);
}

/** Waits until every meter has had a successful poll; fails with what the gateway saw. */
async function polled(meters: string[], ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  const ok = () => meters.every((m) => polls.some((p) => p.meterId === m && p.ok));
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect({ meters: meters.filter((m) => !polls.some((p) => p.meterId === m && p.ok)), polls: polls.filter((p) => !p.ok && meters.includes(p.meterId)) }).toEqual({ meters: [], polls: [] });
}

/** Waits until every listed meter/system has stored hours (the archive read follows the first ok poll). */
async function stored(pairs: [string, number][], ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  const missing = () => pairs.filter(([id, sys]) => !(gateway.status().meters.find((m) => m.id === id)?.systems.find((s) => s.system === sys)?.storedHours ?? 0));
  while (missing().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  expect(missing()).toEqual([]);
}

describe('flows/ run against simulators', () => {
  it('mbus-heat-meter.json: one M-Bus heat meter at 2400 8E1', async () => {
    const p = await pty();
    const ep = await serveSerial(new SimBus({ meters: [{ address: 1, id: '12345678', timeZone: TZ }] }), p.b);
    cleanup.push(() => ep.close());
    await deploy('mbus-heat-meter.json', { '/dev/ttyUSB0': p.a });
    await polled(['heat-1']);
    const m = gateway.status().meters.find((x) => x.id === 'heat-1')!;
    expect(m).toMatchObject({ link: 'ok', protocol: 'mbus', identity: { serial: '12345678' }, systems: [{ system: 1, name: 'Отопление' }] });
    expect(gateway.config.meters[0]!.heatSystems[0]!.regimeMap).toBe('heating-95-70');
  }, 60_000);

  it('tsrv-034-two-systems.json: ТСРВ-034, heating + hot water, hourly archive of both systems', async () => {
    const p = await pty();
    const sim = new RtuServer([new TsrvSimulator({ profile: loadProfile('vzljot-tsrv-034'), address: 1, timeZone: TZ, depthHours: 1104 })]);
    await sim.listen({ serial: p.b, baudRate: 9600 });
    cleanup.push(() => sim.close());
    await deploy('tsrv-034-two-systems.json', { '/dev/ttyUSB0': p.a });
    await polled(['tsrv-034']);
    await stored([
      ['tsrv-034', 1],
      ['tsrv-034', 2],
    ]);
    const m = gateway.status().meters.find((x) => x.id === 'tsrv-034')!;
    expect(m.systems.map((s) => [s.system, s.name, s.storedHours > 0])).toEqual([
      [1, 'Отопление', true],
      [2, 'ГВС', true],
    ]);
    expect(gateway.status().meters.map((x) => x.id)).toEqual(['tsrv-034']); // the M-Bus flow was replaced
  }, 60_000);

  it('two-meters-rs485-optical.json: ТСРВ-034 and Карат-307 share one RS-485 line, plus an optical head', async () => {
    const line = await pty();
    const optical = await pty();
    const rtu = new RtuServer([
      new TsrvSimulator({ profile: loadProfile('vzljot-tsrv-034'), address: 1, timeZone: TZ, depthHours: 1104 }),
      new KaratSimulator({ profile: loadProfile('karat-307'), address: 2, timeZone: TZ, depthHours: 1104 }),
    ]);
    await rtu.listen({ serial: line.b, baudRate: 9600 });
    cleanup.push(() => rtu.close());
    const iec = new IecSimulator({ serial: '66153690' });
    await iec.listen({ serial: optical.b });
    cleanup.push(() => iec.close());
    await deploy('two-meters-rs485-optical.json', { '/dev/ttyUSB0': line.a, '/dev/ttyUSB1': optical.a });
    await polled(['tsrv-1', 'karat-1', 'optical-1']);
    await stored([
      ['tsrv-1', 1],
      ['karat-1', 1],
    ]);
    const byId = new Map(gateway.status().meters.map((x) => [x.id, x]));
    expect(byId.get('tsrv-1')).toMatchObject({ bus: 'rs485-1', link: 'ok' });
    expect(byId.get('karat-1')).toMatchObject({ bus: 'rs485-1', link: 'ok' });
    expect(byId.get('optical-1')).toMatchObject({ bus: 'optical-1', link: 'ok', identity: { serial: '66153690' } });
    expect(iec.readouts).toBeGreaterThan(0);
  }, 60_000);
});
