/**
 * A real mosquitto for tests and benchmarks: started on a free loopback port with a generated config
 * in its own directory (persistence on, so a restart keeps persistent sessions and queued QoS 1
 * messages, like a production broker). Not used by the gateway at run time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { freePort } from '../testing.js';

/** Path of the mosquitto binary ($MOSQUITTO or /usr/sbin/mosquitto). */
export const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';

export interface Broker {
  port: number;
  url: string;
  /** Starts (again) on the same port and directory. */
  start(): Promise<void>;
  /** Stops with SIGTERM (mosquitto saves its persistence file) and waits for exit. */
  stop(): Promise<void>;
  running(): boolean;
  /** Everything mosquitto wrote to stderr/stdout. */
  output(): string;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** Options of a test broker. */
export interface BrokerOptions {
  /** Extra mosquitto.conf lines. */
  extraConf?: string[];
  /** TLS on the listener (PEM files); the URL becomes mqtts://. */
  tls?: { ca: string; cert: string; key: string };
  /** mosquitto_passwd file: anonymous clients are refused. */
  passwordFile?: string;
}

/** Creates (and starts) a broker whose files live under `dir`. */
export async function startBroker(dir: string, opts: BrokerOptions = {}): Promise<Broker> {
  const extraConf = opts.extraConf ?? [];
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      // Started as root, mosquitto would drop to user "mosquitto" and could not read or write the
      // test's private (0700) directory: stay the user who started it.
      `user ${userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      ...(opts.tls ? [`cafile ${opts.tls.ca}`, `certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`] : []),
      ...(opts.passwordFile ? ['allow_anonymous false', `password_file ${opts.passwordFile}`] : ['allow_anonymous true']),
      'persistence true',
      `persistence_location ${dir}/`,
      // Saved on SIGTERM anyway; a frequent autosave blocks mosquitto's single thread (with an fsync) every time.
      'autosave_interval 1800',
      // Backlogs are drained in many batches; never drop queued QoS 1 messages of a persistent session.
      'max_queued_messages 0',
      'max_inflight_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...extraConf,
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | undefined;
  let out = '';
  const b: Broker = {
    port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    running: () => proc !== undefined && proc.exitCode === null && proc.signalCode === null,
    output: () => out,
    async start() {
      if (b.running()) return;
      const p = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 10_000;
      while (!(await canConnect(port))) {
        if (p.exitCode !== null) throw new Error(`mosquitto exited ${p.exitCode}: ${out}`);
        if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}: ${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      const p = proc;
      if (!p || !b.running()) return;
      await new Promise<void>((res) => {
        p.once('exit', () => res());
        p.kill('SIGTERM');
      });
    },
  };
  await b.start();
  return b;
}
