/**
 * The gateway's Ed25519 signing key (node:crypto). Stored as PKCS#8 PEM with file mode 0600.
 * The fingerprint is SHA-256 of the raw 32-byte public key, hex, shown grouped for reading aloud on site.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GkhError } from '../errors.js';

export interface GatewayKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  publicRaw: Buffer;
}

/** Raw 32 bytes of an Ed25519 public key. */
export function rawPublicKey(pub: KeyObject): Buffer {
  const der = pub.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

/** SHA-256 of the raw public key, hex, in groups of 4 (e.g. `3f2a 91c0 …`). */
export function fingerprint(publicRaw: Buffer): string {
  return createHash('sha256').update(publicRaw).digest('hex').match(/.{4}/g)!.join(' ');
}

/** Creates a new key at `file` (0600, parent dirs 0700). Refuses to overwrite an existing file. */
export function generateKeyFile(file: string): GatewayKey {
  if (existsSync(file)) throw new GkhError('KEY_EXISTS', `key file ${file} already exists; refusing to overwrite / файл ключа уже существует, перезапись запрещена`, { file });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { privateKey, publicKey, publicRaw: rawPublicKey(publicKey) };
}

/** Loads a key file. Refuses a key readable by group or others. */
export function loadKeyFile(file: string): GatewayKey {
  let pem: string;
  try {
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0) throw new GkhError('KEY_INVALID', `key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file}`, { file });
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof GkhError) throw e;
    throw new GkhError('KEY_READ', `cannot read key ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file }, { cause: e });
  }
  try {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`key type ${privateKey.asymmetricKeyType}, expected ed25519`);
    const publicKey = createPublicKey(privateKey);
    return { privateKey, publicKey, publicRaw: rawPublicKey(publicKey) };
  } catch (e) {
    throw new GkhError('KEY_INVALID', `key ${file} is not an Ed25519 private key: ${(e as Error).message}`, { file }, { cause: e });
  }
}

/** Loads the key at `file`, creating it on first start. */
export function loadOrCreateKey(file: string): { key: GatewayKey; created: boolean } {
  if (existsSync(file)) return { key: loadKeyFile(file), created: false };
  return { key: generateKeyFile(file), created: true };
}
