import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../../errors.js';
import { loadProfile } from '../profiles/index.js';
import { socatPair, SerialTransport, type PtyPairLike } from '../tsrv/test-pty.js';
import { IecDriver } from './driver.js';
import { IecSimulator } from './sim.js';

const profile = loadProfile('landis-uh50');

describe('IEC 62056-21 optical readout over a socat pty (300 → 9600 7E1)', () => {
  let pair: PtyPairLike;
  let sim: IecSimulator;
  let transport: SerialTransport;
  const nowMs = Date.UTC(2026, 10, 27, 10, 20, 0);

  beforeAll(async () => {
    pair = await socatPair();
    sim = new IecSimulator({ now: () => nowMs, serial: '66153690' });
    await sim.listen({ serial: pair.b });
    transport = new SerialTransport({ path: pair.a, baudRate: 300, parity: 'even', dataBits: 7, stopBits: 1 });
    await transport.open();
  });
  afterAll(async () => {
    await transport?.close();
    await sim?.close();
    await pair?.close();
  });

  const driver = (wakeUpMs = 300) => new IecDriver({ meterId: 'uh50', profile, transport, wakeUpMs, interCharMs: 300, identTimeoutMs: 1500, readoutTimeoutMs: 5000, retries: 2, now: () => nowMs });

  it('wakes up, signs on, switches to 9600 and reads: identity and mapped values equal the simulator readout', async () => {
    const id = await driver(2200).identify();
    expect(id).toMatchObject({ serial: '66153690', manufacturer: 'LUG', model: 'UH50' });
    expect(id.rawFrames[0]).toBe('2f 4c 55 47 35 55 48 35 30 0d 0a');
    // A real meter ignores requests while it still sends; wait for the end of the readout (the retry covers it too).
    while (sim.busy) await new Promise((r) => setTimeout(r, 20));
    const cur = await driver().readCurrent();
    const text = sim.readoutText();
    const num = (re: RegExp) => Number(re.exec(text)![1]);
    expect(cur.systems).toEqual([
      {
        system: 1,
        values: {
          Q: { value: num(/^6\.8\(([\d.]+)\*MWh\)/m), unit: 'MWh' },
          V1: { value: num(/6\.26\(([\d.]+)\*m3\)/), unit: 'm³' },
          hoursNormal: { value: num(/6\.31\((\d+)\*h\)/), unit: 'h' },
          G1: { value: num(/6\.33\(([\d.]+)\*m3ph\)/), unit: 'm³/h' },
          t1: { value: num(/9\.4\(([\d.]+)\*C&/), unit: '°C' },
          t2: { value: num(/9\.4\([\d.]+\*C&([\d.]+)\*C\)/), unit: '°C' },
        },
      },
    ]);
    expect(transport.description).toContain('300');
  });

  it('has no hourly archive: DRIVER_NO_ARCHIVE', async () => {
    await expect(driver().readHourly()).rejects.toMatchObject({ code: 'DRIVER_NO_ARCHIVE' });
  });

  for (const [fault, code] of [
    ['silent', 'TRANSPORT_TIMEOUT'],
    ['crc', 'FRAME_CHECKSUM'],
    ['noise', 'FRAME_NOISE'],
  ] as const) {
    it(`fault ${fault}: typed error ${code} after 3 tries, then reads again once the fault is gone`, async () => {
      while (sim.busy) await new Promise((r) => setTimeout(r, 20));
      sim.faults.add(fault);
      const before = sim.readouts;
      try {
        const err = await driver()
          .readCurrent()
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(isGkhError(err, code), String(err)).toBe(true);
        expect((err as { context: { tries: number } }).context.tries).toBe(3);
      } finally {
        sim.faults.delete(fault);
      }
      while (sim.busy) await new Promise((r) => setTimeout(r, 20));
      expect(sim.readouts - before).toBe(fault === 'crc' ? 3 : 0);
      const ok = await driver().readCurrent();
      expect(ok.systems[0]!.values.Q!.unit).toBe('MWh');
    });
  }
});
