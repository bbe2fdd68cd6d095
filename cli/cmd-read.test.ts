import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tsrvRawHour } from '../edge/drivers/tsrv/sim.js';
import { runCli } from './main.js';

// Runs the built CLI (npx tsc -p . first), as an installer would.
const bin = join(import.meta.dirname, '..', 'bin', 'opengkh.js');
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'opengkh-read-'));

function startSim(args: string[]): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [bin, 'simulate', ...args, '--tcp', '0', '--duration', '120'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  return new Promise((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on tcp 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) res({ port: Number(m[1]), proc });
    });
    proc.once('exit', (c) => rej(new Error(`simulator exited ${c}: ${out}`)));
  });
}

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((res) => proc.once('close', (code) => res({ code: code ?? -1, out, err })));
}

function config(protocol: string, port: number, timeZone = 'UTC'): string {
  const f = join(dir, `${protocol}-${port}.json`);
  writeFileSync(
    f,
    JSON.stringify({
      gatewayId: 'test-gw',
      timeZone,
      dataDir: dir,
      buses: [{ id: 'conv', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 1000, guardTimeMs: 0, retries: 2 }],
      meters: [{ id: 'm1', bus: 'conv', protocol, address: 1, heatSystems: [{ system: 1 }, { system: 2 }] }],
    }),
  );
  return f;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('opengkh read against opengkh simulate (TCP converter)', () => {
  it('ТСРВ: 45-day backfill as JSON, every hour of both systems once, values equal the simulator archive', async () => {
    const { port } = await startSim(['tsrv', '--time-zone', 'Asia/Yekaterinburg']);
    const r = await run(['read', 'm1', '--config', config('tsrv', port, 'Asia/Yekaterinburg'), '--from', '45d', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { identity: { model: string }; hourly: { system: number; hourStart: number; values: Record<string, { value: number }> }[]; gaps: unknown[] };
    expect(j.identity.model).toBe('ТСРВ-034');
    expect(j.gaps).toEqual([]);
    expect(j.hourly.length).toBeGreaterThanOrEqual(2 * 1079);
    expect(new Set(j.hourly.map((h) => `${h.system}/${h.hourStart}`)).size).toBe(j.hourly.length);
    for (const h of j.hourly) {
      const raw = tsrvRawHour(h.hourStart, h.system);
      expect(h.values.Q!.value).toBe(Number(`${raw.Q}e-3`));
      expect(h.values.t1!.value).toBe(Number(`${raw.t1}e-2`));
    }
  });

  it('Карат: text output with identity, current values and hours', async () => {
    const { port } = await startSim(['karat']);
    const r = await run(['read', 'm1', '--config', config('karat', port), '--from=-6h']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Карат-307 serial 307004711/);
    expect(r.out).toMatch(/hourly .*: 12 records/);
    expect(r.out).toMatch(/ТС2 +Q=[\d.]+ Gcal/);
  });

  it('a silent meter: exit 1 with the typed reason after bounded retries', async () => {
    const { port } = await startSim(['tsrv', '--fault', 'silent']);
    const r = await run(['read', 'm1', '--config', config('tsrv', port)]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no reply within 1000 ms.*3 tries/);
  });

  it('usage errors exit 2 and name the flag', async () => {
    const f = config('tsrv', 1);
    const errs: string[] = [];
    const io = { out: () => undefined, err: (s: string) => errs.push(s) };
    expect(await runCli(['read', 'nope', '--config', f], io)).toBe(2);
    expect(await runCli(['read', 'm1', '--config', f, '--from', 'yesterday'], io)).toBe(2);
    expect(errs.join('\n')).toMatch(/no meter "nope".*meters: m1/);
    expect(errs.join('\n')).toMatch(/--from: expected an ISO date/);
  });
});
