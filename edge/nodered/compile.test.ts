/** compileFlow: editor values → gateway config candidate; the schema (validateConfig) has the last word. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/index.js';
import { isGkhError } from '../errors.js';
import { compileFlow, num, originOf, type FlowNode } from './compile.js';

const base = validateConfig({ gatewayId: 'gw', timeZone: 'Europe/Moscow', dataDir: '/var/lib/opengkh', buses: [], meters: [], nodeRed: { enabled: true, adminAuth: { username: 'a', passwordHash: '$2b$08$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234' } } });

const bus = (id: string, busId: string, extra: Record<string, unknown> = {}): FlowNode => ({ id, type: 'gkh-bus', busId, busType: 'serial', path: '/dev/ttyUSB0', baudRate: '9600', parity: 'none', dataBits: '8', stopBits: '1', timeoutMs: '', ...extra });
const meter = (id: string, meterId: string, busNode: string, extra: Record<string, unknown> = {}): FlowNode => ({ id, type: 'gkh-meter', meterId, bus: busNode, protocol: 'tsrv', address: '1', heatSystems: [{ system: '1', name: '', regimeMap: '' }], ...extra });

function problemsOf(candidate: unknown): string[] {
  try {
    validateConfig(candidate, '/');
    return [];
  } catch (e) {
    if (!isGkhError(e, 'CONFIG_INVALID')) throw e;
    return (e.context.problems as { path: string }[]).map((p) => p.path);
  }
}

describe('compileFlow', () => {
  it('turns numeric text into numbers, leaves empty fields to schema defaults, and keeps what a flow does not describe', () => {
    const c = compileFlow([bus('b1', 'rs485-1'), meter('m1', 'tsrv-1', 'b1', { hourlyOffsetMinutes: '7', archiveDepthHours: '' })], base);
    expect(c.problems).toEqual([]);
    const cfg = validateConfig(c.candidate, '/');
    expect(cfg.buses[0]).toMatchObject({ id: 'rs485-1', baudRate: 9600, parity: 'none', timeoutMs: 1000 });
    expect(cfg.meters[0]).toMatchObject({ id: 'tsrv-1', bus: 'rs485-1', address: 1, poll: { hourlyOffsetMinutes: 7, archiveDepthHours: 1080 } });
    expect(cfg.meters[0]!.heatSystems).toEqual([{ system: 1 }]);
    // Identity, storage, status page and the editor's own auth come from the running config, never from a flow.
    expect(cfg).toMatchObject({ gatewayId: 'gw', timeZone: 'Europe/Moscow', dataDir: '/var/lib/opengkh', nodeRed: base.nodeRed });
  });

  it('keeps what is not a number as typed so the schema names it', () => {
    const c = compileFlow([bus('b1', 'rs485-1', { baudRate: '96OO', retries: '1.5' })], base);
    expect([...new Set(problemsOf(c.candidate))].sort()).toEqual(['/buses/0/baudRate', '/buses/0/retries']);
    expect(originOf('/buses/0/baudRate', c.origins)).toBe('b1');
    expect(num(' 12 ')).toBe(12);
    expect(num('-3.5e1')).toBe(-35);
    expect(num('')).toBeUndefined();
    expect(num('0x10')).toBe('0x10');
  });

  it('a TCP bus drops serial-only fields; an IEC address stays text; primary addresses are integers', () => {
    const c = compileFlow(
      [
        bus('b1', 'conv', { busType: 'tcp', host: '192.0.2.10', port: '4001' }),
        meter('m1', 'mbus-1', 'b1', { protocol: 'mbus', address: '250' }),
        meter('m2', 'opt-1', 'b1', { protocol: 'iec62056', address: '123' }),
        meter('m3', 'mbus-2', 'b1', { protocol: 'mbus', address: '1234567F' }),
      ],
      base,
    );
    const cfg = validateConfig(c.candidate, '/');
    expect(cfg.buses[0]).toEqual({ id: 'conv', type: 'tcp', host: '192.0.2.10', port: 4001, timeoutMs: 1000, interByteTimeoutMs: 50, guardTimeMs: 50, retries: 2 });
    expect(cfg.meters.map((m) => m.address)).toEqual([250, '123', '1234567F']);
  });

  it('resolves node references to gateway ids and names dangling ones', () => {
    const map: FlowNode = { id: 'r1', type: 'gkh-regime', mapId: 'heat', schedule: [{ outdoor: '8', t1: '65', t2: '41' }, { outdoor: '-32', t1: '130', t2: '70' }], tolerances: '{"t1":{"below":3,"above":3}}' };
    const c = compileFlow([bus('b1', 'rs485-1'), map, meter('m1', 'tsrv-1', 'b1', { heatSystems: [{ system: '1', name: 'Отопление', regimeMap: 'r1' }, { system: '2', name: 'ГВС', regimeMap: 'gone' }] }), meter('m2', 'tsrv-2', 'nope')], base);
    expect(c.problems.map((p) => p.path)).toEqual(['/meters/0/heatSystems/1/regimeMap', '/meters/1/bus']);
    expect(originOf('/meters/0/heatSystems/1/regimeMap', c.origins)).toBe('m1');
    expect(originOf('/meters/1/bus', c.origins)).toBe('m2');
    const ok = compileFlow([bus('b1', 'rs485-1'), map, meter('m1', 'tsrv-1', 'b1', { heatSystems: [{ system: '1', name: 'Отопление', regimeMap: 'r1' }] })], base);
    const cfg = validateConfig(ok.candidate, '/');
    expect(cfg.meters[0]!.heatSystems).toEqual([{ system: 1, name: 'Отопление', regimeMap: 'heat' }]);
    expect(cfg.regimeMaps[0]).toMatchObject({ id: 'heat', schedule: [{ outdoor: 8, t1: 65, t2: 41 }, { outdoor: -32, t1: 130, t2: 70 }], tolerances: { t1: { below: 3, above: 3, unit: '%' } } });
  });

  it('skips disabled nodes and the config nodes of disabled flows; counts what configures the gateway', () => {
    const c = compileFlow([{ id: 't1', type: 'tab', disabled: true }, bus('b1', 'rs485-1', { d: true }), bus('b2', 'scoped', { z: 't1' }), { id: 'x', type: 'inject', z: 't2' }], base);
    expect(c.configNodes).toBe(0);
    expect(compileFlow([{ id: 'x', type: 'inject' }], base).configNodes).toBe(0);
  });

  it('a gkh-outdoor node makes the outdoor temperature external; otherwise the running meter choice is kept while that meter exists', () => {
    const withMeter = { ...base, outdoorTemperature: { source: 'meter' as const, meter: 'tsrv-1' } };
    const flow = [bus('b1', 'rs485-1'), meter('m1', 'tsrv-1', 'b1')];
    expect(compileFlow([...flow, { id: 'o', type: 'gkh-outdoor', z: 't' }], withMeter).candidate.outdoorTemperature).toEqual({ source: 'external' });
    expect(compileFlow(flow, withMeter).candidate.outdoorTemperature).toEqual({ source: 'meter', meter: 'tsrv-1' });
    expect(compileFlow([bus('b1', 'rs485-1')], withMeter).candidate.outdoorTemperature).toEqual({ source: 'meter' });
  });

  it('destination: password from credentials, TLS only for mqtts/wss, batch only when set', () => {
    const d: FlowNode = { id: 'd1', type: 'gkh-destination', destinationId: 'rso', role: 'РСО', url: 'mqtts://broker.example:8883', topicPrefix: '', protocolVersion: '4', tlsCa: '/etc/ca.pem', tlsRejectUnauthorized: true, batchWindow: '8' };
    const cfg = validateConfig(compileFlow([d], base, () => ({ password: 's3cret' })).candidate, '/');
    expect(cfg.destinations[0]).toEqual({ id: 'rso', role: 'РСО', url: 'mqtts://broker.example:8883', topicPrefix: 'opengkh', password: 's3cret', protocolVersion: 4, tls: { ca: '/etc/ca.pem', rejectUnauthorized: true }, batch: { maxEntries: 500, maxBytes: 262144, window: 8 } });
    const plain = validateConfig(compileFlow([{ ...d, url: 'mqtt://127.0.0.1:1883' }], base).candidate, '/');
    expect(plain.destinations[0]!.tls).toBeUndefined();
  });
});
