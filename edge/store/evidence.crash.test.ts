/**
 * The evidence log survives kill -9 (real child processes, SIGKILL at random moments): after each
 * kill the log opens (tree rebuilt, latest checkpoint re-verified), `verifyEvidenceLog` passes,
 * every checkpoint the child reported is stored with the root it reported, and readings and log
 * entries are equal in number (each reading committed with its entry, or neither).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAndKill as runKill } from './kill-child.js';
import { loadOrCreateKey } from '../keys/index.js';
import { openDb } from './db.js';
import { EvidenceLog, verifyEvidenceLog } from './evidence.js';
import { countReadings } from './readings.js';

const child = new URL('../../dist/edge/store/evidence-crash-child.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gkh-ev-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KILLS = 15;

function runAndKill(db: string, keyFile: string, delayMs: number): Promise<[number, string][]> {
  return runKill(child, [db, keyFile], delayMs).then((lines) =>
    lines.map((l) => {
      const [, size, root] = l.split(' ');
      return [Number(size), root!] as [number, string];
    }),
  );
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
