/**
 * TLS and credentials: mosquitto with a TLS listener (certificates made by openssl for the test) and
 * a password file; the worker and the real receiver connect with CA + username/password file.
 * A wrong password gets nowhere and moves no cursor.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GkhError } from '../errors.js';
import { makeEntry } from '../log/entry.js';
import { getCursor } from '../store/cursors.js';
import { openDb } from '../store/db.js';
import { EvidenceLog } from '../store/evidence.js';
import { startBroker, type Broker } from './broker.js';
import { hourlyBody } from './fixtures.js';
import { spawnReceiver, type ReceiverProc } from './harness.js';
import { evidenceSyncLog } from './log-source.js';
import { SyncWorker } from './worker.js';

const root = mkdtempSync(join(tmpdir(), 'gkh-tls-'));
let broker: Broker | undefined;
let rx: ReceiverProc | undefined;
const workers: SyncWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await rx?.stop();
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

function ssl(...args: string[]) {
  execFileSync('openssl', args, { cwd: root, stdio: 'ignore' });
}

describe('sync over TLS with credentials', () => {
  it('delivers with CA + password file, refuses a wrong password', { timeout: 120_000 }, async () => {
    // A CA and a server certificate for 127.0.0.1.
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=opengkh test CA');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(root, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    execFileSync('mosquitto_passwd', ['-c', '-b', join(root, 'passwd'), 'gateway', 'gw-secret']);
    execFileSync('mosquitto_passwd', ['-b', join(root, 'passwd'), 'receiver', 'rx-secret']);
    writeFileSync(join(root, 'gw.password'), 'gw-secret\n');
    writeFileSync(join(root, 'rx.password'), 'rx-secret\n');
    broker = await startBroker(join(root, 'broker'), { tls: { ca: join(root, 'ca.pem'), cert: join(root, 'server.pem'), key: join(root, 'server.key') }, passwordFile: join(root, 'passwd') });
    expect(broker.url).toMatch(/^mqtts:\/\//);

    const db = openDb(join(root, 'gateway.db'));
    const gatewayId = 'gw-tls';
    const log = EvidenceLog.open(db, { gatewayId, privateKey: generateKeyPairSync('ed25519').privateKey });
    for (let h = 0; h < 10; h++) {
      db.transaction(() => {
        log.append(Array.from({ length: 8 }, (_, m) => makeEntry('hourly', gatewayId, hourlyBody(m, h))));
        log.checkpoint();
      })();
    }
    const dir = join(root, 'rx');
    execFileSync('mkdir', ['-p', dir]);
    const cfg = join(dir, 'receiver.json');
    writeFileSync(cfg, JSON.stringify({ receiverId: 'uk', dataDir: 'data', broker: { url: broker.url, username: 'receiver', passwordFile: '../rx.password', tls: { ca: '../ca.pem' } }, gateways: [{ id: gatewayId, vkey: log.vkey }] }));
    rx = await spawnReceiver(dir, cfg);

    const slog = evidenceSyncLog(log, db, gatewayId);
    const mk = (id: string, passwordFile: string) => {
      const w = new SyncWorker({ gatewayId, destination: { id, role: 'УК', url: broker!.url, topicPrefix: 'opengkh', protocolVersion: 5, username: 'gateway', passwordFile, tls: { ca: join(root, 'ca.pem'), rejectUnauthorized: true }, batch: { maxEntries: 32, maxBytes: 262144, window: 2 } }, db, log: slog, pollMs: 100 });
      workers.push(w);
      return w;
    };
    const bad = mk('uk-bad', join(root, 'rx.password'));
    const badProblems: GkhError[] = [];
    bad.on('problem', (e: GkhError) => badProblems.push(e));
    bad.start();
    const good = mk('uk', join(root, 'gw.password'));
    good.on('problem', () => undefined);
    good.start();
    const t0 = Date.now();
    while (getCursor(db, 'uk').ackedSize < log.size) {
      if (Date.now() - t0 > 60_000) throw new Error(`cursor at ${getCursor(db, 'uk').ackedSize}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rx.lines.some((l) => /stored gw-tls \[0, /.test(l))).toBe(true);
    expect(badProblems.some((p) => p.code === 'SYNC_BROKER' && /Not authorized|Bad User Name or Password|not authori/i.test(p.message))).toBe(true);
    expect(getCursor(db, 'uk-bad').ackedSize).toBe(0);
    db.close();
  });
});
