import { clockFromEnv } from '../edge/clock.js';
import { loadConfig } from '../edge/config/index.js';
import { createMeterDriver } from '../edge/drivers/profiles/factory.js';
import { openTransport } from '../edge/drivers/transport/index.js';
import { Gateway, setTransportFactory } from '../edge/gateway.js';
import { createLogger } from '../edge/logger.js';
import { sdNotify, watchdogIntervalMs } from '../edge/notify.js';
import { StatusServer } from '../edge/status/index.js';
import { startNodeRedFromConfig } from '../edge/nodered/index.js';
import { startSync } from '../edge/sync/index.js';
import type { DriverFactory, SyncFactory } from '../edge/gateway.js';
import { str, UsageError, type Command } from './command.js';
import { VERSION } from '../edge/version.js';

/** Drivers from the profiles' factory; hours a meter's archive does not hold are logged (never invented). */
export const driverFactory =
  (logger: ReturnType<typeof createLogger>): DriverFactory =>
  (meter, transport, { bus, clock, timeZone }) =>
    createMeterDriver(meter, bus, transport, {
      timeZone: timeZone ?? 'UTC',
      now: () => clock.now(),
      onGap: (system, hourStart) => logger.warn('hour missing from the meter archive', { meter: meter.id, system, hour: new Date(hourStart * 1000).toISOString() }),
    });

/** Starts the sync workers and logs what they report (bad acks, rejections, broker errors). */
export const syncFactory: SyncFactory = ({ cfg, db, log, logger, clock }) =>
  startSync(cfg, db, log, { clock: () => clock.now() }).map((w) => {
    // A broker that is down fails every reconnect: say so once per outage, not once a second.
    let said = new Set<string>();
    w.on('problem', (e: Error & { code?: string }) => {
      const k = `${e.code}|${e.message}`;
      if (said.has(k)) return;
      said.add(k);
      logger.warn('destination problem', { destination: w.id, code: e.code, message: e.message });
    });
    w.on('connect', () => {
      said = new Set();
      logger.info('destination connected', { destination: w.id });
    });
    w.on('offline', () => logger.warn('destination offline', { destination: w.id }));
    return w;
  });

export const run: Command = {
  name: 'run',
  summary: 'run the gateway / запустить шлюз',
  help: `Usage: opengkh run --config <file>

Starts the gateway: store, evidence log, polling of every configured meter (hourly archive with
backfill after outages), regime checks, delivery to every destination, and the status page.
Logs are JSON lines on stdout. SIGTERM/SIGINT finish the transaction in progress, commit and exit 0.
Under systemd (Type=notify) it reports READY=1 once serving and feeds the watchdog (WatchdogSec).
OPENGKH_CLOCK="<anchor ms>,<origin ms>,<scale>" runs on simulated time (demo, tests).

Запускает шлюз: опрос приборов, часовой архив, журнал, отправка в УК и РСО, страница состояния.
Остановка по SIGTERM: текущая транзакция завершается, данные сохраняются.

Options:
  -c, --config <file>   gateway config (see opengkh config check)`,
  options: { config: { type: 'string', short: 'c' } },
  async run(values, _p, io) {
    const file = str(values, 'config');
    if (!file) throw new UsageError('--config <file> is required');
    const cfg = loadConfig(file);
    const logger = createLogger('edge');
    setTransportFactory((bus) => openTransport(bus));
    const gw = await Gateway.start(cfg, { clock: clockFromEnv(), logger, drivers: driverFactory(logger), sync: syncFactory });
    let status: StatusServer | undefined;
    if (cfg.status.enabled) {
      status = new StatusServer({ bind: cfg.status.bind, port: cfg.status.port, version: VERSION, basicAuth: cfg.status.basicAuth, snapshot: () => gw.status(), health: () => gw.health() });
      const port = await status.start();
      logger.info('status page', { url: `http://${cfg.status.bind === '0.0.0.0' ? '127.0.0.1' : cfg.status.bind}:${port}/` });
    }
    const editor = await startNodeRedFromConfig(gw, logger.child('nodered'));
    if (editor) logger.info('Node-RED editor', { url: editor.url });
    await sdNotify(`READY=1\nSTATUS=polling ${cfg.meters.length} meters`);
    const wd = watchdogIntervalMs();
    const wdTimer = wd ? setInterval(() => void (gw.health() === null && sdNotify('WATCHDOG=1')), wd) : undefined;
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        logger.info('stopping', { signal: sig });
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    if (wdTimer) clearInterval(wdTimer);
    await sdNotify('STOPPING=1');
    await editor?.stop();
    await status?.stop();
    await gw.stop();
    io.err('opengkh run: stopped cleanly / остановлен');
    return 0;
  },
};
