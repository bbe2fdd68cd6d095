/**
 * Signing-key rotation. The new key is created beside the old one (`<keyFile>.next`, mode 0600); one
 * SQLite transaction appends the `key.rotation` entry (a statement signed by both keys, see
 * edge/log/rotation.ts) and a checkpoint signed by the new key; then `<keyFile>.next` is renamed
 * over `<keyFile>` (atomic on one filesystem), so the old private key is gone and can sign nothing
 * more. Verifying older checkpoints needs only public keys, which the rotation entry carries.
 *
 * A power cut between the commit and the rename leaves `<keyFile>.next`: `resolvePendingRotation`
 * (call it on start, before loading the key) finishes the rename when the log holds the rotation,
 * and deletes the unused new key when it does not.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { GkhError } from '../errors.js';
import { ed25519RawPublic, formatVkey, makeRotationEntry, originFor, SIG_ED25519, type LogEntry, type KeyRotationBody } from '../log/index.js';
import type { Db } from '../store/db.js';
import type { EvidenceLog, StoredCheckpoint } from '../store/evidence.js';
import { generateKeyFile, loadKeyFile, type GatewayKey } from './keys.js';

/** Path of the key being introduced by a rotation in progress. */
export function nextKeyPath(keyFile: string): string {
  return `${keyFile}.next`;
}

/**
 * Rotates the gateway key: returns the new key, the index of the rotation entry and the checkpoint
 * the new key signed. `log` must have been opened with `oldKey`.
 */
export function rotateKey(db: Db, log: EvidenceLog, gatewayId: string, keyFile: string, oldKey: GatewayKey, at: Date | number = new Date()): { key: GatewayKey; index: number; checkpoint: StoredCheckpoint } {
  const next = nextKeyPath(keyFile);
  if (existsSync(next)) throw new GkhError('KEY_EXISTS', `a key rotation is pending (${next} exists); run resolvePendingRotation first / незавершённая смена ключа`, { file: next });
  const key = generateKeyFile(next);
  const entry = makeRotationEntry(gatewayId, oldKey.privateKey, key.privateKey, at);
  let result: { index: number; checkpoint: StoredCheckpoint };
  try {
    result = db.transaction(() => {
      const [index] = log.append([entry]);
      log.setSigningKey(key.privateKey);
      return { index: index!, checkpoint: log.checkpoint() };
    })();
  } catch (e) {
    log.setSigningKey(oldKey.privateKey);
    unlinkSync(next);
    throw e;
  }
  renameSync(next, keyFile);
  return { key, ...result };
}

/**
 * Finishes or abandons a rotation interrupted by a power cut (see the module comment). Returns what
 * it did. Reads the log's key.rotation entries directly (no EvidenceLog needed).
 */
export function resolvePendingRotation(db: Db, gatewayId: string, keyFile: string): 'none' | 'completed' | 'abandoned' {
  const next = nextKeyPath(keyFile);
  if (!existsSync(next)) return 'none';
  const key = loadKeyFile(next);
  const vkey = formatVkey(originFor(gatewayId), SIG_ED25519, ed25519RawPublic(createPublicKey(key.privateKey)));
  const rows = db.prepare(`SELECT entry FROM log_entries WHERE instr(entry, CAST('"type":"key.rotation"' AS BLOB)) > 0 ORDER BY idx DESC`).pluck().all() as Buffer[];
  const committed = rows.some((b) => {
    const e = JSON.parse(b.toString('utf8')) as LogEntry<KeyRotationBody>;
    return e.type === 'key.rotation' && e.body.newKey === vkey;
  });
  if (committed) {
    renameSync(next, keyFile);
    return 'completed';
  }
  unlinkSync(next);
  return 'abandoned';
}
