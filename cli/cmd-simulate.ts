/**
 * `opengkh simulate <protocol>` — meter simulators for technicians (converters, cabling) and for the demo.
 * Each protocol is its own Command (`simulate mbus`, `simulate tsrv` …) listed in commands.ts; they share
 * `runSimulator`, which starts the endpoint, prints where it listens and runs until SIGINT/SIGTERM or
 * `--duration`. Add a protocol: write a Command whose `run` calls `runSimulator` with a `start` function.
 */
import { clockFromEnv, scaledClock } from '../edge/clock.js';
import { meterSeries, SimBus, serveSerial, serveTcp, type SimEndpoint } from '../edge/drivers/mbus/index.js';
import { toHex } from '../edge/drivers/types.js';
import { int, str, UsageError, type Command, type Io, type Options, type Values } from './command.js';

/** Flags every simulator understands. */
export const simulatorOptions: Options = {
  tcp: { type: 'string' },
  serial: { type: 'string' },
  baud: { type: 'string' },
  speed: { type: 'string' },
  duration: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
};

/**
 * The simulator's clock: `--speed N` runs N times faster from the real time now; otherwise the clock shared
 * with the gateway through OPENGKH_CLOCK (edge/clock.ts), or real time when that is unset.
 */
export function simClock(v: Values): () => number {
  const speedText = str(v, 'speed');
  if (speedText === undefined) {
    try {
      const c = clockFromEnv();
      return () => c.now();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const speed = Number(speedText);
  if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed: expected a positive number, found "${speedText}"`);
  const t0 = Date.now();
  const c = scaledClock(t0, t0, speed);
  return () => c.now();
}

/** Starts `start()`, prints `listening on …`, waits for a signal or `--duration` seconds, then closes. */
export async function runSimulator(v: Values, io: Io, what: string, start: () => Promise<SimEndpoint | { description: string; close(): Promise<void> }>): Promise<number> {
  const duration = int(v, 'duration');
  const ep = await start();
  io.out(`${what} listening on ${ep.description} / симулятор запущен (Ctrl+C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (duration !== undefined) setTimeout(stop, duration * 1000).unref();
  });
  await ep.close();
  io.out(`${what} stopped`);
  return 0;
}

/** `--tcp <port>` or `--serial <path>`, exactly one. */
export function endpointFlags(v: Values): { tcp?: number; serial?: string } {
  const tcp = int(v, 'tcp');
  const serial = str(v, 'serial');
  if ((tcp === undefined) === (serial === undefined)) throw new UsageError('give exactly one of --tcp <port> or --serial <path>');
  if (tcp !== undefined && (tcp < 0 || tcp > 65535)) throw new UsageError(`--tcp: expected a port 0-65535, found ${tcp}`);
  return tcp !== undefined ? { tcp } : { serial: serial! };
}

export const simulateMbus: Command = {
  name: 'simulate mbus',
  summary: 'M-Bus heat meter simulator / симулятор теплосчётчика M-Bus',
  help: `Usage: opengkh simulate mbus (--tcp <port> | --serial <path> [--baud 2400]) [--address 1] [--count 1]
                             [--id 12345678] [--manufacturer OGK] [--historic 3] [--time-zone UTC]
                             [--speed 1] [--duration S] [--verbose]

Heat meter(s) answering EN 13757-2/-3 on a TCP port (0 = any free port) or a serial device / socat pty
(2400 8E1). --count N meters get primary addresses --address…+N-1 and ids --id…+N-1. Energy, volume and
temperatures advance with simulated time (--speed 3600: one hour per second; without --speed the
clock shared through OPENGKH_CLOCK, as the demo sets it); historic values at storage
numbers 1…--historic in a second telegram. Several meters answering at once collide as on a real bus.

Симулятор теплосчётчика(ов) M-Bus по TCP или на последовательном порту; --count N счётчиков.`,
  options: {
    ...simulatorOptions,
    address: { type: 'string' },
    count: { type: 'string' },
    id: { type: 'string' },
    manufacturer: { type: 'string' },
    historic: { type: 'string' },
    'time-zone': { type: 'string' },
  },
  async run(v, _p, io) {
    const ep = endpointFlags(v);
    const count = int(v, 'count') ?? 1;
    const address = int(v, 'address') ?? 1;
    if (count < 1 || address < 0 || address + count - 1 > 250) throw new UsageError('--address/--count: primary addresses must stay within 0-250');
    const id = str(v, 'id') ?? '12345678';
    if (!/^\d{8}$/.test(id)) throw new UsageError(`--id: expected 8 digits, found "${id}"`);
    const manufacturer = (str(v, 'manufacturer') ?? 'OGK').toUpperCase();
    if (!/^[A-Z]{3}$/.test(manufacturer)) throw new UsageError(`--manufacturer: expected three letters, found "${manufacturer}"`);
    const timeZone = str(v, 'time-zone') ?? 'UTC';
    try {
      new Intl.DateTimeFormat('en', { timeZone });
    } catch {
      throw new UsageError(`--time-zone: unknown IANA zone "${timeZone}"`);
    }
    const bus = new SimBus({
      now: simClock(v),
      meters: meterSeries(count, { address, id, manufacturer, historic: int(v, 'historic') ?? 3, timeZone }),
      onTraffic: v.verbose ? (dir, b) => io.out(`${dir === 'rx' ? '<-' : '->'} ${toHex(b)}`) : undefined,
    });
    const what = `M-Bus simulator (${count} meter(s), primary ${address}${count > 1 ? `-${address + count - 1}` : ''}, id ${id}${count > 1 ? '…' : ''})`;
    return runSimulator(v, io, what, () => (ep.tcp !== undefined ? serveTcp(bus, ep.tcp) : serveSerial(bus, ep.serial!, { baudRate: int(v, 'baud') ?? 2400 })));
  },
};
