import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAjv } from '../config/index.js';
import { hashPassword, renderHtml, statusSchema, StatusServer, type StatusSnapshot } from './index.js';

const snap = (): StatusSnapshot => ({
  gateway: {
    id: 'ekb-<lenina>-12',
    version: '0.1.0',
    keyFingerprint: '3f2a 91c0 0000 1111 2222 3333 4444 5555 6666 7777 8888 9999 aaaa bbbb cccc dddd',
    startedAt: '2026-11-28T00:00:00.000Z',
    uptimeSeconds: 3725,
    now: '2026-11-28T01:02:05.000Z',
    timeZone: 'Asia/Yekaterinburg',
    ntpSynchronized: null,
    disk: { freeBytes: 5e9, totalBytes: 3.2e10 },
    logSize: 1234,
    lastCheckpointAt: '2026-11-28T01:00:00.000Z',
    storeBytes: 409600,
  },
  meters: [
    {
      id: 'tsrv-1',
      description: 'ТСРВ-034 "подвал"',
      protocol: 'tsrv',
      bus: 'rs485-1',
      link: 'ok',
      mode: 'archive',
      lastOkAt: '2026-11-28T01:01:00.000Z',
      systems: [
        { system: 1, name: 'отопление', lastHour: '2026-11-28T00:00:00.000Z', storedHours: 1080, verdicts: { t1: 'ok', t2: 'above' } },
        { system: 2, storedHours: 0 },
      ],
      current: { readAt: '2026-11-28T01:02:00.000Z', values: { t1: { value: 71.25, unit: '°C' }, Q: { value: 1234.567, unit: 'Gcal' } } },
      clockDriftSeconds: -3,
      identity: { serial: '123456', model: 'ТСРВ-034' },
      polls: 17,
      errors: { DRIVER_TIMEOUT: 2, FRAME_CRC: 1 },
    },
    { id: 'mbus-"2"', protocol: 'mbus', bus: 'rs485-1', link: 'lost', mode: 'unknown', systems: [{ system: 1, storedHours: 0 }], lastError: { code: 'DRIVER_TIMEOUT', message: 'no answer <script>', at: '2026-11-28T01:00:00.000Z' }, polls: 3, errors: { DRIVER_TIMEOUT: 3 } },
  ],
  destinations: [
    { id: 'uk', role: 'УК', connected: true, ackedSize: 1234, backlogEntries: 0, backlogHours: 0, lastAckAt: '2026-11-28T01:00:01.000Z', lastCosignatureAt: '2026-11-28T01:00:01.000Z' },
    { id: 'rso', role: 'РСО', connected: false, ackedSize: 1000, backlogEntries: 234, backlogHours: 5 },
  ],
  events: [{ at: '2026-11-28T00:30:00.000Z', type: 'comm.lost', meterId: 'mbus-"2"', summary: 'DRIVER_TIMEOUT' }],
});

let server: StatusServer;
let base = '';
const auth = { username: 'tech', passwordHash: hashPassword('s3cret pass') };
let healthy: string | null = null;

beforeAll(async () => {
  server = new StatusServer({ bind: '127.0.0.1', port: 0, version: '9.9.9', basicAuth: auth, snapshot: snap, health: () => healthy });
  base = `http://127.0.0.1:${await server.start()}`;
});
afterAll(() => server.stop());

const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

describe('status server', () => {
  it('asks for credentials, refuses wrong ones, accepts right ones', async () => {
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/`, { headers: basic('tech', 'wrong') })).status).toBe(401);
    const ok = await fetch(`${base}/`, { headers: basic('tech', 's3cret pass') });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/text\/html/);
    expect(ok.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(ok.headers.get('content-security-policy')).not.toMatch(/script-src/);
  });

  it('is read-only', async () => {
    const r = await fetch(`${base}/api/status`, { method: 'POST', headers: basic('tech', 's3cret pass') });
    expect(r.status).toBe(405);
  });

  it('serves /healthz without credentials, 503 with the reason when unhealthy', async () => {
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', version: '9.9.9' });
    healthy = 'store not open';
    const r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ status: 'unhealthy', version: '9.9.9', reason: 'store not open' });
    healthy = null;
  });

  it('/api/status matches its schema', async () => {
    const body = (await (await fetch(`${base}/api/status`, { headers: basic('tech', 's3cret pass') })).json()) as unknown;
    const validate = makeAjv().compile(statusSchema);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  });

  it('/metrics parses with the Prometheus reference parser (python prometheus_client)', async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: basic('tech', 's3cret pass') })).text();
    const py = `
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out[s.name + json.dumps(s.labels, sort_keys=True)] = s.value
print(json.dumps(out))`;
    const parsed = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: text, encoding: 'utf8' })) as Record<string, number>;
    expect(parsed['opengkh_poll_errors_total{"code": "DRIVER_TIMEOUT", "meter": "tsrv-1"}']).toBe(2);
    expect(parsed['opengkh_destination_backlog_entries{"destination": "rso", "role": "\\u0420\\u0421\\u041e"}']).toBe(234);
    expect(parsed['opengkh_meter_last_hour_timestamp_seconds{"meter": "tsrv-1", "system": "1"}']).toBe(Date.parse('2026-11-28T00:00:00Z') / 1000);
    expect(parsed['opengkh_log_size{}']).toBe(1234);
    expect(parsed['opengkh_meter_up{"meter": "mbus-\\"2\\""}']).toBe(0);
  });
});

describe('status page HTML', () => {
  const html = renderHtml(snap());
  it('shows meters, destinations and events in Russian and English', () => {
    for (const s of ['tsrv-1', 'Приборы учёта', 'Meters', 'Получатели', 'РСО', 'нет соединения', '234', 'data-type="comm.lost"', 'нет связи', '71.25&nbsp;°C', 'Asia/Yekaterinburg']) expect(html).toContain(s);
    expect(html).toContain('<meta http-equiv="refresh"');
    expect(html).toContain('name="viewport"');
  });
  it('shows times in the gateway time zone, verdicts in words, values grouped per heat system', () => {
    // lastHour 2026-11-28T00:00Z is 05:00 in Asia/Yekaterinburg (UTC+5).
    expect(html).toContain('<time datetime="2026-11-28T00:00:00.000Z">28.11 05:00</time>');
    expect(html).toContain('28.11.2026 06:02:05');
    expect(html).toContain('t2: выше нормы');
    expect(html).toMatch(/<div class="sys" data-system="1">[\s\S]*t1<\/b> 71\.25/);
  });
  it('shows an instant ahead of the gateway clock as a time, never a negative age', () => {
    const s = snap();
    s.destinations[0]!.lastAckAt = '2026-11-28T03:00:00.000Z';
    const h = renderHtml(s);
    expect(h).toContain('<time datetime="2026-11-28T03:00:00.000Z">28.11 08:00</time>');
    expect(h).not.toMatch(/>-\d+ (с|мин|ч)/);
  });
  it('escapes every dynamic string', () => {
    expect(html).not.toContain('<lenina>');
    expect(html).toContain('ekb-&lt;lenina&gt;-12');
    expect(html).not.toContain('<script>');
  });
  it('renders without JavaScript', () => expect(html).not.toMatch(/<script/i));
});
