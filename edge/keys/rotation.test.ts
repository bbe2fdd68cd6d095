import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { ed25519Signer, makeEntry, makeRotationEntry, originFor, parseNote, parseVkey, signNote, verifyNote, verifyRotation, type KeyRotationBody, type LogEntry } from '../log/index.js';
import { openDb } from '../store/db.js';
import { EvidenceLog, verifyEvidenceLog } from '../store/evidence.js';
import { generateKeyFile, loadKeyFile, loadOrCreateKey } from './keys.js';
import { nextKeyPath, resolvePendingRotation, rotateKey } from './rotation.js';

const dir = mkdtempSync(join(tmpdir(), 'gkh-rot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('key rotation', () => {
  it('key created on first start with mode 0600; rotation is an entry signed by both keys; old checkpoints still verify', () => {
    const keyFile = join(dir, 'a', 'keys', 'gateway.key');
    const { key: k1, created } = loadOrCreateKey(keyFile);
    expect(created).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const file = join(dir, 'a', 'gateway.db');
    const db = openDb(file);
    const log = EvidenceLog.open(db, { gatewayId: 'gw-a', privateKey: k1.privateKey });
    log.append([makeEntry('gateway.boot', 'gw-a', { version: '0.1.0' }, 0)]);
    const cp1 = log.checkpoint();
    const oldVkey = log.vkey;
    const r = rotateKey(db, log, 'gw-a', keyFile, k1, 1000);
    expect(existsSync(nextKeyPath(keyFile))).toBe(false);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(loadKeyFile(keyFile).publicRaw).toEqual(r.key.publicRaw);
    expect(log.vkey).not.toBe(oldVkey);
    const entry = JSON.parse(log.entriesRange(r.index, r.index + 1)[0]!.toString()) as LogEntry<KeyRotationBody>;
    expect(entry.type).toBe('key.rotation');
    expect(verifyRotation(entry.body)).toMatchObject({ oldKey: oldVkey, newKey: log.vkey });
    const both = verifyNote(entry.body.statement, [parseVkey(oldVkey).verifier, parseVkey(log.vkey).verifier]);
    expect(both.verified.length).toBe(2);
    expect(verifyNote(r.checkpoint.note, [parseVkey(log.vkey).verifier]).verified.length).toBe(1);
    expect(() => verifyNote(r.checkpoint.note, [parseVkey(oldVkey).verifier])).toThrow();
    expect(verifyNote(cp1.note, [parseVkey(oldVkey).verifier]).verified.length).toBe(1);
    db.close();
    // Reopen with only the new key: the rotation entry vouches for the old one.
    const db2 = openDb(file);
    const log2 = EvidenceLog.open(db2, { gatewayId: 'gw-a', privateKey: loadKeyFile(keyFile).privateKey });
    expect(log2.trustedVkeys()).toContain(oldVkey);
    // Verification from only the old key (e.g. a party that pinned it) follows the rotation.
    expect(verifyEvidenceLog(db2, [oldVkey])).toMatchObject({ ok: true, checkpoints: 2 });
    db2.close();
  });

  it('a rotation statement not signed by both keys, or naming other keys, is refused', () => {
    const k1 = generateKeyFile(join(dir, 'b1.key'));
    const k2 = generateKeyFile(join(dir, 'b2.key'));
    const k3 = generateKeyFile(join(dir, 'b3.key'));
    const good = makeRotationEntry('gw-b', k1.privateKey, k2.privateKey, 0);
    expect(verifyRotation(good.body).newKey).toBe(good.body.newKey);
    const other = makeRotationEntry('gw-b', k1.privateKey, k3.privateKey, 0);
    const code = (b: KeyRotationBody) => {
      try {
        verifyRotation(b);
        return 'accepted';
      } catch (e) {
        return isGkhError(e) ? e.code : String(e);
      }
    };
    // Body names k3 but the statement is about k2.
    expect(code({ ...good.body, newKey: other.body.newKey })).not.toBe('accepted');
    // Statement signed by the new key only.
    const text = parseNote(good.body.statement).text;
    const onlyNew = signNote(text, ed25519Signer(originFor('gw-b'), k2.privateKey));
    expect(code({ ...good.body, statement: onlyNew })).toBe('KEY_INVALID');
    // One byte of the statement changed.
    expect(code({ ...good.body, statement: good.body.statement.replace('at 1970', 'at 1971') })).toBe('LOG_NOTE_SIGNATURE');
  });

  it('a rotation interrupted before the rename is completed on start; one that never committed is abandoned', () => {
    const keyFile = join(dir, 'c', 'gateway.key');
    const k1 = loadOrCreateKey(keyFile).key;
    const db = openDb(join(dir, 'c', 'gateway.db'));
    const log = EvidenceLog.open(db, { gatewayId: 'gw-c', privateKey: k1.privateKey });
    // Never committed: .next exists, no entry.
    generateKeyFile(nextKeyPath(keyFile));
    expect(resolvePendingRotation(db, 'gw-c', keyFile)).toBe('abandoned');
    expect(existsSync(nextKeyPath(keyFile))).toBe(false);
    expect(loadKeyFile(keyFile).publicRaw).toEqual(k1.publicRaw);
    // Committed, then "power cut" before the rename: simulate by rotating and moving the key back.
    const r = rotateKey(db, log, 'gw-c', keyFile, k1);
    renameSync(keyFile, nextKeyPath(keyFile));
    writeFileSync(keyFile, k1.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    expect(resolvePendingRotation(db, 'gw-c', keyFile)).toBe('completed');
    expect(loadKeyFile(keyFile).publicRaw).toEqual(r.key.publicRaw);
    db.close();
  });
});
