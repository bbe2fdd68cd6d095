/**
 * `opengkh simulate tsrv | karat | iec62056` — simulators of the Russian archive calculators (Взлёт ТСРВ-034,
 * Карат-307 on Modbus RTU) and of an optical-head heat meter (IEC 62056-21 mode C), with switchable faults.
 * They share `runSimulator` and the flags of `simulate mbus` (cli/cmd-simulate.ts).
 */
import { IecSimulator, type IecFault } from '../edge/drivers/iec62056/sim.js';
import { KaratSimulator } from '../edge/drivers/karat/sim.js';
import { loadProfile } from '../edge/drivers/profiles/index.js';
import { FaultInjector, parseFault, type FaultRule } from '../edge/drivers/sim/faults.js';
import { RtuServer, type RtuDevice } from '../edge/drivers/sim/rtu-server.js';
import { TsrvSimulator } from '../edge/drivers/tsrv/sim.js';
import { int, str, UsageError, type Command, type Options, type Values } from './command.js';
import { endpointFlags, runSimulator, simClock, simulatorOptions } from './cmd-simulate.js';

const archiveOptions: Options = {
  ...simulatorOptions,
  address: { type: 'string' },
  'time-zone': { type: 'string' },
  fault: { type: 'string', multiple: true },
  gap: { type: 'string', multiple: true },
  'clock-offset': { type: 'string' },
  'depth-hours': { type: 'string' },
};

const FAULT_HELP = `Faults (repeat --fault): silent | crc | wrong-address | noise, each optionally :N = every N-th reply
(--fault crc:3). Archive faults: --gap <hours-ago-from>-<hours-ago-to> (hours missing, e.g. --gap 30-20),
--clock-offset <seconds> (meter clock minus true time).`;

function faultsOf(v: Values): FaultRule[] {
  const list = v.fault;
  const items = Array.isArray(list) ? list : typeof list === 'string' ? [list] : [];
  return items.map((s) => {
    try {
      return parseFault(String(s));
    } catch (e) {
      throw new UsageError(`--fault: ${(e as Error).message}`);
    }
  });
}

function zoneOf(v: Values): string {
  const tz = str(v, 'time-zone') ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new UsageError(`--time-zone: unknown IANA zone "${tz}"`);
  }
  return tz;
}

/** `--gap A-B` hours ago → [from, to) hour starts relative to the simulated clock at start. */
function gapsOf(v: Values, now: () => number): [number, number][] {
  const list = v.gap;
  const items = Array.isArray(list) ? list : typeof list === 'string' ? [list] : [];
  const hourNow = Math.floor(now() / 3600_000) * 3600;
  return items.map((s) => {
    const m = /^(\d+)-(\d+)$/.exec(String(s));
    if (!m || Number(m[1]) <= Number(m[2])) throw new UsageError(`--gap: expected <hours-ago-from>-<hours-ago-to> with from > to, found "${String(s)}"`);
    return [hourNow - Number(m[1]) * 3600, hourNow - Number(m[2]) * 3600];
  });
}

function addressOf(v: Values): number {
  const a = int(v, 'address') ?? 1;
  if (a < 1 || a > 247) throw new UsageError(`--address: Modbus address 1-247, found ${a}`);
  return a;
}

async function runRtu(v: Values, io: Parameters<Command['run']>[2], what: string, device: RtuDevice): Promise<number> {
  const ep = endpointFlags(v);
  const server = new RtuServer([device], new FaultInjector(faultsOf(v)));
  return runSimulator(v, io, what, async () => {
    const port = await server.listen(ep.tcp !== undefined ? { tcp: ep.tcp } : { serial: ep.serial!, baudRate: int(v, 'baud') ?? 9600 });
    return { description: ep.tcp !== undefined ? `tcp 127.0.0.1:${port}` : `${ep.serial} ${int(v, 'baud') ?? 9600} 8N1`, close: () => server.close() };
  });
}

