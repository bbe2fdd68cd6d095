/**
 * Verifier keys in the signed-note text form: `<name>+<key ID, 8 hex>+<base64(type || public key)>`
 * (e.g. `PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW`), the form Go's
 * golang.org/x/mod/sumdb/note and other note tooling read. Types: 0x01 Ed25519 note signatures,
 * 0x04 Ed25519 v1 cosignatures.
 */
import { GkhError } from '../errors.js';
import { cosignatureVerifier } from './cosignature.js';
import { ed25519Verifier, isValidKeyName, keyId, keyIdHex, SIG_COSIGNATURE_V1, SIG_ED25519, type NoteVerifier } from './note.js';

export interface Vkey {
  name: string;
  keyId: number;
  /** Signature type byte (0x01 or 0x04). */
  type: number;
  /** Raw public key (32 bytes for Ed25519). */
  publicKey: Buffer;
  /** Verifier for notes (type 0x01) or cosignatures (0x04). */
  verifier: NoteVerifier;
}

/** The vkey string of (name, type, public key). */
export function formatVkey(name: string, type: number, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new GkhError('LOG_VKEY', `key name "${name}" is empty or has a space or '+'`, { name });
  return `${name}+${keyIdHex(keyId(name, type, publicKey))}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

/** Parses a vkey; checks the key ID against the name and key, and the type. */
export function parseVkey(s: string): Vkey {
  const a = s.indexOf('+');
  const b = a < 0 ? -1 : s.indexOf('+', a + 1);
  if (a <= 0 || b < 0) throw new GkhError('LOG_VKEY', `verifier key "${s}" is not <name>+<key id>+<key>`, { found: s });
  const name = s.slice(0, a);
  const idHex = s.slice(a + 1, b);
  const b64 = s.slice(b + 1);
  if (!isValidKeyName(name)) throw new GkhError('LOG_VKEY', `verifier key name "${name}" is invalid`, { name });
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new GkhError('LOG_VKEY', `verifier key id "${idHex}" is not 8 lowercase hex digits`, { found: idHex });
  const raw = Buffer.from(b64, 'base64');
  if (raw.length < 2 || raw.toString('base64') !== b64) throw new GkhError('LOG_VKEY', 'verifier key material is not base64', { found: b64 });
  const type = raw[0]!;
  const publicKey = raw.subarray(1);
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) throw new GkhError('LOG_VKEY', `verifier key type 0x${type.toString(16).padStart(2, '0')} is not supported (0x01 Ed25519, 0x04 cosignature/v1)`, { type });
  if (publicKey.length !== 32) throw new GkhError('LOG_VKEY', `Ed25519 verifier key must be 32 bytes, got ${publicKey.length}`, { expected: 32, got: publicKey.length });
  const id = keyId(name, type, publicKey);
  if (keyIdHex(id) !== idHex) throw new GkhError('LOG_VKEY', `verifier key id ${idHex} does not match its name and key (calculated ${keyIdHex(id)})`, { expected: idHex, calculated: keyIdHex(id) });
  const verifier = type === SIG_ED25519 ? ed25519Verifier(name, publicKey) : cosignatureVerifier(name, publicKey);
  return { name, keyId: id, type, publicKey: Buffer.from(publicKey), verifier };
}
