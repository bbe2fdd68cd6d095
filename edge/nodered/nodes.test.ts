/**
 * The gkh-* nodes under node-red-node-test-helper (the Node-RED runtime, no editor), loaded through the
 * same CommonJS entry a palette install uses (nodes/opengkh.cjs → dist/…/register.js: run `npx tsc -p .`
 * first). The gateway is TestGateway: the real event bus and the real config validation.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../bus.js';
import type { CurrentReading, HourlyRecord } from '../drivers/types.js';
import { GkhError } from '../errors.js';
import type { FlowNode } from './compile.js';
import type { DeployResult } from './register.js';
import { TestGateway } from './test-gateway.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const flowsDir = resolve(here, '../../flows');
const gkhNodes = require('./nodes/opengkh.cjs') as (red: unknown) => Promise<void>;

interface Helper {
  init(path?: string): void;
  settings(s: Record<string, unknown>): Record<string, unknown>;
  load(nodes: unknown[], flow: FlowNode[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): (NodeLike & { receive(msg: unknown): void }) | null;
  request(): { get(path: string): PromiseLike<{ status: number; body: unknown }> };
}
interface NodeLike {
  on(ev: string, fn: (arg: { args: unknown[] } & Record<string, unknown>) => void): void;
  status: { lastCall?: { args: unknown[] } } & ((...a: unknown[]) => void);
}
const helper = require('node-red-node-test-helper') as Helper;
const coreNodes = join(dirname(require.resolve('@node-red/nodes/package.json')), 'core/common');
const catchNode = require(join(coreNodes, '25-catch.js')) as unknown;
// The flows in flows/ also hold core inject and debug nodes; a flow with unknown types never starts.
const injectNode = require(join(coreNodes, '20-inject.js')) as unknown;
const debugNode = require(join(coreNodes, '21-debug.js')) as unknown;

function baseConfig(dir = '/tmp/opengkh-nodered-test') {
  return { gatewayId: 'gw-test', timeZone: 'Asia/Yekaterinburg', dataDir: dir, buses: [], meters: [] };
}

function flowFile(name: string): FlowNode[] {
  return JSON.parse(readFileSync(join(flowsDir, name), 'utf8')) as FlowNode[];
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The deploy result the runtime publishes at GET <admin>/opengkh/deploy, once one newer than `after` exists. */
async function deployResult(after = 0): Promise<DeployResult> {
  return until('a deploy result', async () => {
    const res = await helper.request().get('/opengkh/deploy');
    const r = res.body as DeployResult | null;
    return r && r.seq > after ? r : undefined;
  });
}

let gw: TestGateway;

beforeAll(() => {
  helper.init(require.resolve('node-red'));
});

afterEach(async () => {
  await helper.unload();
});

function withGateway(): TestGateway {
  gw = new TestGateway(baseConfig());
  helper.settings({ opengkhGateway: gw });
  return gw;
}

