/**
 * The simulated heat substation of the demo (`opengkh demo`) and of the status-page test stand
 * (edge/status/stand.ts): a ВЗЛЁТ ТСРВ-034 (heating, and hot water that runs 9 °C cold from 01:00 to
 * 04:00 site time: a regime violation every night), a Карат-307, an M-Bus heat meter without
 * archive and, optionally, a Landis+Gyr UH50 behind an optical head. Each is served on a free local
 * TCP port; `buses`, `meters` and `regimeMaps` are the gateway config sections that reach them.
 */
import { IecSimulator } from '../iec62056/sim.js';
import { KaratSimulator } from '../karat/sim.js';
import { SimBus, serveTcp } from '../mbus/simulator.js';
import { loadProfile } from '../profiles/index.js';
import { TsrvSimulator } from '../tsrv/sim.js';
import { RtuServer } from './rtu-server.js';

export interface DemoSiteOptions {
  /** Simulated time, unix ms (the clock the gateway runs on too). */
  now: () => number;
  /** The site's IANA zone. */
  timeZone: string;
  /** Also serve the IEC 62056-21 optical meter (slow to read: 2.2 s wake-up). */
  optical: boolean;
}

export interface DemoSite {
  /** The ТСРВ's server: the demo and tests switch its faults (a silent line). */
  tsrvServer: RtuServer;
  ports: { tsrv: number; karat: number; mbus: number; iec?: number };
  /** Gateway config sections for these meters. */
  buses: object[];
  meters: object[];
  regimeMaps: object[];
  /** Stops every simulator. */
  close(): Promise<void>;
}

export async function startDemoSite(o: DemoSiteOptions): Promise<DemoSite> {
  const { now, timeZone: tz } = o;
  const tsrv = new TsrvSimulator({ profile: loadProfile('vzljot-tsrv-034'), now, timeZone: tz, serial: 340123 });
  tsrv.temperatureDip = (hourStart: number, system: number) => {
    const h = Number(new Date(hourStart * 1000).toLocaleString('en-GB', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }));
    return system === 2 && h >= 1 && h < 4 ? 9 : 0;
  };
  const tsrvServer = new RtuServer([tsrv]);
  const karatServer = new RtuServer([new KaratSimulator({ profile: loadProfile('karat-307'), now, timeZone: tz, address: 2 })]);
  const iec = o.optical ? new IecSimulator({ now }) : undefined;
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(closers.splice(0).map((f) => f()));
  };
  try {
    const tsrvPort = (await tsrvServer.listen({ tcp: 0 }))!;
    closers.push(() => tsrvServer.close());
    const karatPort = (await karatServer.listen({ tcp: 0 }))!;
    closers.push(() => karatServer.close());
    const mbus = await serveTcp(new SimBus({ meters: [{ address: 1, id: '12345678', timeZone: tz }], now }), 0);
    closers.push(() => mbus.close());
    const iecPort = iec ? (await iec.listen({ tcp: 0 }))! : undefined;
    if (iec) closers.push(() => iec.close());

    const bus = (id: string, port: number, description: string, timeoutMs = 1000) => ({ id, type: 'tcp', host: '127.0.0.1', port, description, timeoutMs, guardTimeMs: 5 });
    const poll = { hourlyOffsetMinutes: 2, archiveDepthHours: 24, currentIntervalSeconds: 5 };
    return {
      tsrvServer,
      ports: { tsrv: tsrvPort, karat: karatPort, mbus: mbus.port, ...(iecPort !== undefined ? { iec: iecPort } : {}) },
      buses: [
        bus('rs485-1', tsrvPort, 'RS-485 via converter: ТСРВ-034'),
        bus('rs485-2', karatPort, 'RS-485 via converter: Карат-307'),
        bus('mbus-1', mbus.port, 'M-Bus level converter'),
        ...(iecPort !== undefined ? [bus('optical', iecPort, 'optical head (IEC 62056-21)', 3000)] : []),
      ],
      meters: [
        {
          id: 'tsrv-1',
          description: 'Взлёт ТСРВ-034: ТС1 отопление, ТС2 ГВС',
          bus: 'rs485-1',
          protocol: 'tsrv',
          address: 1,
          profile: 'vzljot-tsrv-034',
          heatSystems: [
            { system: 1, name: 'отопление' },
            { system: 2, name: 'ГВС', regimeMap: 'hot-water' },
          ],
          poll,
        },
        { id: 'karat-1', description: 'Карат-307', bus: 'rs485-2', protocol: 'karat', address: 2, profile: 'karat-307', poll },
        { id: 'mbus-1', description: 'M-Bus heat meter (no archive: hours integrated)', bus: 'mbus-1', protocol: 'mbus', address: 1, poll: { hourlyOffsetMinutes: 0, currentIntervalSeconds: 5 } },
        ...(iecPort !== undefined ? [{ id: 'optical-1', description: 'Landis+Gyr UH50 via optical head', bus: 'optical', protocol: 'iec62056', profile: 'landis-uh50', poll: { hourlyOffsetMinutes: 3, currentIntervalSeconds: 30 } }] : []),
      ],
      regimeMaps: [{ id: 'hot-water', kind: 'hotWater', description: 'ГВС: не ниже 60 °C, допуск 3 °C днём и 5 °C ночью (ПП 354 прил. 1 п. 5)' }],
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
