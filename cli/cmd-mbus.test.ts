/** `opengkh mbus decode`, `opengkh mbus scan` and `opengkh simulate mbus` as real child processes over socat and TCP. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MbusSession } from '../edge/drivers/mbus/index.js';
import { TcpTransport } from '../edge/drivers/transport/index.js';
import { socatPair, type PtyPair } from '../edge/drivers/transport/socat.js';
import { freePort, vectorsDir } from '../edge/testing.js';

const root = new URL('../', import.meta.url).pathname;
const bin = join(root, 'bin/opengkh.js');
const frames = join(vectorsDir(), 'mbus', 'libmbus');

function cli(args: string[], input?: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root, input, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Starts `opengkh simulate mbus …` and resolves once it prints where it listens. */
function startSim(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const p = spawn(process.execPath, [bin, 'simulate', 'mbus', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`simulator did not start: ${out}`)), 20_000);
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(t);
        res(p);
      }
    });
    p.once('exit', (code) => rej(new Error(`simulator exited ${code}: ${out}`)));
  });
}

async function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}

describe('opengkh mbus decode', () => {
  it('prints a telegram as JSON with header and records', () => {
    const r = cli(['mbus', 'decode', join(frames, 'test-frames', 'kamstrup_multical_601.hex'), '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { header: Record<string, unknown>; records: Record<string, unknown>[] };
    expect(j.header).toMatchObject({ id: '06855817', manufacturer: 'KAM', version: 8, medium: 'Heat: Outlet', accessNumber: 4, status: 0 });
    expect(j.records[1]).toEqual({ quantity: 'Energy', unit: 'Wh', value: 37351000, storage: 0, tariff: 0, subunit: 0, function: 'Instantaneous value' });
    expect(j.records[17]).toMatchObject({ quantity: 'Energy', storage: 1 });
  });

  it('reads stdin and prints a table for people', () => {
    const r = cli(['mbus', 'decode', '-', '--table'], '68 03 03 68 08 01 70 79 16\n');
    expect(r.code).toBe(0);
    expect(r.out).toContain('application error 0: Unspecified error');
    const t = cli(['mbus', 'decode', join(frames, 'test-frames', 'EDC.hex')]);
    expect(t.out).toMatch(/Flow temperature\s+21\.53670\d*\s+°C/);
  });

  it('exits 1 with the typed error and the byte for a broken frame, 2 for usage errors', () => {
    const r = cli(['mbus', 'decode', join(frames, 'error-frames', 'premature_end_of_data1.hex')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FRAME_DATA: byte 32: premature end of data/);
    const c = cli(['mbus', 'decode', '-'], '68 03 03 68 08 01 70 7a 16');
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/FRAME_CHECKSUM: checksum at byte 7: expected 79, got 7A/);
    expect(cli(['mbus', 'decode']).code).toBe(2);
    expect(cli(['mbus', 'decode', 'x', '--json', '--table']).code).toBe(2);
  });
});

describe('opengkh simulate mbus + opengkh mbus scan', () => {
  let sim: ChildProcess | undefined;
  let pair: PtyPair | undefined;
  afterEach(async () => {
    await stop(sim);
    sim = undefined;
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('finds three simulated meters over a socat pty: primary sweep and secondary search', async () => {
    pair = await socatPair();
    sim = await startSim(['--serial', pair.b, '--count', '3', '--address', '5', '--id', '40000001']);
    const p = cli(['mbus', 'scan', '--port', pair.a, '--from', '3', '--to', '9', '--timeout', '300', '--json']);
    expect(p.code, p.err).toBe(0);
    const pj = JSON.parse(p.out) as { meters: { address: number; id: string }[]; problems: unknown[] };
    expect(pj.meters.map((m) => [m.address, m.id])).toEqual([
      [5, '40000001'],
      [6, '40000002'],
      [7, '40000003'],
    ]);
    expect(pj.problems).toEqual([]);
    const s = cli(['mbus', 'scan', '--port', pair.a, '--secondary', '--mask', '4000000F', '--timeout', '300']);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/3 meter\(s\) found/);
    for (const id of ['40000001', '40000002', '40000003']) expect(s.out).toContain(`id ${id}`);
  }, 60_000);

  it('follows the clock shared through OPENGKH_CLOCK (simulated 2030-01-01, one hour per real second)', async () => {
    const port = await freePort();
    const origin = Date.UTC(2030, 0, 1, 0, 0, 0);
    sim = await startSim(['--tcp', String(port)], { ...process.env, OPENGKH_CLOCK: `${Date.now()},${origin},3600` });
    const t = new TcpTransport({ host: '127.0.0.1', port });
    await t.open();
    try {
      const r = await new MbusSession(t, { timeoutMs: 1000 }).readAll(1);
      const clock = r.telegrams[0]!.records.find((x) => x.quantity === 'Time point (date & time)')!.value as string;
      expect(clock).toMatch(/^2030-01-01T0\d:\d\d:00$/);
    } finally {
      await t.close();
    }
  }, 60_000);

  it('serves TCP for converter tests, and scan says when nothing listens', async () => {
    const port = await freePort();
    sim = await startSim(['--tcp', String(port), '--address', '2']);
    const r = cli(['mbus', 'scan', '--tcp', `127.0.0.1:${port}`, '--from', '1', '--to', '3', '--timeout', '300']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/primary\s+2\s+id 12345678\s+OGK/);
    await stop(sim);
    sim = undefined;
    const gone = cli(['mbus', 'scan', '--tcp', `127.0.0.1:${port}`]);
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/unreachable/);
  }, 60_000);
});
