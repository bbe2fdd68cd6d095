/**
 * Test and benchmark harness: the real receiver as a child process (`node bin/opengkh.js receiver
 * --config F`, built with `npx tsc -p .` first) and helpers to wait for what it logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (from edge/sync or dist/edge/sync). */
export function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? join(here, '../../..') : join(here, '../..');
}

export interface ReceiverProc {
  dir: string;
  config: string;
  proc: ChildProcess;
  /** Every line it printed so far (stdout and stderr). */
  lines: string[];
  /** Resolves with the first line (already printed or future) matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** Starts again with the same config and data. */
  restart(): Promise<void>;
}

/** Writes a receiver config under `dir` and returns its path. */
export function writeReceiverConfig(dir: string, cfg: { receiverId: string; url: string; gateways: { id: string; vkey: string }[]; shareGroup?: string; protocolVersion?: 4 | 5; peers?: { vkey: string }[] }): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'receiver.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        receiverId: cfg.receiverId,
        dataDir: 'data',
        broker: { url: cfg.url, protocolVersion: cfg.protocolVersion ?? 5, ...(cfg.shareGroup ? { shareGroup: cfg.shareGroup } : {}) },
        gateways: cfg.gateways,
        peers: cfg.peers ?? [],
      },
      null,
      2,
    ),
  );
  return file;
}

/** Spawns the real receiver and waits until it has subscribed. */
export async function spawnReceiver(dir: string, config: string): Promise<ReceiverProc> {
  const bin = join(repoRoot(), 'bin/opengkh.js');
  const r: ReceiverProc = {
    dir,
    config,
    proc: undefined as unknown as ChildProcess,
    lines: [],
    waitFor(re, timeoutMs = 20_000) {
      const hit = r.lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((res, rej) => {
        const t = setTimeout(() => {
          off();
          rej(new Error(`receiver ${dir}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${r.lines.slice(-10).join('\n')}`));
        }, timeoutMs);
        const on = (l: string) => {
          if (re.test(l)) {
            clearTimeout(t);
            off();
            res(l);
          }
        };
        const off = () => listeners.delete(on);
        listeners.add(on);
      });
    },
    async stop() {
      const p = r.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((res) => {
        p.once('exit', () => res());
        p.kill('SIGTERM');
      });
    },
    async restart() {
      await r.stop();
      start();
      await waitNew(/subscribed/);
    },
  };
  const listeners = new Set<(l: string) => void>();
  let mark = 0;
  const waitNew = (re: RegExp) =>
    new Promise<void>((res, rej) => {
      if (r.lines.slice(mark).some((l) => re.test(l))) return res();
      const on = (l: string) => {
        if (re.test(l)) {
          listeners.delete(on);
          r.proc.off('exit', onExit);
          res();
        }
      };
      const onExit = (code: number | null) => {
        listeners.delete(on);
        rej(new Error(`receiver ${dir} exited ${code} before subscribing:\n${r.lines.slice(mark).join('\n')}`));
      };
      r.proc.once('exit', onExit);
      listeners.add(on);
    });
  const start = () => {
    mark = r.lines.length;
    // $OPENGKH_RX_NODE_ARGS: extra node flags for the receiver (e.g. --cpu-prof when profiling the benchmark).
    const nodeArgs = (process.env.OPENGKH_RX_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const p = spawn(process.execPath, [...nodeArgs, bin, 'receiver', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    r.proc = p;
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) {
        r.lines.push(l);
        for (const f of [...listeners]) f(l);
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
  };
  start();
  await waitNew(/subscribed/);
  return r;
}
