/**
 * C2SP tlog-cosignature v1, Ed25519 (c2sp.org/tlog-cosignature): a note signature line
 *
 *   — <cosigner name> base64(key ID || u64 timestamp (big-endian) || Ed25519 signature (64 bytes))
 *
 * with key ID = SHA-256(<name> || "\n" || 0x04 || 32-byte public key)[:4], over the message
 *
 *   "cosignature/v1\n" || "time " || <timestamp, ASCII decimal, no leading zeroes> || "\n" || <whole note body>
 *
 * "The signed message MUST be two newline (U+000A) terminated lines (one header line and one
 * timestamp line) followed by the whole note body of the cosigned checkpoint (including the final
 * newline, but not including any signature lines)."
 */
import { createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { GkhError } from '../errors.js';
import { ed25519PublicKey, ed25519RawPublic, isValidKeyName, keyId, keyIdHex, parseNote, SIG_COSIGNATURE_V1, type NoteVerifier } from './note.js';

/** Largest timestamp the spec allows (2^63 - 1); we also stay within safe JS integers. */
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/** The bytes a v1 cosignature signs for checkpoint body `text` at unix time `time` (seconds). */
export function cosignatureMessage(text: string, time: number): Buffer {
  if (!Number.isSafeInteger(time) || time < 0 || time > MAX_TIME) throw new GkhError('LOG_COSIGNATURE', `cosignature time ${time} is not a non-negative integer of seconds`, { time });
  if (!text.endsWith('\n')) throw new GkhError('LOG_COSIGNATURE', 'checkpoint text must end with a newline');
  return Buffer.from(`cosignature/v1\ntime ${time}\n${text}`, 'utf8');
}

/** A cosigner: a key name (e.g. `uk.example.ru/receiver`) and its Ed25519 private key. */
export interface Cosigner {
  name: string;
  privateKey: KeyObject;
}

/** The cosigner's key ID (type 0x04). */
export function cosignerKeyId(name: string, publicKey: Uint8Array): number {
  return keyId(name, SIG_COSIGNATURE_V1, publicKey);
}

function bodyOf(noteOrText: string): string {
  // Accept a signed note (the usual case) or the bare checkpoint text.
  return noteOrText.includes('\n\n') ? parseNote(noteOrText).text : noteOrText;
}

/**
 * Cosigns a checkpoint: returns the signature line (ending in \n) to append to the note, e.g.
 * `addSignatures(note, cosign(note, me, now))`. `time` is unix seconds (default: now).
 */
export function cosign(noteOrText: string, cosigner: Cosigner, time = Math.floor(Date.now() / 1000)): string {
  if (!isValidKeyName(cosigner.name)) throw new GkhError('LOG_COSIGNATURE', `cosigner name "${cosigner.name}" is empty or has a space or '+'`);
  const text = bodyOf(noteOrText);
  const pub = ed25519RawPublic(createPublicKey(cosigner.privateKey));
  const sig = edSign(null, cosignatureMessage(text, time), cosigner.privateKey);
  const head = Buffer.alloc(12);
  head.writeUInt32BE(cosignerKeyId(cosigner.name, pub) >>> 0, 0);
  head.writeBigUInt64BE(BigInt(time), 4);
  return `\u2014 ${cosigner.name} ${Buffer.concat([head, sig]).toString('base64')}\n`;
}

/**
 * A NoteVerifier for v1 cosignatures of (name, public key): `verify(text, sig)` takes the 72 bytes
 * after the key ID (timestamp + signature). Usable with `verifyNote`.
 */
export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const key = ed25519PublicKey(publicKey);
  return {
    name,
    keyId: cosignerKeyId(name, publicKey),
    verify(text, sig) {
      if (sig.length !== 72) return false;
      const t = sig.readBigUInt64BE(0);
      if (t > BigInt(MAX_TIME)) return false;
      return edVerify(null, cosignatureMessage(text.toString('utf8'), Number(t)), key, sig.subarray(8));
    },
  };
}

/**
 * Finds the cosignature of `verifier` (from `cosignatureVerifier` or `parseVkey` of a type-0x04
 * vkey) in a signed checkpoint note and checks it. Returns the cosignature's time (unix seconds).
 * Throws LOG_COSIGNATURE when absent or invalid.
 */
export function verifyCosignature(note: string, verifier: NoteVerifier): { time: number } {
  const { text, signatures } = parseNote(note);
  const mine = signatures.filter((s) => s.name === verifier.name && s.keyId === verifier.keyId >>> 0);
  if (mine.length === 0) throw new GkhError('LOG_COSIGNATURE', `no cosignature by ${verifier.name}+${keyIdHex(verifier.keyId)} in the note / нет косигнатуры получателя`, { name: verifier.name, keyId: keyIdHex(verifier.keyId) });
  for (const s of mine) {
    if (!verifier.verify(Buffer.from(text, 'utf8'), s.sig)) {
      throw new GkhError('LOG_COSIGNATURE', `cosignature by ${verifier.name}+${keyIdHex(verifier.keyId)} does not verify / косигнатура не проходит проверку`, { name: verifier.name, keyId: keyIdHex(verifier.keyId) });
    }
  }
  return { time: Number(mine[0]!.sig.readBigUInt64BE(0)) };
}

/** Checks one cosignature line (as returned by `cosign`) against checkpoint text; returns its time. */
export function verifyCosignatureLine(noteOrText: string, line: string, verifier: NoteVerifier): { time: number } {
  const text = bodyOf(noteOrText);
  return verifyCosignature(text + '\n' + (line.endsWith('\n') ? line : line + '\n'), verifier);
}
