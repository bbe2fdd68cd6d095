import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sdNotify, watchdogIntervalMs } from './notify.js';

const dir = mkdtempSync(join(tmpdir(), 'gkh-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A unix datagram listener (socat) standing in for systemd's notify socket; collects what arrives. */
function listen(path: string) {
  const p = spawn('socat', ['-u', `UNIX-RECVFROM:${path},fork`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let got = '';
  p.stdout.on('data', (d: Buffer) => (got += d.toString()));
  return { got: () => got, stop: () => p.kill() };
}

describe('sd_notify', () => {
  it('does nothing without NOTIFY_SOCKET', async () => expect(await sdNotify('READY=1', {})).toBe(false));

  it.each([['systemd-notify', {}], ['python3', { OPENGKH_NOTIFY_PYTHON: '1' }]])('delivers READY=1 through %s', async (_n, extra) => {
    const path = join(dir, `notify-${_n}.sock`);
    const l = listen(path);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(await sdNotify('READY=1', { ...process.env, NOTIFY_SOCKET: path, ...extra })).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(l.got()).toContain('READY=1');
    } finally {
      l.stop();
    }
  });

  it('derives the watchdog interval from WATCHDOG_USEC', () => {
    expect(watchdogIntervalMs({})).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' })).toBe(15000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' })).toBeUndefined();
  });
});
