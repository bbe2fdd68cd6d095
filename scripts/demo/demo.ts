/**
 * `opengkh demo` (= `npm start`): the whole system on embedded defaults in one command.
 *
 *   simulators (in this process, TCP) ─┐
 *     M-Bus heat meter, ТСРВ-034 (2 heat systems), Карат-307, IEC 62056-21 optical meter
 *   gateway  (child: opengkh run) ─────┤ → aedes broker "УК" (in process) → receiver УК (child)
 *                                      └ → aedes broker "РСО" (in process) → receiver РСО (child)
 *
 * Simulated time runs fast (default one hour per 10 s). The story: the archive backfills; hours arrive at
 * both receivers; the ТСРВ goes silent for 6 simulated hours and is backfilled when it answers again;
 * the УК broker goes down for a while and catches up; hot water runs cold at night — a regime violation.
 * Every config is written to DIR so the other commands can be tried on the demo's data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { clockSpec, scaledClock, type Clock } from '../../edge/clock.js';
import { startDemoSite } from '../../edge/drivers/sim/site.js';
import { generateKeyFile, loadKeyFile } from '../../edge/keys/index.js';
import { originFor } from '../../edge/log/checkpoint.js';
import { SIG_ED25519 } from '../../edge/log/note.js';
import { formatVkey } from '../../edge/log/vkey.js';
import { cosignerVkey } from '../../edge/sync/cosign.js';
import { localMidnightUtc } from '../../edge/regime/time.js';
import type { StatusSnapshot } from '../../edge/status/types.js';

const require = createRequire(import.meta.url);
const BIN = fileURLToPath(new URL('../../../bin/opengkh.js', import.meta.url));

export interface DemoOptions {
  dataDir: string;
  fresh: boolean;
  /** Real seconds per simulated hour. */
  hourSeconds: number;
  /** Stop by itself after this many real seconds (undefined: until Ctrl-C). */
  durationSeconds?: number;
  /** Status page port (0 = any free). */
  statusPort: number;
  out: (line: string) => void;
}

/** An embedded MQTT 3.1.1 broker (aedes) that can be stopped and restarted on the same port. */
class EmbeddedBroker {
  private server: Server | undefined;
  private aedes: { handle: (s: Socket) => void; close: (cb: () => void) => void } | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly name: string,
    public port: number,
  ) {}
  async start(): Promise<void> {
    const Aedes = require('aedes') as (opts?: object) => { handle: (s: Socket) => void; close: (cb: () => void) => void };
    this.aedes = Aedes();
    const aedes = this.aedes;
    this.server = createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      aedes.handle(s);
    });
    await new Promise<void>((res, rej) => {
      this.server!.once('error', rej);
      this.server!.listen(this.port, '127.0.0.1', () => res());
    });
    const a = this.server.address();
    if (typeof a === 'object' && a) this.port = a.port;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await new Promise<void>((r) => (this.aedes ? this.aedes.close(() => r()) : r()));
    this.server = undefined;
  }
}

function freePort(prefer: number): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => {
      const t = createServer();
      t.listen(0, '127.0.0.1', () => {
        const a = t.address();
        t.close(() => res(typeof a === 'object' && a ? a.port : 0));
      });
    });
    s.listen(prefer, '127.0.0.1', () => s.close(() => res(prefer)));
  });
}

const local = (ms: number, tz: string) => new Date(ms).toLocaleString('ru-RU', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });

