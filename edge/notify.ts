/**
 * sd_notify(3) without a native addon: Node's dgram has no AF_UNIX datagram sockets, so the message is
 * handed to `systemd-notify` (part of systemd, on every gateway image), or to python3 where that is
 * missing (development machines). The unit must say NotifyAccess=all because the sender is a child.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Sends `state` (e.g. `READY=1`, `WATCHDOG=1`, `STOPPING=1`, `STATUS=…`) when $NOTIFY_SOCKET is set. Resolves true when sent. */
export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const sock = env.NOTIFY_SOCKET;
  if (!sock) return Promise.resolve(false);
  const lines = state.split('\n').filter(Boolean);
  const [cmd, args] = existsSync('/usr/bin/systemd-notify') && !env.OPENGKH_NOTIFY_PYTHON
    ? ['/usr/bin/systemd-notify', ['--no-block', `--pid=${process.pid}`, ...lines]]
    : ['python3', ['-c', 'import os,socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\na=os.environ["NOTIFY_SOCKET"]\ns.sendto(sys.argv[1].encode(),"\\0"+a[1:] if a.startswith("@") else a)', lines.join('\n')]];
  return new Promise((resolve) => {
    const p = spawn(cmd, args as string[], { stdio: 'ignore', env });
    p.on('error', () => resolve(false));
    p.on('exit', (code) => resolve(code === 0));
  });
}

/** Watchdog interval (ms) from $WATCHDOG_USEC: half the timeout, as sd_watchdog_enabled(3) advises; undefined when off. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  const pid = env.WATCHDOG_PID;
  if (pid && Number(pid) !== process.pid) return undefined;
  return Math.max(500, Math.floor(usec / 2000));
}
