/**
 * How the updater restarts the gateway service and learns that the new main process is READY.
 * In production systemd does both (`Type=notify`: the unit turns `active` only after the process
 * sent `READY=1` on $NOTIFY_SOCKET); in tests and development a `Supervisor` (supervisor.ts) plays
 * systemd's part and the updater reaches it over a control socket, like systemctl reaches systemd.
 */
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { GkhError } from '../errors.js';

/** What the updater needs from a service manager. */
export interface ServiceController {
  /** Human-readable name for messages (e.g. `systemd:opengkh.service`). */
  readonly name: string;
  /** Restarts the service so it runs what `current` points to now. Resolves once the restart is issued. */
  restart(): Promise<void>;
  /**
   * Resolves true once a main process started by the last restart() has reported READY=1,
   * false when `deadline` (ms since epoch) passes or the service failed first.
   */
  waitReady(deadline: number): Promise<boolean>;
  /** True while the main process that reported READY is still the one running (no crash, no restart). */
  stillUp(): Promise<boolean>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (err)
        reject(
          new GkhError(
            'UPDATE_SERVICE',
            `${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`,
            { cmd, args },
            { cause: err },
          ),
        );
      else resolve(stdout);
    });
  });
}

/**
 * systemd: `systemctl restart --no-block <unit>`, then polls `systemctl show` until the unit is
 * `active` with a new MainPID. For Type=notify units systemd moves to `active` only on READY=1
 * (systemd.service(5), Type=notify), so this is the READY half of the health gate.
 */
export class SystemdController implements ServiceController {
  readonly name: string;
  private oldPid = '0';
  private readyPid = '0';
  constructor(
    readonly unit = 'opengkh.service',
    private readonly systemctl = 'systemctl',
  ) {
    this.name = `systemd:${unit}`;
  }
  private async show(): Promise<Record<string, string>> {
    const out = await run(this.systemctl, [
      'show',
      this.unit,
      '-p',
      'ActiveState',
      '-p',
      'SubState',
      '-p',
      'MainPID',
      '-p',
      'Result',
    ]);
    const r: Record<string, string> = {};
    for (const line of out.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) r[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return r;
  }
  async restart(): Promise<void> {
    this.oldPid = (await this.show()).MainPID ?? '0';
    await run(this.systemctl, ['reset-failed', this.unit]).catch(() => undefined); // a failed unit may not be restart-limited into refusal
    await run(this.systemctl, ['restart', '--no-block', this.unit]);
  }
  async waitReady(deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const s = await this.show();
      if (
        s.ActiveState === 'active' &&
        s.SubState === 'running' &&
        s.MainPID !== '0' &&
        s.MainPID !== this.oldPid
      ) {
        this.readyPid = s.MainPID ?? '0';
        return true;
      }
      await sleep(500);
    }
    return false;
  }
  async stillUp(): Promise<boolean> {
    const s = await this.show();
    return s.ActiveState === 'active' && s.MainPID === this.readyPid;
  }
}

/** Status a Supervisor reports over its control socket. */
export interface SupervisorStatus {
  /** Main process id, when one is running. */
  pid?: number;
  /** The running process has sent READY=1 since its start. */
  ready: boolean;
  /** Exit code or signal of the last process when it is no longer running. */
  exited?: string;
  /** How many times the service was (re)started. */
  starts: number;
  /** Release directory the running process was started from (realpath of `current` at spawn). */
  release?: string;
}

/** Sends one JSON line to a supervisor's control socket and returns its one-line JSON answer. */
export function supervisorRequest(
  socket: string,
  req: { op: 'restart' | 'status' },
  timeoutMs = 15_000,
): Promise<SupervisorStatus> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let buf = '';
    const t = setTimeout(() => {
      c.destroy();
      reject(
        new GkhError(
          'UPDATE_SERVICE',
          `supervisor ${socket} did not answer ${req.op} within ${timeoutMs} ms`,
          { socket },
        ),
      );
    }, timeoutMs);
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        c.end();
        const ans = JSON.parse(buf.slice(0, nl)) as SupervisorStatus & { error?: string };
        if (ans.error) reject(new GkhError('UPDATE_SERVICE', `supervisor: ${ans.error}`, { socket }));
        else resolve(ans);
      }
    });
    c.on('error', (e) => {
      clearTimeout(t);
      reject(
        new GkhError(
          'UPDATE_SERVICE',
          `cannot reach supervisor ${socket}: ${(e as NodeJS.ErrnoException).code ?? e.message}`,
          { socket },
          { cause: e },
        ),
      );
    });
  });
}

/** ServiceController for a `Supervisor` listening on a control socket. */
export class SupervisorController implements ServiceController {
  readonly name: string;
  constructor(private readonly socket: string) {
    this.name = `supervisor:${socket}`;
  }
  async restart(): Promise<void> {
    await supervisorRequest(this.socket, { op: 'restart' });
  }
  private readyPid: number | undefined;
  async waitReady(deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const s = await supervisorRequest(this.socket, { op: 'status' });
      if (s.ready && s.pid !== undefined) {
        this.readyPid = s.pid;
        return true;
      }
      if (s.exited !== undefined) return false; // the new process died before READY
      await sleep(100);
    }
    return false;
  }
  async stillUp(): Promise<boolean> {
    const s = await supervisorRequest(this.socket, { op: 'status' });
    return s.ready && s.pid !== undefined && s.pid === this.readyPid;
  }
}

/** Parses `--service`: `systemd:<unit>` (default `systemd:opengkh.service`) or `supervisor:<socket>`. */
export function controllerFromSpec(spec: string): ServiceController {
  if (spec.startsWith('systemd:'))
    return new SystemdController(spec.slice('systemd:'.length) || 'opengkh.service');
  if (spec.startsWith('supervisor:')) return new SupervisorController(spec.slice('supervisor:'.length));
  throw new GkhError(
    'UPDATE_SERVICE',
    `--service "${spec}": expected systemd:<unit> or supervisor:<socket>`,
    { found: spec },
  );
}