/** Runs the demo until Ctrl-C or the duration; resolves with the exit code. */
export async function runDemo(o: DemoOptions): Promise<number> {
  const dir = resolve(o.dataDir);
  if (o.fresh && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tz = 'Asia/Yekaterinburg';
  const gwId = 'demo-ekb-lenina-12';

  // Simulated time continues where the last run stopped (the meters' archives are functions of time).
  const clockFile = join(dir, 'clock.json');
  const anchor = Date.now();
  const prev = existsSync(clockFile) ? (JSON.parse(readFileSync(clockFile, 'utf8')) as { simNow: number }).simNow : undefined;
  // A fresh demo starts at 23:50 site time yesterday: the first hour closes within seconds and the
  // night (when the hot water runs cold) comes within the first minute.
  const today = new Date(anchor).toLocaleDateString('en-CA', { timeZone: tz }).split('-').map(Number) as [number, number, number];
  const origin = prev ?? localMidnightUtc(today[0], today[1], today[2], tz) - 10 * 60_000;
  const scale = 3600 / o.hourSeconds;
  const clock: Clock = scaledClock(anchor, origin, scale);
  const env = { ...process.env, OPENGKH_CLOCK: clockSpec(anchor, origin, scale) };

  // --- simulators -----------------------------------------------------------------------------------
  const now = () => clock.now();
  const site = await startDemoSite({ now, timeZone: tz, optical: true });
  const { tsrvServer } = site;
  const { tsrv: tsrvPort, karat: karatPort, mbus: mbusPort, iec: iecPort } = site.ports;

  // --- brokers and keys -----------------------------------------------------------------------------
  const uk = new EmbeddedBroker('УК', await freePort(18831));
  const rso = new EmbeddedBroker('РСО', await freePort(18832));
  await uk.start();
  await rso.start();
  const statusPort = await freePort(o.statusPort || 8080);

  const gwDir = join(dir, 'gateway');
  const keyOf = (file: string) => (existsSync(file) ? loadKeyFile(file) : generateKeyFile(file));
  const gwKey = keyOf(join(gwDir, 'data/keys/gateway.key'));
  const ukKey = keyOf(join(dir, 'receiver-uk/data/keys/receiver.key'));
  const rsoKey = keyOf(join(dir, 'receiver-rso/data/keys/receiver.key'));
  const gwVkey = formatVkey(originFor(gwId), SIG_ED25519, gwKey.publicRaw);
  const ukVkey = cosignerVkey('receiver-uk', ukKey.publicRaw);
  const rsoVkey = cosignerVkey('receiver-rso', rsoKey.publicRaw);

  const gatewayConfig = {
    $schema: '../../edge/config/gateway.schema.json',
    gatewayId: gwId,
    timeZone: tz,
    dataDir: './data',
    buses: site.buses,
    meters: site.meters,
    regimeMaps: site.regimeMaps,
    destinations: [
      { id: 'uk', role: 'УК', url: `mqtt://127.0.0.1:${uk.port}`, protocolVersion: 4, receiverVkey: ukVkey },
      { id: 'rso', role: 'РСО', url: `mqtt://127.0.0.1:${rso.port}`, protocolVersion: 4, receiverVkey: rsoVkey },
    ],
    status: { bind: '127.0.0.1', port: statusPort },
  };
  mkdirSync(gwDir, { recursive: true });
  writeFileSync(join(gwDir, 'config.json'), `${JSON.stringify(gatewayConfig, null, 2)}\n`);
  const receiverConfig = (name: string, role: string, port: number, peer: string) => ({
    receiverId: name,
    role,
    dataDir: './data',
    broker: { url: `mqtt://127.0.0.1:${port}`, protocolVersion: 4 },
    peers: [{ vkey: peer }],
    gateways: [{ id: gwId, vkey: gwVkey, description: 'demo gateway' }],
  });
  writeFileSync(join(dir, 'receiver-uk/config.json'), `${JSON.stringify(receiverConfig('receiver-uk', 'УК', uk.port, rsoVkey), null, 2)}\n`);
  writeFileSync(join(dir, 'receiver-rso/config.json'), `${JSON.stringify(receiverConfig('receiver-rso', 'РСО', rso.port, ukVkey), null, 2)}\n`);

  // --- processes -------------------------------------------------------------------------------------
  const children: { name: string; p: ChildProcess }[] = [];
  const start = (name: string, args: string[], logFile: string) => {
    const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const { createWriteStream } = require('node:fs') as typeof import('node:fs');
    const log = createWriteStream(logFile, { flags: 'a' });
    p.stdout?.pipe(log);
    p.stderr?.pipe(log);
    p.on('exit', (code, sig) => {
      if (!stopping) o.out(`! ${name} exited (${code ?? sig}); see ${logFile}`);
    });
    children.push({ name, p });
    return p;
  };
  let stopping = false;
  start('receiver УК', ['receiver', '--config', join(dir, 'receiver-uk/config.json')], join(dir, 'receiver-uk/receiver.log'));
  start('receiver РСО', ['receiver', '--config', join(dir, 'receiver-rso/config.json')], join(dir, 'receiver-rso/receiver.log'));
  start('gateway', ['run', '--config', join(gwDir, 'config.json')], join(gwDir, 'gateway.log'));

  o.out(`opengkh demo — данные / data: ${dir}`);
  o.out(`  simulated time: 1 hour per ${o.hourSeconds} s, starting ${local(clock.now(), tz)} (${tz})`);
  o.out(`  meters: ТСРВ-034 tcp:${tsrvPort} · Карат-307 tcp:${karatPort} · M-Bus tcp:${mbusPort} · IEC 62056-21 tcp:${iecPort}`);
  o.out(`  brokers: УК mqtt://127.0.0.1:${uk.port} · РСО mqtt://127.0.0.1:${rso.port} (aedes)`);
  o.out(`  logs: ${join(gwDir, 'gateway.log')}, ${join(dir, 'receiver-uk/receiver.log')}, ${join(dir, 'receiver-rso/receiver.log')}`);

  // --- the story ---------------------------------------------------------------------------------------
  const hs = o.hourSeconds * 1000;
  const timers: NodeJS.Timeout[] = [];
  const at = (ms: number, fn: () => void | Promise<void>) => timers.push(setTimeout(() => void fn(), ms));
  let statusUrl = '';
  at(5.3 * hs, () => {
    tsrvServer.faults.rules = [{ kind: 'silent', every: 1 }];
    o.out(`» [${local(clock.now(), tz)}] ТСРВ-034 молчит (обрыв линии) / meter tsrv-1 goes silent for 6 simulated hours`);
  });
  at(11.3 * hs, () => {
    tsrvServer.faults.rules = [];
    o.out(`» [${local(clock.now(), tz)}] ТСРВ-034 снова отвечает / tsrv-1 answers again — the gap is backfilled from its archive`);
  });
  at(2.5 * hs, async () => {
    await uk.stop();
    o.out(`» [${local(clock.now(), tz)}] брокер УК недоступен / the УК broker is down; РСО keeps receiving, УК's backlog waits on disk`);
  });
  at(5 * hs, async () => {
    await uk.start();
    o.out(`» [${local(clock.now(), tz)}] брокер УК снова доступен / the УК broker is back: catching up`);
  });

  let lastEvents = new Set<string>();
  let lastLine = '';
  const poll = setInterval(() => {
    void (async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${gatewayStatusPort()}/api/status`);
        const s = (await r.json()) as StatusSnapshot;
        if (!statusUrl) {
          statusUrl = `http://127.0.0.1:${gatewayStatusPort()}/`;
          o.out(`  status page / страница состояния: ${statusUrl}`);
        }
        const d = s.destinations.map((x) => `${x.role} ${x.ackedSize}/${s.gateway.logSize}${x.connected ? '' : ' (offline)'}`).join(' · ');
        const m = s.meters.map((x) => `${x.id}:${x.link === 'ok' ? 'ok' : x.link === 'lost' ? 'НЕТ СВЯЗИ' : '…'}`).join(' ');
        const line = `[${local(clock.now(), tz)}] log ${s.gateway.logSize} · ${d} · ${m}`;
        if (line.replace(/^\[[^\]]*\]/, '') !== lastLine.replace(/^\[[^\]]*\]/, '')) o.out(line);
        lastLine = line;
        const seen = new Set<string>();
        for (const e of [...s.events].reverse()) {
          const k = `${e.at}|${e.type}|${e.meterId ?? ''}|${e.summary}`;
          seen.add(k);
          if (!lastEvents.has(k) && ['comm.lost', 'comm.restored', 'regime.verdict', 'meter.identity', 'clock.drift'].includes(e.type)) o.out(`  ⚑ ${e.type} ${e.meterId ?? ''} ${e.summary}`);
        }
        lastEvents = seen;
      } catch {
        // the gateway is starting
      }
    })();
  }, Math.max(1000, hs / 4));
  function gatewayStatusPort(): number {
    return statusPort;
  }

  const stop = async (): Promise<number> => {
    if (stopping) return 0;
    stopping = true;
    clearInterval(poll);
    timers.forEach(clearTimeout);
    writeFileSync(clockFile, JSON.stringify({ simNow: clock.now() }));
    o.out('stopping… / остановка…');
    for (const c of [...children].reverse()) {
      c.p.kill('SIGTERM');
      await new Promise<void>((r) => {
        if (c.p.exitCode !== null || c.p.signalCode !== null) return r();
        const t = setTimeout(() => {
          c.p.kill('SIGKILL');
          r();
        }, 10_000);
        c.p.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    await Promise.allSettled([uk.stop(), rso.stop(), site.close()]);
    o.out('');
    o.out('Try on the demo data / попробуйте на данных демо:');
    o.out(`  npx opengkh log verify --config ${join(gwDir, 'config.json')}`);
    o.out(`  npx opengkh receiver verify --config ${join(dir, 'receiver-rso/config.json')}`);
    o.out(`  npx opengkh receiver export --config ${join(dir, 'receiver-uk/config.json')} --format csv --meter tsrv-1`);
    o.out(`  npx opengkh report --config ${join(gwDir, 'config.json')} --month ${new Date(clock.now()).toISOString().slice(0, 7)} --meter tsrv-1 --system 2 --format html --out report.html`);
    o.out(`  npm start            (continues; --fresh starts empty)`);
    return 0;
  };

  return new Promise<number>((resolveExit) => {
    const finish = () => void stop().then(resolveExit);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    if (o.durationSeconds !== undefined) timers.push(setTimeout(finish, o.durationSeconds * 1000));
  });
}
