/**
 * The simulators against independent Modbus masters over a socat pty at 9600 8N1: mbpoll (C, libmodbus)
 * and pymodbus (Python). If our framing, CRC or register replies were wrong in a way our own codec shares,
 * these would disagree.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../profiles/index.js';
import { socatPair, type PtyPairLike } from '../tsrv/test-pty.js';
import { TsrvSimulator } from '../tsrv/sim.js';
import { KaratSimulator, karatRawHour } from '../karat/sim.js';
import { float32Decimal } from '../modbus/values.js';
import { RtuServer } from './rtu-server.js';

const run = promisify(execFile);
const nowMs = Date.UTC(2026, 10, 27, 10, 20, 0);

describe('simulators vs independent Modbus masters (socat pty, 9600 8N1)', () => {
  let pair: PtyPairLike;
  let server: RtuServer;

  beforeAll(async () => {
    pair = await socatPair();
    server = new RtuServer([
      new TsrvSimulator({ profile: loadProfile('vzljot-tsrv-034'), address: 7, now: () => nowMs, serial: 340123 }),
      new KaratSimulator({ profile: loadProfile('karat-307'), address: 3, now: () => nowMs }),
    ]);
    await server.listen({ serial: pair.b, baudRate: 9600 });
  });
  afterAll(async () => {
    await server?.close();
    await pair?.close();
  });

  it('mbpoll reads the ТСРВ serial number (FC 3) and gets the exception for an unknown register', async () => {
    const ok = await run('mbpoll', ['-m', 'rtu', '-a', '7', '-b', '9600', '-P', 'none', '-t', '4:hex', '-0', '-r', '32768', '-c', '2', '-1', '-o', '2', pair.a], { timeout: 20_000 });
    expect(ok.stdout).toMatch(/\[32768\]:\s+0x0005\s+\[32769\]:\s+0x309B/);
    expect((0x0005 << 16) | 0x309b).toBe(340123);
    const bad = await run('mbpoll', ['-m', 'rtu', '-a', '7', '-b', '9600', '-P', 'none', '-t', '4', '-0', '-r', '99', '-c', '1', '-1', '-o', '2', pair.a], { timeout: 20_000 }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${bad.stdout}${bad.stderr}`).toMatch(/Illegal data address/);
  });

  it('pymodbus writes the Карат archive pointer (FC 16) and reads the hour record (FC 3)', async () => {
    const py = `
import struct, sys
from pymodbus.client import ModbusSerialClient
c = ModbusSerialClient(method='rtu', port=sys.argv[1], baudrate=9600, parity='N', bytesize=8, stopbits=1, timeout=2)
assert c.connect()
w = c.write_registers(0x60, [(9 << 8) | 27, (11 << 8) | 26], slave=3)
assert not w.isError(), w
r = c.read_holding_registers(0, 120, slave=3)
assert not r.isError(), r
b = b''.join(struct.pack('>H', x) for x in r.registers)
print(list(b[13:18]), struct.unpack('<f', b[18:22])[0], struct.unpack('<f', b[18 + 8 * 4:22 + 8 * 4])[0])
c.close()
`;
    const { stdout } = await run('/usr/bin/python3', ['-c', py, pair.a], { timeout: 20_000 });
    const [date, q1, t1] = stdout.trim().split(/ (?=[-\d.e]+$)| (?=[-\d.e]+ [-\d.e]+$)/);
    expect(date).toBe('[0, 9, 27, 11, 26]');
    const raw = karatRawHour(Date.UTC(2026, 10, 27, 9) / 1000);
    expect(float32Decimal(Math.fround(Number(q1)))).toBe(float32Decimal(raw.get(0x51)!));
    expect(float32Decimal(Math.fround(Number(t1)))).toBe(float32Decimal(raw.get(0x31)!));
  });
});
