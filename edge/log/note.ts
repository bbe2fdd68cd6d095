/**
 * C2SP signed note (c2sp.org/signed-note) with Ed25519 signatures (signature type 0x01):
 *
 *   <text, ending in \n>
 *   \n
 *   — <key name> base64(key ID (4 bytes, big-endian) || signature)\n   (one or more)
 *
 * key ID = SHA-256(key name || 0x0A || signature type || public key)[:4].
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { GkhError } from '../errors.js';

/** Signature type byte of plain Ed25519 note signatures (signed-note §Signature types). */
export const SIG_ED25519 = 0x01;
/** Signature type byte of timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature). */
export const SIG_COSIGNATURE_V1 = 0x04;

/** Most signature lines we read from one note (the spec asks verifiers to accept at least 16). */
export const MAX_SIGNATURES = 100;

const EM_DASH_SPACE = '\u2014 ';

/** Something that signs note text under a key name and key ID. */
export interface NoteSigner {
  name: string;
  /** uint32 key ID. */
  keyId: number;
  /** Signature bytes (without the key ID) over `text`, the full note text. */
  sign(text: Buffer): Buffer;
}

/** Something that checks signatures of one (name, key ID). */
export interface NoteVerifier {
  name: string;
  keyId: number;
  /** True when `sig` (without key ID) is valid over `text`, the full note text. */
  verify(text: Buffer, sig: Buffer): boolean;
}

/** One parsed signature line. */
export interface NoteSignature {
  name: string;
  keyId: number;
  /** Signature bytes after the 4-byte key ID. */
  sig: Buffer;
  /** The line as it appeared, with its newline. */
  line: string;
}

/** signed-note: key names are non-empty, without Unicode spaces or '+'. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);
}

/** key ID = SHA-256(name || 0x0A || type || public key)[:4] as uint32 (big-endian). */
export function keyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, type])).update(publicKey).digest();
  return h.readUInt32BE(0);
}

/** 8 lowercase hex digits of a key ID. */
export function keyIdHex(id: number): string {
  return id.toString(16).padStart(8, '0');
}

/** Ed25519 public KeyObject from the raw 32 bytes. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new GkhError('KEY_INVALID', `Ed25519 public key must be 32 bytes, got ${raw.length}`, { expected: 32, got: raw.length });
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** Ed25519 private KeyObject from a 32-byte RFC 8032 seed. */
export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new GkhError('KEY_INVALID', `Ed25519 seed must be 32 bytes, got ${seed.length}`, { expected: 32, got: seed.length });
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Raw 32 bytes of an Ed25519 public KeyObject. */
export function ed25519RawPublic(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new GkhError('KEY_INVALID', 'not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url');
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new GkhError('LOG_NOTE', `key name "${name}" is empty or has a space or '+'`, { name });
}

/** A signer for plain Ed25519 note signatures (type 0x01). */
export function ed25519Signer(name: string, privateKey: KeyObject): NoteSigner {
  checkName(name);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new GkhError('KEY_INVALID', `key type ${privateKey.asymmetricKeyType}, expected ed25519`);
  const pub = ed25519RawPublic(createPublicKey(privateKey));
  return { name, keyId: keyId(name, SIG_ED25519, pub), sign: (text) => edSign(null, text, privateKey) };
}

/** A verifier for plain Ed25519 note signatures (type 0x01). */
export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  checkName(name);
  const key = ed25519PublicKey(publicKey);
  return {
    name,
    keyId: keyId(name, SIG_ED25519, publicKey),
    verify: (text, sig) => sig.length === 64 && edVerify(null, text, key, sig),
  };
}

/** Checks signed-note text rules: ends with \n, valid UTF-8 (a JS string always is, bar lone surrogates), no controls but \n. */
function checkText(text: string, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) throw new GkhError('LOG_NOTE', `${what}: control character 0x${c.toString(16).padStart(2, '0')} at offset ${i}`, { offset: i, byte: c });
  }
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) throw new GkhError('LOG_NOTE', `${what}: not valid UTF-8 (lone surrogate)`);
}

/** One signature line for `text` by `signer`, with its newline. */
export function signatureLine(text: string, signer: NoteSigner): string {
  const sig = signer.sign(Buffer.from(text, 'utf8'));
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId >>> 0);
  return `${EM_DASH_SPACE}${signer.name} ${Buffer.concat([id, sig]).toString('base64')}\n`;
}

