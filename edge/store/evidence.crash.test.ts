/**
 * The evidence log survives kill -9 (real child processes, SIGKILL at random moments): after each
 * kill the log opens (tree rebuilt, latest checkpoint re-verified), `verifyEvidenceLog` passes,
 * every checkpoint the child reported is stored with the root it reported, and readings and log
 * entries are equal in number (each reading committed with its entry, or neither).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateKey } from '../keys/index.js';
import { openDb } from './db.js';
import { EvidenceLog, verifyEvidenceLog } from './evidence.js';
import { countReadings } from './readings.js';

const child = new URL('../../dist/edge/store/evidence-crash-child.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gkh-ev-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KILLS = 15;

function runAndKill(db: string, keyFile: string, delayMs: number): Promise<[number, string][]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, db, keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: [number, string][] = [];
    let buf = '';
    let armed = false;
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const [, size, root] = l.split(' ');
        committed.push([Number(size), root!]);
      }
      if (!armed && committed.length > 0) {
        armed = true;
        setTimeout(() => p.kill('SIGKILL'), delayMs);
      }
    });
    p.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve(committed);
    });
  });
}

describe('evidence log survives kill -9', () => {
  it(`opens, verifies and keeps every reported checkpoint over ${KILLS} kills`, { timeout: 240_000 }, async () => {
    const file = join(dir, 'gateway.db');
    const keyFile = join(dir, 'keys/gateway.key');
    const { key } = loadOrCreateKey(keyFile);
    const reported = new Map<number, string>();
    for (let k = 0; k < KILLS; k++) {
      for (const [size, root] of await runAndKill(file, keyFile, Math.floor(Math.random() * 60))) reported.set(size, root);
      const db = openDb(file);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const log = EvidenceLog.open(db, { gatewayId: 'crash-gw', privateKey: key.privateKey });
        expect(countReadings(db)).toBe(log.size);
        const rep = verifyEvidenceLog(db, [log.vkey]);
        expect(rep.ok, JSON.stringify(rep.firstBad)).toBe(true);
        for (const [size, root] of reported) expect(log.checkpointAt(size)?.root.toString('hex'), `checkpoint ${size}`).toBe(root);
      } finally {
        db.close();
      }
    }
    expect(reported.size).toBeGreaterThan(KILLS);
  });
});
