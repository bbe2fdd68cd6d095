/**
 * A demo-like test stand for the status page (browser test, docs screenshot): simulated meters in this
 * process on TCP (Взлёт ТСРВ-034 with two heat systems, Карат-307, an M-Bus meter, optionally an
 * IEC 62056-21 optical meter), one real mosquitto per destination (УК, РСО) with a real receiver child
 * behind each, and the real gateway (`node bin/opengkh.js run`, built first) on a scaled clock
 * (OPENGKH_CLOCK) with basic auth on its status page. Not used by the gateway at run time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clockSpec, scaledClock, type Clock } from '../clock.js';
import type { RtuServer } from '../drivers/sim/rtu-server.js';
import { startDemoSite } from '../drivers/sim/site.js';
import { generateKeyFile } from '../keys/index.js';
import { originFor } from '../log/checkpoint.js';
import { SIG_ED25519 } from '../log/note.js';
import { formatVkey } from '../log/vkey.js';
import { startBroker, type Broker } from '../sync/broker.js';
import { repoRoot, spawnReceiver, writeReceiverConfig, type ReceiverProc } from '../sync/harness.js';
import { localMidnightUtc } from '../regime/time.js';
import { freePort } from '../testing.js';
import { hashPassword } from './server.js';
import type { StatusSnapshot } from './types.js';

export interface StandOptions {
  /** Everything (configs, data, broker files) lives here. */
  dir: string;
  /** Real seconds per simulated hour. Default 4. */
  hourSeconds?: number;
  /** Also run the IEC 62056-21 optical meter (slower: 2.2 s wake-up per read). Default false. */
  optical?: boolean;
  /** Basic auth of the status page. Default tech / "heat-node 12". */
  username?: string;
  password?: string;
}

export interface Stand {
  /** `http://127.0.0.1:<port>` of the gateway's status server. */
  base: string;
  username: string;
  password: string;
  gatewayId: string;
  /** Path of the gateway's private key file (to check the page never shows it). */
  keyFile: string;
  clock: Clock;
  timeZone: string;
  tsrvServer: RtuServer;
  brokers: { uk: Broker; rso: Broker };
  receivers: ReceiverProc[];
  /** Every line the gateway printed so far. */
  gatewayLines: string[];
  /** Basic auth header for fetch. */
  authHeader: { authorization: string };
  /** `/api/status` with credentials. */
  snapshot(): Promise<StatusSnapshot>;
  /** Polls `/api/status` until `ok(snapshot)` or throws after `timeoutMs` with the last snapshot. */
  waitFor(ok: (s: StatusSnapshot) => boolean, timeoutMs: number): Promise<StatusSnapshot>;
  /** Stops the gateway, receivers, brokers and simulators. */
  stop(): Promise<void>;
}

async function stopChild(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((res) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.once('exit', () => {
      clearTimeout(t);
      res();
    });
    p.kill('SIGTERM');
  });
}

/** Starts the stand; the caller must `stop()` it (also on failure after it resolved). */
export async function startStand(o: StandOptions): Promise<Stand> {
  const tz = 'Asia/Yekaterinburg';
  const gatewayId = 'ekb-lenina-12';
  const hourSeconds = o.hourSeconds ?? 4;
  const username = o.username ?? 'tech';
  const password = o.password ?? 'heat-node 12';
  mkdirSync(o.dir, { recursive: true });

  // Simulated time starts at 23:50 site time yesterday: the first hour closes within seconds.
  const anchor = Date.now();
  const today = new Date(anchor).toLocaleDateString('en-CA', { timeZone: tz }).split('-').map(Number) as [number, number, number];
  const origin = localMidnightUtc(today[0], today[1], today[2], tz) - 10 * 60_000;
  const scale = 3600 / hourSeconds;
  const clock = scaledClock(anchor, origin, scale);
  const now = () => clock.now();

  const cleanup: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
  };
  try {
    // --- simulators ---------------------------------------------------------------------------------
    const site = await startDemoSite({ now, timeZone: tz, optical: o.optical ?? false });
    cleanup.push(() => site.close());
    const { tsrvServer } = site;

    // --- brokers, keys, receivers -------------------------------------------------------------------
    const uk = await startBroker(join(o.dir, 'broker-uk'));
    cleanup.push(() => uk.stop());
    const rso = await startBroker(join(o.dir, 'broker-rso'));
    cleanup.push(() => rso.stop());
    const gwDir = join(o.dir, 'gateway');
    const keyFile = join(gwDir, 'data/keys/gateway.key');
    const gwKey = generateKeyFile(keyFile);
    const vkey = formatVkey(originFor(gatewayId), SIG_ED25519, gwKey.publicRaw);
    const receivers = await Promise.all(
      [
        ['receiver-uk', uk],
        ['receiver-rso', rso],
      ].map(([name, b]) => {
        const d = join(o.dir, name as string);
        return spawnReceiver(d, writeReceiverConfig(d, { receiverId: name as string, url: (b as Broker).url, gateways: [{ id: gatewayId, vkey }], protocolVersion: 4 }));
      }),
    );
    for (const r of receivers) cleanup.push(() => r.stop());

    // --- the gateway --------------------------------------------------------------------------------
    const statusPort = await freePort();
    const config = {
      gatewayId,
      timeZone: tz,
      dataDir: './data',
      buses: site.buses,
      meters: site.meters,
      regimeMaps: site.regimeMaps,
      destinations: [
        { id: 'uk', role: 'УК', url: uk.url, protocolVersion: 4 },
        { id: 'rso', role: 'РСО', url: rso.url, protocolVersion: 4 },
      ],
      status: { bind: '127.0.0.1', port: statusPort, basicAuth: { username, passwordHash: hashPassword(password) } },
    };
    const cfgFile = join(gwDir, 'config.json');
    writeFileSync(cfgFile, `${JSON.stringify(config, null, 2)}\n`);
    const gatewayLines: string[] = [];
    const gw = spawn(process.execPath, [join(repoRoot(), 'bin/opengkh.js'), 'run', '--config', cfgFile], {
      env: { ...process.env, OPENGKH_CLOCK: clockSpec(anchor, origin, scale) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(() => stopChild(gw));
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      gatewayLines.push(...parts);
    };
    gw.stdout.on('data', onData);
    gw.stderr.on('data', onData);

    const base = `http://127.0.0.1:${statusPort}`;
    const authHeader = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
    const snapshot = async () => {
      const r = await fetch(`${base}/api/status`, { headers: authHeader });
      if (r.status !== 200) throw new Error(`/api/status: HTTP ${r.status}`);
      return (await r.json()) as StatusSnapshot;
    };
    const waitFor = async (ok: (s: StatusSnapshot) => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      let last: StatusSnapshot | undefined;
      let err = '';
      for (;;) {
        if (gw.exitCode !== null) throw new Error(`gateway exited ${gw.exitCode}:\n${gatewayLines.slice(-15).join('\n')}`);
        try {
          last = await snapshot();
          if (ok(last)) return last;
        } catch (e) {
          err = (e as Error).message; // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`status not reached within ${timeoutMs} ms (${err}); last snapshot:\n${JSON.stringify(last, null, 1)}\ngateway:\n${gatewayLines.slice(-15).join('\n')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    return { base, username, password, gatewayId, keyFile, clock, timeZone: tz, tsrvServer, brokers: { uk, rso }, receivers, gatewayLines, authHeader, snapshot, waitFor, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