describe('flows/ compile to the gateway config on deploy', () => {
  it.each(['mbus-heat-meter.json', 'tsrv-034-two-systems.json', 'two-meters-rs485-optical.json'])('%s loads, compiles, passes the schema and is applied', async (name) => {
    const g = withGateway();
    const flow = flowFile(name);
    await helper.load([gkhNodes, injectNode, debugNode], flow);
    const r = await deployResult();
    expect(r.problems).toEqual([]);
    expect(r.state).toBe('applied');
    expect(g.applied).toHaveLength(1);
    const cfg = g.applied[0]!;
    // Every gkh config node became exactly one entry, and what the flow does not describe is kept.
    expect(cfg.buses.map((b) => b.id).sort()).toEqual(flow.filter((n) => n.type === 'gkh-bus').map((n) => n.busId).sort());
    expect(cfg.meters.map((m) => m.id).sort()).toEqual(flow.filter((n) => n.type === 'gkh-meter').map((n) => n.meterId).sort());
    expect(cfg.regimeMaps.map((m) => m.id).sort()).toEqual(flow.filter((n) => n.type === 'gkh-regime').map((n) => n.mapId).sort());
    expect(cfg.gatewayId).toBe('gw-test');
    expect(cfg.timeZone).toBe('Asia/Yekaterinburg');
    // The flow's status node saw the result and shows the gateway's meters.
    const status = helper.getNode(flow.find((n) => n.type === 'gkh-status')!.id)!;
    await until('gkh-status status', () => ((status.status.lastCall?.args[0] as { text?: string } | undefined)?.text?.includes('meters') ? true : undefined));
    // While the gateway applied the config the node said so.
    const texts = (status.status as unknown as { args: [{ text?: string }][] }).args.map((a) => a[0].text);
    expect(texts).toContain('applying config… / применяется…');
  });

  it('ТСРВ-034 flow: two heat systems with their regime maps, both destinations, the password from credentials', async () => {
    const g = withGateway();
    const flow = flowFile('tsrv-034-two-systems.json');
    await helper.load([gkhNodes, injectNode, debugNode], flow, { b2f0000000000040: { password: 'uk-secret' } });
    await deployResult();
    const cfg = g.applied[0]!;
    expect(cfg.buses).toEqual([{ id: 'rs485-1', description: 'RS-485 USB adapter', type: 'serial', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, timeoutMs: 1000, interByteTimeoutMs: 50, guardTimeMs: 50, retries: 2 }]);
    const m = cfg.meters[0]!;
    expect(m).toMatchObject({ id: 'tsrv-034', bus: 'rs485-1', protocol: 'tsrv', address: 1 });
    expect(m.heatSystems).toEqual([
      { system: 1, name: 'Отопление', regimeMap: 'heating-130-70' },
      { system: 2, name: 'ГВС', regimeMap: 'dhw-60' },
    ]);
    const heating = cfg.regimeMaps.find((r) => r.id === 'heating-130-70')!;
    expect(heating.schedule?.[4]).toEqual({ outdoor: -32, t1: 130, t2: 70 });
    expect(heating).toMatchObject({ breakPoint: 65, cutOff: 115, tolerances: { t1: { below: 3, above: 3, unit: '%' } }, pressure: { p1Min: 0.4, p1Max: 1, dpMin: 0.1 } });
    expect(cfg.destinations.map((d) => [d.id, d.role, d.protocolVersion])).toEqual([
      ['uk', 'УК', 5],
      ['rso', 'РСО', 4],
    ]);
    expect(cfg.destinations[0]!.password).toBe('uk-secret');
    expect(cfg.destinations[1]!.password).toBeUndefined();
  });

  it('an invalid flow keeps the running config and reports each problem on its config node', async () => {
    const g = withGateway();
    const before = g.config;
    const flow = flowFile('mbus-heat-meter.json');
    const meter = flow.find((n) => n.type === 'gkh-meter')!;
    meter.address = '300'; // M-Bus primary addresses end at 250
    const bus = flow.find((n) => n.type === 'gkh-bus')!;
    bus.baudRate = '2401';
    await helper.load([gkhNodes, injectNode, debugNode], flow);
    const r = await deployResult();
    expect(r.state).toBe('rejected');
    expect(g.applied).toHaveLength(0);
    expect(g.config).toBe(before);
    const paths = r.problems.map((p) => [p.path, p.node]);
    expect(paths).toContainEqual(['/meters/0/address', meter.id]);
    expect(paths).toContainEqual(['/buses/0/baudRate', bus.id]);
    // node.error on the config node: what the Debug sidebar shows, with a link to the node.
    const meterNode = helper.getNode(meter.id) as unknown as { error: { args: unknown[][] } };
    await until('node.error on the meter node', () => (meterNode.error.args.some((a) => String(a[0]).startsWith('/meters/0/address')) ? true : undefined));
    const status = helper.getNode(flow.find((n) => n.type === 'gkh-status')!.id)!;
    await until('rejected status', () => ((status.status.lastCall?.args[0] as { text?: string } | undefined)?.text?.startsWith('config rejected') ? true : undefined));
  });

  it('a meter whose bus node is missing is rejected with the meter named', async () => {
    withGateway();
    const flow = flowFile('mbus-heat-meter.json').filter((n) => n.type !== 'gkh-bus');
    await helper.load([gkhNodes, injectNode, debugNode], flow);
    const r = await deployResult();
    expect(r.state).toBe('rejected');
    expect(r.problems[0]).toMatchObject({ path: '/meters/0/bus', node: 'a1f0000000000030' });
  });

  it('redeploying the config in force leaves the gateway alone', async () => {
    const g = withGateway();
    await helper.load([gkhNodes, injectNode, debugNode], flowFile('mbus-heat-meter.json'));
    const first = await deployResult();
    expect(first.state).toBe('applied');
    await helper.unload();
    helper.settings({ opengkhGateway: g });
    await helper.load([gkhNodes, injectNode, debugNode], flowFile('mbus-heat-meter.json'));
    const second = await deployResult(first.seq);
    expect(second.state).toBe('unchanged');
    expect(g.applied).toHaveLength(1);
  });

  it('without a gateway (plain Node-RED) the flow is still validated and flow nodes say so', async () => {
    helper.settings({ opengkhGateway: undefined });
    const flow = flowFile('two-meters-rs485-optical.json');
    await helper.load([gkhNodes, injectNode, debugNode], flow);
    const r = await deployResult();
    expect(r.state).toBe('valid');
    const readings = helper.getNode('c3f0000000000100')!;
    expect(readings.status.lastCall?.args[0]).toMatchObject({ text: 'no gateway / нет шлюза' });
  });
});