/** Signs `text` (must end with \n) with each signer: `text + "\n" + signature lines`. */
export function signNote(text: string, ...signers: NoteSigner[]): string {
  if (signers.length === 0) throw new GkhError('LOG_NOTE', 'a signed note needs at least one signer');
  if (!text.endsWith('\n')) throw new GkhError('LOG_NOTE', 'note text must end with a newline');
  checkText(text, 'note text');
  return text + '\n' + signers.map((s) => signatureLine(text, s)).join('');
}

/** Appends signature lines (each ending in \n, e.g. from `cosign`) to a signed note. */
export function addSignatures(note: string, ...lines: string[]): string {
  parseNote(note);
  for (const l of lines) if (!l.startsWith(EM_DASH_SPACE) || !l.endsWith('\n') || l.indexOf('\n') !== l.length - 1) throw new GkhError('LOG_NOTE', `not a signature line: ${JSON.stringify(l.slice(0, 80))}`);
  const out = note + lines.join('');
  parseNote(out);
  return out;
}

/** Splits a note into text and signature lines; checks the format, not the signatures. */
export function parseNote(note: string | Uint8Array): { text: string; signatures: NoteSignature[] } {
  let s: string;
  if (typeof note === 'string') s = note;
  else {
    try {
      s = new TextDecoder('utf-8', { fatal: true }).decode(note);
    } catch {
      throw new GkhError('LOG_NOTE', 'note is not valid UTF-8');
    }
  }
  checkText(s, 'note');
  // The text is separated from the signatures by the last empty line.
  const sep = s.lastIndexOf('\n\n');
  if (sep < 0) throw new GkhError('LOG_NOTE', 'note has no blank line before its signatures');
  const text = s.slice(0, sep + 1);
  const block = s.slice(sep + 2);
  if (!block.endsWith('\n')) throw new GkhError('LOG_NOTE', 'signature block must end with a newline', { offset: s.length });
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new GkhError('LOG_NOTE', `note has ${lines.length} signatures, more than ${MAX_SIGNATURES}`, { got: lines.length, max: MAX_SIGNATURES });
  let offset = sep + 2;
  const signatures = lines.map((line) => {
    const at = offset;
    offset += line.length + 1;
    if (!line.startsWith(EM_DASH_SPACE)) throw new GkhError('LOG_NOTE', `signature line at offset ${at} does not start with "— "`, { offset: at });
    const rest = line.slice(EM_DASH_SPACE.length);
    const sp = rest.indexOf(' ');
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const b64 = sp < 0 ? '' : rest.slice(sp + 1);
    if (!isValidKeyName(name)) throw new GkhError('LOG_NOTE', `signature line at offset ${at}: bad key name "${name}"`, { offset: at });
    const raw = Buffer.from(b64, 'base64');
    if (raw.length < 5 || raw.toString('base64') !== b64) throw new GkhError('LOG_NOTE', `signature line at offset ${at}: signature is not base64 of at least 5 bytes`, { offset: at });
    return { name, keyId: raw.readUInt32BE(0), sig: raw.subarray(4), line: line + '\n' };
  });
  return { text, signatures };
}

/**
 * Opens a signed note (signed-note §Signatures): signatures from unknown (name, key ID) are
 * ignored; a known key whose signature does not verify rejects the whole note
 * (LOG_NOTE_SIGNATURE); no verified signature from a known key rejects it too (LOG_NOTE_UNVERIFIED).
 */
export function verifyNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): { text: string; verified: NoteSignature[]; unknown: NoteSignature[] } {
  const { text, signatures } = parseNote(note);
  const msg = Buffer.from(text, 'utf8');
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  for (const sig of signatures) {
    const v = verifiers.find((x) => x.name === sig.name && x.keyId >>> 0 === sig.keyId);
    if (!v) {
      unknown.push(sig);
      continue;
    }
    if (!v.verify(msg, sig.sig)) {
      throw new GkhError('LOG_NOTE_SIGNATURE', `signature by ${sig.name}+${keyIdHex(sig.keyId)} does not verify / подпись не проходит проверку`, { name: sig.name, keyId: keyIdHex(sig.keyId) });
    }
    verified.push(sig);
  }
  if (verified.length === 0) {
    throw new GkhError('LOG_NOTE_UNVERIFIED', `no signature from a known key (have ${signatures.map((s) => `${s.name}+${keyIdHex(s.keyId)}`).join(', ')}; know ${verifiers.map((v) => `${v.name}+${keyIdHex(v.keyId)}`).join(', ')})`, {
      found: signatures.map((s) => `${s.name}+${keyIdHex(s.keyId)}`),
      known: verifiers.map((v) => `${v.name}+${keyIdHex(v.keyId)}`),
    });
  }
  return { text, verified, unknown };
}
