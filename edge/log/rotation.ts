/**
 * Key rotation statements (pure). A `key.rotation` log entry carries a signed note
 *
 *   opengkh key rotation v1\n
 *   origin <origin>\n
 *   old <old vkey>\n
 *   new <new vkey>\n
 *   at <ISO-8601 UTC>\n
 *
 * signed by both the old and the new key (same key name = origin, different key IDs). Anyone who
 * trusts the old key can thereby learn the new one from the log, and vice versa.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { GkhError } from '../errors.js';
import { makeEntry, type KeyRotationBody, type LogEntry } from './entry.js';
import { originFor } from './checkpoint.js';
import { ed25519RawPublic, ed25519Signer, signNote, verifyNote, SIG_ED25519 } from './note.js';
import { formatVkey, parseVkey } from './vkey.js';

const HEADER = 'opengkh key rotation v1';

/** Builds the `key.rotation` entry for gateway `gatewayId`, signed by both keys. */
export function makeRotationEntry(gatewayId: string, oldKey: KeyObject, newKey: KeyObject, at: Date | number = new Date()): LogEntry<KeyRotationBody> {
  const origin = originFor(gatewayId);
  const oldVkey = formatVkey(origin, SIG_ED25519, ed25519RawPublic(createPublicKey(oldKey)));
  const newVkey = formatVkey(origin, SIG_ED25519, ed25519RawPublic(createPublicKey(newKey)));
  if (oldVkey === newVkey) throw new GkhError('KEY_INVALID', 'the new key is the old key');
  const iso = new Date(at).toISOString();
  const text = `${HEADER}\norigin ${origin}\nold ${oldVkey}\nnew ${newVkey}\nat ${iso}\n`;
  const statement = signNote(text, ed25519Signer(origin, oldKey), ed25519Signer(origin, newKey));
  return makeEntry('key.rotation', gatewayId, { oldKey: oldVkey, newKey: newVkey, statement }, at);
}

/**
 * Checks a rotation body: the statement names the same keys and is signed by both.
 * Returns the two vkeys; throws LOG_NOTE_* / KEY_INVALID otherwise.
 */
export function verifyRotation(body: KeyRotationBody): { origin: string; oldKey: string; newKey: string } {
  const oldV = parseVkey(body.oldKey);
  const newV = parseVkey(body.newKey);
  if (oldV.name !== newV.name) throw new GkhError('KEY_INVALID', `rotation between different names ${oldV.name} / ${newV.name}`);
  const r = verifyNote(body.statement, [oldV.verifier, newV.verifier]);
  const ids = new Set(r.verified.map((s) => s.keyId));
  if (!ids.has(oldV.keyId) || !ids.has(newV.keyId)) throw new GkhError('KEY_INVALID', 'rotation statement must be signed by both the old and the new key / заявление о смене ключа должно быть подписано обоими ключами');
  const want = `${HEADER}\norigin ${oldV.name}\nold ${body.oldKey}\nnew ${body.newKey}\n`;
  if (!r.text.startsWith(want) || !/^at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\n$/.test(r.text.slice(want.length))) {
    throw new GkhError('KEY_INVALID', 'rotation statement text does not match the entry');
  }
  return { origin: oldV.name, oldKey: body.oldKey, newKey: body.newKey };
}
