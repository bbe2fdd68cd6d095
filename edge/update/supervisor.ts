/**
 * A minimal service manager for tests and development, playing systemd's part for a Type=notify
 * service: it runs `node <root>/current/bin/opengkh.js <args>` with $NOTIFY_SOCKET set, records
 * READY=1 from the sd_notify datagram socket (sd_notify(3): AF_UNIX SOCK_DGRAM, newline-separated
 * VAR=VALUE assignments), and answers `restart` / `status` on a unix control socket (service.ts).
 *
 * Node has no AF_UNIX datagram sockets, so the notify socket is received by a tiny /usr/bin/python3
 * helper that prints each datagram as one base64 line (keeping datagram boundaries).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GkhError } from '../errors.js';
import type { SupervisorStatus } from './service.js';

const RECV_PY = `
import base64, os, socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(p)
os.chmod(p, 0o666)
sys.stdout.write("bound\\n"); sys.stdout.flush()
while True:
    d = s.recv(65536)
    sys.stdout.write(base64.b64encode(d).decode() + "\\n"); sys.stdout.flush()
`;

/** Options for a Supervisor. */
export interface SupervisorOptions {
  /** Updater root: the service runs `<root>/current/bin/opengkh.js`. */
  root: string;
  /** Arguments after the script (e.g. `['run', '--config', file]`). */
  args: string[];
  /** Extra environment for the service. */
  env?: NodeJS.ProcessEnv;
  /** Control socket path (the updater's `--service supervisor:<path>`). */
  control: string;
  /** Notify socket path given to the service as $NOTIFY_SOCKET. */
  notify: string;
  /** Called with each line the service prints (stdout and stderr), for test diagnostics. */
  onOutput?: (line: string) => void;
}

/** Supervises one service process; see the module comment. */
export class Supervisor {
  private child: ChildProcess | undefined;
  private receiver: ChildProcess | undefined;
  private server: Server | undefined;
  private st: SupervisorStatus = { ready: false, starts: 0 };

  constructor(private readonly o: SupervisorOptions) {}

  /** Starts the notify receiver, the control socket and (when `current` exists) the service. */
  async start(): Promise<void> {
    rmSync(this.o.notify, { force: true });
    rmSync(this.o.control, { force: true });
    const rx = spawn('/usr/bin/python3', ['-c', RECV_PY, this.o.notify], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.receiver = rx;
    const lines = createInterface({ input: rx.stdout });
    await new Promise<void>((resolve, reject) => {
      const onExit = () =>
        reject(new GkhError('UPDATE_SERVICE', 'notify socket receiver (python3) exited', {}));
      rx.once('exit', onExit);
      lines.once('line', () => {
        rx.off('exit', onExit);
        resolve();
      });
    });
    lines.on('line', (l) => this.onDatagram(Buffer.from(l, 'base64').toString('utf8')));
    this.server = createServer((c) => {
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const req = JSON.parse(buf.slice(0, nl)) as { op?: string };
        const answer = (x: object) => c.end(`${JSON.stringify(x)}\n`);
        if (req.op === 'status') answer(this.status());
        else if (req.op === 'restart')
          this.restart().then(
            () => answer(this.status()),
            (e: unknown) => answer({ error: (e as Error).message }),
          );
        else answer({ error: `unknown op ${String(req.op)}` });
      });
      c.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.o.control, resolve));
    if (existsSync(join(this.o.root, 'current'))) await this.restart(); // like an enabled unit at boot
  }

  private onDatagram(text: string): void {
    // sd_notify(3): newline-separated assignments; READY=1 marks start-up complete.
    if (
      text.split('\n').includes('READY=1') &&
      this.child &&
      this.child.exitCode === null &&
      this.child.signalCode === null
    )
      this.st.ready = true;
  }

  /** Current status (pid, ready, exit of the last process). */
  status(): SupervisorStatus {
    return { ...this.st };
  }

  private async stopChild(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000); // systemd's TimeoutStopSec, shortened
    await exited;
    clearTimeout(t);
  }

  /** Stops the running process (SIGTERM, then SIGKILL after 5 s) and starts `current` anew. */
  async restart(): Promise<void> {
    await this.stopChild();
    const script = join(this.o.root, 'current', 'bin', 'opengkh.js');
    if (!existsSync(script)) throw new GkhError('UPDATE_SERVICE', `${script} does not exist`, { script });
    const release = realpathSync(join(this.o.root, 'current'));
    const child = spawn(process.execPath, [script, ...this.o.args], {
      env: { ...process.env, ...this.o.env, NOTIFY_SOCKET: this.o.notify },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.st = {
      ready: false,
      starts: this.st.starts + 1,
      release,
      ...(child.pid !== undefined ? { pid: child.pid } : {}),
    };
    const out = (s: NodeJS.ReadableStream) =>
      createInterface({ input: s }).on('line', (l) => this.o.onOutput?.(l));
    out(child.stdout!);
    out(child.stderr!);
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.st = {
        ready: false,
        starts: this.st.starts,
        exited: signal ?? String(code),
        ...(this.st.release ? { release: this.st.release } : {}),
      };
    });
  }

  /** Stops the service, the receiver and the control socket. */
  async stop(): Promise<void> {
    await this.stopChild();
    this.receiver?.kill('SIGTERM');
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.o.notify, { force: true });
  }
}
