/**
 * Test and demo helper: a pair of connected pseudo-terminals made by socat (`socat pty,raw,echo=0,link=A
 * pty,raw,echo=0,link=B`). Bytes written to one end come out of the other, like a null-modem cable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GkhError } from '../../errors.js';

/** A running socat pty pair; `close()` ends socat and removes the temp dir. */
export interface PtyPair {
  a: string;
  b: string;
  proc: ChildProcess;
  close(): Promise<void>;
}

/** Starts socat and waits (up to `timeoutMs`, default 10000) until both links exist. */
export async function socatPair(timeoutMs = 10_000): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'opengkh-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const proc = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  let exited = false;
  proc.once('exit', () => (exited = true));
  const close = async (): Promise<void> => {
    if (!exited) {
      const done = new Promise<void>((res) => proc.once('exit', () => res()));
      proc.kill('SIGTERM');
      await done;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const t0 = Date.now();
  while (!(existsSync(a) && existsSync(b))) {
    if (exited || Date.now() - t0 > timeoutMs) {
      await close();
      throw new GkhError('TRANSPORT_IO', `socat did not create the pty pair within ${timeoutMs} ms (is socat installed?)`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { a, b, proc, close };
}
