import { runDemo } from '../scripts/demo/demo.js';
import { int, str, UsageError, type Command } from './command.js';

export const demo: Command = {
  name: 'demo',
  summary: 'the whole system on simulators / демонстрация на симуляторах',
  help: `Usage: opengkh demo [--data DIR] [--fresh] [--hour-seconds N] [--duration S] [--status-port P]

Runs the whole system on embedded defaults: simulated meters (M-Bus, Взлёт ТСРВ-034, Карат-307,
an IEC 62056-21 optical meter) on TCP, two embedded MQTT brokers standing for the УК and РСО
servers, two receivers, the gateway and its status page. Simulated time runs fast: within two
minutes you see hours arrive at both receivers, a meter going silent and being backfilled, a
destination outage and catch-up, and a hot-water regime violation. Ctrl-C stops everything.
The configs it writes (DIR/gateway/config.json, DIR/receiver-uk/config.json,
DIR/receiver-rso/config.json) work with every other command.

Запускает всю систему на симуляторах: приборы, два брокера (УК и РСО), два приёмника, шлюз
и страницу состояния. Время ускорено. Ctrl-C — остановка.

Options:
  --data DIR          data directory (default ./demo-data); a second run continues it
  --fresh             start empty (delete DIR first)
  --hour-seconds N    real seconds per simulated hour (default 10)
  --duration S        stop by itself after S seconds
  --status-port P     status page port (default 8080, another free one if taken)`,
  options: { data: { type: 'string' }, fresh: { type: 'boolean' }, 'hour-seconds': { type: 'string' }, duration: { type: 'string' }, 'status-port': { type: 'string' } },
  async run(values, _p, io) {
    const hourSeconds = int(values, 'hour-seconds') ?? 10;
    if (hourSeconds < 2 || hourSeconds > 3600) throw new UsageError(`--hour-seconds: expected 2…3600, found ${hourSeconds}`);
    const duration = int(values, 'duration');
    if (duration !== undefined && duration < 1) throw new UsageError(`--duration: expected a positive number of seconds, found ${duration}`);
    return runDemo({ dataDir: str(values, 'data') ?? './demo-data', fresh: values.fresh === true, hourSeconds, durationSeconds: duration, statusPort: int(values, 'status-port') ?? 8080, out: io.out });
  },
};