describe('flow nodes', () => {
  const tab = { id: 'f1', type: 'tab', label: 't' };
  const record = (meterId: string, system: number): HourlyRecord => ({
    meterId,
    system,
    hourStart: 1_764_313_200,
    values: { Q: { value: 0.123, unit: 'Gcal' }, t1: { value: 71.25, unit: '°C' } },
    flags: [],
    source: 'archive',
    rawFrames: ['68 03 03 68'],
    readAt: 1_764_317_100_000,
  });

  it('gkh-readings emits hourly records and events as stored, filtered by meter and kind', async () => {
    const g = withGateway();
    const flow: FlowNode[] = [
      tab,
      { id: 'readAll', type: 'gkh-readings', z: 'f1', what: 'all', meter: '', wires: [['outAll']] },
      { id: 'hourly1', type: 'gkh-readings', z: 'f1', what: 'hourly', meter: 'heat-1', wires: [['outHourly']] },
      { id: 'outAll', type: 'helper', z: 'f1' },
      { id: 'outHourly', type: 'helper', z: 'f1' },
    ];
    await helper.load([gkhNodes, injectNode, debugNode], flow);
    const all: Record<string, unknown>[] = [];
    const hourly: Record<string, unknown>[] = [];
    helper.getNode('outAll')!.on('input', (m) => all.push(m));
    helper.getNode('outHourly')!.on('input', (m) => hourly.push(m));
    const ev: GatewayEvent = { at: 1_764_317_000_000, type: 'comm.lost', meterId: 'heat-2', data: { code: 'TRANSPORT_TIMEOUT' } };
    g.bus.emit('hourly', record('heat-1', 1), 41);
    g.bus.emit('hourly', record('heat-2', 2), 42);
    g.bus.emit('event', ev, 43);
    await until('3 messages', () => (all.length === 3 ? true : undefined));
    expect(all.map((m) => [m.topic, m.logIndex])).toEqual([
      ['opengkh/hourly/heat-1/1', 41],
      ['opengkh/hourly/heat-2/2', 42],
      ['opengkh/event/comm.lost', 43],
    ]);
    expect(all[0]!.payload).toEqual(record('heat-1', 1));
    expect(all[2]!.payload).toEqual(ev);
    expect(hourly.map((m) => m.topic)).toEqual(['opengkh/hourly/heat-1/1']);
  });

  it('gkh-readings detaches from the bus when the flow stops', async () => {
    const g = withGateway();
    await helper.load([gkhNodes], [tab, { id: 'r', type: 'gkh-readings', z: 'f1', what: 'all', meter: '', wires: [['o']] }, { id: 'o', type: 'helper', z: 'f1' }]);
    const got: unknown[] = [];
    helper.getNode('o')!.on('input', (m) => got.push(m));
    await helper.unload();
    g.bus.emit('hourly', record('heat-1', 1), 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
    await helper.load([gkhNodes], [tab]);
  });

  it('gkh-read reads through the gateway (current, identify, hourly window) and reports errors with their code', async () => {
    const g = new TestGateway({ ...baseConfig(), buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: 1 }], meters: [{ id: 'heat-1', bus: 'b', protocol: 'mbus', address: 1 }] });
    helper.settings({ opengkhGateway: g });
    const reading: CurrentReading = { readAt: 1_764_317_100_000, systems: [{ system: 1, values: { Q: { value: 1234.567, unit: 'Gcal' } } }], rawFrames: ['68 aa'] };
    g.answer = (_m, what) => (what === 'current' ? Promise.resolve(reading) : what === 'identify' ? Promise.resolve({ serial: '12345678', model: 'TEST', rawFrames: [] }) : Promise.resolve([record('heat-1', 1)]));
    const flow: FlowNode[] = [
      tab,
      { id: 'read', type: 'gkh-read', z: 'f1', meter: 'heat-1', what: 'current', hours: '3', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'f1' },
      { id: 'catcher', type: 'catch', z: 'f1', scope: ['read'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1' },
    ];
    await helper.load([gkhNodes, catchNode, injectNode, debugNode], flow);
    const out: Record<string, unknown>[] = [];
    const caught: Record<string, unknown>[] = [];
    helper.getNode('out')!.on('input', (m) => out.push(m));
    helper.getNode('caught')!.on('input', (m) => caught.push(m));
    const read = helper.getNode('read')!;
    read.receive({ payload: 'go' });
    await until('current', () => (out.length === 1 ? true : undefined));
    expect(out[0]).toMatchObject({ topic: 'opengkh/read/heat-1/current', payload: reading });
    read.receive({ what: 'identify' });
    read.receive({ what: 'hourly', fromHour: 1_764_309_600, toHour: 1_764_316_800 });
    read.receive({ what: 'hourly' });
    await until('3 more', () => (out.length === 4 ? true : undefined));
    expect(g.reads[0]).toEqual({ meterId: 'heat-1', what: 'current' });
    expect(g.reads[1]).toEqual({ meterId: 'heat-1', what: 'identify' });
    expect(g.reads[2]).toEqual({ meterId: 'heat-1', what: { fromHour: 1_764_309_600, toHour: 1_764_316_800 } });
    const w = g.reads[3]!.what as { fromHour: number; toHour: number };
    expect(w.toHour % 3600).toBe(0);
    expect(w.toHour - w.fromHour).toBe(3 * 3600); // the node's "last hours" setting
    g.answer = () => Promise.reject(new GkhError('TRANSPORT_TIMEOUT', 'no reply within 1000 ms'));
    read.receive({ payload: 'again' });
    read.receive({ meterId: 'nope' });
    await until('2 errors', () => (caught.length === 2 ? true : undefined));
    expect(caught.map((m) => (m.error as { code?: string }).code).sort()).toEqual(['DRIVER_UNKNOWN_METER', 'TRANSPORT_TIMEOUT']);
  });

  it('gkh-outdoor feeds °C to the gateway, rejects what is not a plausible temperature, and makes the source external', async () => {
    const g = withGateway();
    const flow: FlowNode[] = [
      tab,
      ...flowFile('mbus-heat-meter.json').filter((n) => n.type.startsWith('gkh-') && n.z === undefined),
      { id: 'out', type: 'gkh-outdoor', z: 'f1', source: 'weather-station', wires: [] },
      { id: 'catcher', type: 'catch', z: 'f1', scope: ['out'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1' },
    ];
    await helper.load([gkhNodes, catchNode, injectNode, debugNode], flow);
    await deployResult();
    expect(g.config.outdoorTemperature).toEqual({ source: 'external' });
    const caught: unknown[] = [];
    helper.getNode('caught')!.on('input', (m) => caught.push(m));
    const node = helper.getNode('out')!;
    node.receive({ payload: -12.5, timestamp: 1_764_317_000_000 });
    node.receive({ payload: '-7,25' });
    node.receive({ payload: 'warm' });
    node.receive({ payload: 150 });
    await until('2 values and 2 errors', () => (g.outdoor.length === 2 && caught.length === 2 ? true : undefined));
    expect(g.outdoor[0]).toEqual({ celsius: -12.5, at: 1_764_317_000_000, source: 'weather-station' });
    expect(g.outdoor[1]!.celsius).toBe(-7.25);
    expect(g.outdoor[1]!.source).toBe('weather-station');
  });

  it('gkh-status sends the status snapshot on input and shows the meters', async () => {
    const g = new TestGateway({ ...baseConfig(), buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: 1 }], meters: [{ id: 'heat-1', bus: 'b', protocol: 'mbus', address: 1 }] });
    helper.settings({ opengkhGateway: g });
    await helper.load([gkhNodes], [tab, { id: 's', type: 'gkh-status', z: 'f1', interval: '0', wires: [['o']] }, { id: 'o', type: 'helper', z: 'f1' }]);
    const got: Record<string, unknown>[] = [];
    helper.getNode('o')!.on('input', (m) => got.push(m));
    helper.getNode('s')!.receive({ payload: 1 });
    await until('status', () => (got.length === 1 ? true : undefined));
    const snap = got[0]!.payload as ReturnType<TestGateway['status']>;
    expect(snap.gateway.id).toBe('gw-test');
    expect(snap.meters.map((m) => m.id)).toEqual(['heat-1']);
    expect(helper.getNode('s')!.status.lastCall?.args[0]).toMatchObject({ text: '0/1 meters ok' });
  });
});
