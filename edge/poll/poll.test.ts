/**
 * The poll layer against an in-memory archive meter: backfill after an outage, every hour exactly once,
 * chunked reads, comm lost/restored and identity events, a silent meter that does not stall another.
 * (End-to-end with real simulators and processes: edge/gateway.e2e.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import { validateConfig, type MeterConfig } from '../config/index.js';
import type { HourlyRecord, MeterDriver, ReadOptions, Transport } from '../drivers/types.js';
import { GkhError } from '../errors.js';
import { CanonicalEntry } from '../log/index.js';
import { createLogger } from '../logger.js';
import { countReadings, openDb, recentEvents } from '../store/index.js';
import { BusQueue } from './bus-queue.js';
import { MeterPoller } from './meter-poller.js';
import { Pipeline, type EvidenceSink } from './pipeline.js';
import { samplesMigration } from './samples.js';
import { backoffMs, nextCycleAt } from './scheduler.js';

const dir = mkdtempSync(join(tmpdir(), 'gkh-poll-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const H = 3600;
const T0 = Date.UTC(2026, 10, 1) / 1000;

const transport = (): Transport => ({
  description: 'mem',
  isOpen: true,
  async open() {},
  async write() {},
  async read(_o: ReadOptions) {
    return Buffer.alloc(0);
  },
  discardInput() {},
  async close() {},
});

class ArchiveMeter implements MeterDriver {
  silent = false;
  serial = 'SN1';
  calls: [number, number][] = [];
  constructor(private readonly clock: Clock) {}
  async identify() {
    if (this.silent) throw new GkhError('DRIVER_TIMEOUT', 'no answer');
    return { serial: this.serial, model: 'mem', meterClock: Math.floor(this.clock.now() / 1000), rawFrames: ['aa'] };
  }
  async readCurrent() {
    return { readAt: this.clock.now(), systems: [], rawFrames: [] };
  }
  async readHourly(from: number, to: number): Promise<HourlyRecord[]> {
    if (this.silent) throw new GkhError('DRIVER_TIMEOUT', 'no answer');
    this.calls.push([from, to]);
    const out: HourlyRecord[] = [];
    for (let h = from; h < to; h += H) for (const system of [1, 2]) out.push({ meterId: 'x', system, hourStart: h, values: { Q: { value: Number(`${(h - T0) / H}e-3`), unit: 'Gcal' } }, flags: [], source: 'archive', rawFrames: [`${h}`], readAt: this.clock.now() });
    return out;
  }
}

function setup(name: string) {
  let now = (T0 + 10 * 24 * H) * 1000;
  const clock: Clock = { now: () => now, scale: 1, realDelayUntil: (t) => Math.max(0, t - now) };
  const db = openDb(join(dir, `${name}.db`), { extraMigrations: [samplesMigration] });
  const entries: object[] = [];
  let checkpoints = 0;
  const sink: EvidenceSink = { append: (e) => e.map((x) => entries.push(x instanceof CanonicalEntry ? x.value() : x) - 1), checkpoint: () => checkpoints++ };
  const bus = new EventBus();
  const pipeline = new Pipeline(db, sink, { gatewayId: 'gw', timeZone: 'Asia/Yekaterinburg', clock, bus });
  const cfg = validateConfig({ gatewayId: 'gw', timeZone: 'UTC', dataDir: dir, buses: [{ id: 'b', type: 'tcp', host: 'h', port: 1 }], meters: [{ id: 'm1', bus: 'b', protocol: 'tsrv', heatSystems: [{ system: 1 }, { system: 2 }], poll: { archiveDepthHours: 72 } }, { id: 'm2', bus: 'b', protocol: 'tsrv' }] });
  const queue = new BusQueue(transport(), { guardTimeMs: 0 });
  const mk = (m: MeterConfig, driver: MeterDriver) => new MeterPoller(m, { queue, driver, pipeline, db, clock, bus, log: createLogger('test', () => {}) });
  return { clock, db, entries, get checkpoints() { return checkpoints; }, cfg, mk, advance: (s: number) => (now += s * 1000) };
}

describe('meter poller', () => {
  it('backfills the archive depth, then only new closed hours, each exactly once', async () => {
    const s = setup('backfill');
    const meter = new ArchiveMeter(s.clock);
    const p = s.mk(s.cfg.meters[0]!, meter);
    await p.cycle();
    expect(countReadings(s.db, 'm1')).toBe(72 * 2);
    expect(meter.calls).toHaveLength(3); // 72 h in 24 h chunks
    expect(p.state.link).toBe('ok');
    expect(p.state.mode).toBe('archive');
    await p.cycle();
    expect(countReadings(s.db, 'm1')).toBe(72 * 2);
    s.advance(5 * H);
    await p.cycle();
    expect(countReadings(s.db, 'm1')).toBe(77 * 2);
    const hours = s.db.prepare('SELECT COUNT(DISTINCT hour_start) AS n, MIN(hour_start) AS a, MAX(hour_start) AS b FROM readings').get() as { n: number; a: number; b: number };
    expect(hours.n).toBe(77);
    expect((hours.b - hours.a) / H + 1).toBe(77);
    // Every stored reading names its log entry; the log holds the hourly entries and the identity event.
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM readings WHERE log_index IS NULL').get()).toEqual({ n: 0 });
    expect(s.entries.filter((e) => (e as { type: string }).type === 'hourly')).toHaveLength(154);
    expect(s.entries.filter((e) => (e as { type: string }).type === 'meter.identity')).toHaveLength(1);
  });

  it('logs comm lost once, restored once, and backfills the silent hours', async () => {
    const s = setup('silent');
    const meter = new ArchiveMeter(s.clock);
    const p = s.mk(s.cfg.meters[0]!, meter);
    await p.cycle();
    meter.silent = true;
    for (let i = 0; i < 6; i++) {
      s.advance(H);
      await p.cycle();
    }
    expect(p.state.link).toBe('lost');
    expect(p.state.consecutiveFailures).toBe(6);
    expect(p.state.errors.DRIVER_TIMEOUT).toBe(6);
    meter.silent = false;
    s.advance(H);
    await p.cycle();
    expect(countReadings(s.db, 'm1')).toBe(79 * 2);
    const types = recentEvents(s.db, 10).map((e) => e.type).reverse();
    expect(types).toEqual(['meter.identity', 'comm.lost', 'comm.restored']);
  });

  it('logs an identity change', async () => {
    const s = setup('identity');
    const meter = new ArchiveMeter(s.clock);
    const p = s.mk(s.cfg.meters[0]!, meter);
    await p.cycle();
    meter.serial = 'SN2';
    s.advance(H);
    await p.cycle();
    const ev = recentEvents(s.db, 1)[0]!;
    expect(ev.type).toBe('meter.identity');
    expect(ev.data).toMatchObject({ serial: 'SN2', previous: { serial: 'SN1' } });
  });

  it('a silent meter does not stall another on the same bus', async () => {
    const s = setup('two');
    const a = new ArchiveMeter(s.clock);
    a.silent = true;
    const b = new ArchiveMeter(s.clock);
    const pa = s.mk(s.cfg.meters[0]!, a);
    const pb = s.mk(s.cfg.meters[1]!, b);
    await Promise.all([pa.cycle(), pb.cycle()]);
    expect(pa.state.link).toBe('lost');
    expect(pb.state.link).toBe('ok');
    expect(countReadings(s.db, 'm2')).toBe(1080); // default depth 1080 h, system 1 only
  });
});

describe('schedule', () => {
  it('cycles at the offset after each hour', () => {
    const t = Date.UTC(2026, 0, 1, 10, 3);
    expect(new Date(nextCycleAt(t, 5)).toISOString()).toBe('2026-01-01T10:05:00.000Z');
    expect(new Date(nextCycleAt(Date.UTC(2026, 0, 1, 10, 5), 5)).toISOString()).toBe('2026-01-01T11:05:00.000Z');
  });
  it('backs off 5 s doubling to 5 min', () => {
    expect([1, 2, 3, 10].map(backoffMs)).toEqual([5000, 10000, 20000, 300000]);
  });
});

describe('stopping a backfill', () => {
  it('stops between bus transactions when aborted, keeping what was read', async () => {
    const s = setup('abort');
    const meter = new ArchiveMeter(s.clock);
    const ac = new AbortController();
    const orig = meter.readHourly.bind(meter);
    meter.readHourly = async (from: number, to: number) => {
      const r = await orig(from, to);
      ac.abort(); // shutdown arrives during the first chunk
      return r;
    };
    const p = s.mk(s.cfg.meters[0]!, meter);
    await p.cycle(ac.signal);
    expect(meter.calls).toHaveLength(1);
    expect(countReadings(s.db, 'm1')).toBe(24 * 2);
    // The next cycle resumes from the last stored hour.
    await p.cycle();
    expect(countReadings(s.db, 'm1')).toBe(72 * 2);
  });
});