export const simulateTsrv: Command = {
  name: 'simulate tsrv',
  summary: 'Взлёт ТСРВ-034 simulator (Modbus RTU, hourly archive) / симулятор ТСРВ-034',
  help: `Usage: opengkh simulate tsrv (--tcp <port> | --serial <path> [--baud 9600]) [--address 1] [--time-zone UTC]
                              [--depth-hours 1488] [--fault KIND[:N]]… [--gap A-B]… [--clock-offset S]
                              [--speed 1] [--duration S]

A ТСРВ-034 answering FC 0x11 (identification), FC 0x41 (hourly archive by date/index, systems 1 and 2) and
FC 3 (serial number, clock) at 9600 8N1; its archive fills with simulated hours (--speed 3600: an hour per second).
${FAULT_HELP}

Симулятор тепловычислителя ТСРВ-034 с часовым архивом и включаемыми неисправностями.`,
  options: archiveOptions,
  async run(v, _p, io) {
    const now = simClock(v);
    const sim = new TsrvSimulator({ profile: loadProfile('vzljot-tsrv-034'), address: addressOf(v), now, timeZone: zoneOf(v), depthHours: int(v, 'depth-hours'), clockOffsetSeconds: int(v, 'clock-offset'), gaps: gapsOf(v, now) });
    return runRtu(v, io, `ТСРВ-034 simulator (address ${sim.address})`, sim);
  },
};

export const simulateKarat: Command = {
  name: 'simulate karat',
  summary: 'Карат-307 simulator (Modbus RTU, hourly archive) / симулятор Карат-307',
  help: `Usage: opengkh simulate karat (--tcp <port> | --serial <path> [--baud 9600]) [--address 1] [--time-zone UTC]
                               [--depth-hours 1488] [--fault KIND[:N]]… [--gap A-B]… [--clock-offset S]
                               [--speed 1] [--duration S]

A Карат-307 answering FC 16 (archive pointer) and FC 3 (hour archive, next record, parameter list, current
values, serial, clock) at 9600 8N1, little-endian floats; two heat systems.
${FAULT_HELP}

Симулятор тепловычислителя Карат-307 с часовым архивом и включаемыми неисправностями.`,
  options: archiveOptions,
  async run(v, _p, io) {
    const now = simClock(v);
    const sim = new KaratSimulator({ profile: loadProfile('karat-307'), address: addressOf(v), now, timeZone: zoneOf(v), depthHours: int(v, 'depth-hours'), clockOffsetSeconds: int(v, 'clock-offset'), gaps: gapsOf(v, now) });
    return runRtu(v, io, `Карат-307 simulator (address ${sim.address})`, sim);
  },
};

export const simulateIec62056: Command = {
  name: 'simulate iec62056',
  summary: 'optical-head heat meter simulator (IEC 62056-21 mode C) / симулятор оптического порта',
  help: `Usage: opengkh simulate iec62056 (--tcp <port> | --serial <path>) [--address ADDR] [--id 66153690]
                                  [--fault silent|crc|noise]… [--speed 1] [--duration S]

A UH50-like battery heat meter: ignores NUL wake-up, answers /?! at 300 7E1 with /LUG5UH50, switches to the
acknowledged baud (up to 9600) and sends the data readout with BCC. Faults apply to every readout.

Симулятор теплосчётчика с оптическим портом (IEC 62056-21, режим C).`,
  options: { ...simulatorOptions, address: { type: 'string' }, id: { type: 'string' }, fault: { type: 'string', multiple: true } },
  async run(v, _p, io) {
    const ep = endpointFlags(v);
    const sim = new IecSimulator({ address: str(v, 'address'), serial: str(v, 'id'), now: simClock(v) });
    const list = v.fault;
    for (const f of Array.isArray(list) ? list : typeof list === 'string' ? [list] : []) {
      if (!['silent', 'crc', 'noise'].includes(String(f))) throw new UsageError(`--fault: one of silent, crc, noise for iec62056, found "${String(f)}"`);
      sim.faults.add(f as IecFault);
    }
    return runSimulator(v, io, 'IEC 62056-21 heat meter simulator', async () => {
      const port = await sim.listen(ep.tcp !== undefined ? { tcp: ep.tcp } : { serial: ep.serial! });
      return { description: ep.tcp !== undefined ? `tcp 127.0.0.1:${port}` : `${ep.serial} 300 7E1`, close: () => sim.close() };
    });
  },
};
