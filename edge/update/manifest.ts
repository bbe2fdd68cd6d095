/**
 * Release manifest: what a bundle contains, with the SHA-256 of every file, signed by the operator's
 * Ed25519 key (node:crypto). The signature covers the exact bytes of `manifest.json`; the manifest
 * covers the payload archive (its SHA-256 and size) and every file in it, so nothing in a bundle can
 * change without breaking the signature.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { posix } from 'node:path';
import { GkhError } from '../errors.js';
import { fingerprint, rawPublicKey } from '../keys/index.js';

/** The manifest format this updater reads. */
export const MANIFEST_FORMAT = 'opengkh-release/1';

export interface ManifestFile {
  /** Relative POSIX path inside the release directory. */
  path: string;
  /** SHA-256 of the content, hex (files only). */
  sha256?: string;
  /** Bytes (files only). */
  size?: number;
  /** Permission bits: 0o755 for executables, 0o644 otherwise (files only). */
  mode?: number;
  /** Target of a relative symlink (symlinks only; must stay inside the release). */
  link?: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  /** Semantic version `MAJOR.MINOR.PATCH[-pre]`; also the release directory name. */
  version: string;
  /** Target platform as Node names it (`process.platform`, `process.arch`). */
  platform: { os: string; cpu: string };
  /** ISO-8601 UTC creation time. */
  createdAt: string;
  /** The gzip-compressed tar of the release tree. */
  payload: { file: 'payload.tar.gz'; sha256: string; size: number };
  /** Every file and symlink in the payload, sorted by path. Directories are implied. */
  files: ManifestFile[];
}

/** `manifest.sig`: which key signed, and the Ed25519 signature over manifest.json's bytes. */
export interface ManifestSignature {
  alg: 'ed25519';
  /** SHA-256 of the raw 32-byte public key, hex without spaces. */
  key: string;
  /** Base64 signature (64 bytes). */
  sig: string;
}

const VERSION_RE = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:-([0-9A-Za-z.-]{1,64}))?$/;

/** True for `MAJOR.MINOR.PATCH[-pre]` (no build metadata; the version names a directory). */
export function isVersion(v: string): boolean {
  return VERSION_RE.test(v);
}

/**
 * Compares two versions by SemVer 2.0.0 §11 precedence: numeric major/minor/patch, a pre-release
 * sorts below its release, pre-release identifiers compare numerically or in ASCII order.
 * Returns <0, 0 or >0.
 */
export function compareVersions(a: string, b: string): number {
  const ma = VERSION_RE.exec(a);
  const mb = VERSION_RE.exec(b);
  if (!ma || !mb) throw new GkhError('UPDATE_MANIFEST', `not a version: "${!ma ? a : b}"`, { a, b });
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return d;
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const xa = pa.split('.');
  const xb = pb.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const s = xa[i];
    const t = xb[i];
    if (s === undefined) return -1;
    if (t === undefined) return 1;
    const ns = /^\d+$/.test(s);
    const nt = /^\d+$/.test(t);
    if (ns && nt && Number(s) !== Number(t)) return Number(s) - Number(t);
    if (ns !== nt) return ns ? -1 : 1;
    if (s !== t) return s < t ? -1 : 1;
  }
  return 0;
}

/** Throws unless `p` is a normalized relative path that stays inside the release directory. */
export function checkRelPath(p: string, what = 'path'): void {
  const bad =
    p === '' ||
    p.includes('\0') ||
    p.includes('\\') ||
    p.startsWith('/') ||
    posix.normalize(p) !== p ||
    p.split('/').some((s) => s === '..' || s === '.' || s === '');
  if (bad)
    throw new GkhError(
      'UPDATE_MANIFEST',
      `manifest ${what} "${p}" is not a plain relative path inside the release`,
      { path: p },
    );
}

/** Checks the manifest's shape and every path and link; returns it typed. */
export function parseManifest(bytes: Buffer): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new GkhError(
      'UPDATE_MANIFEST',
      `manifest.json is not JSON: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
  const o = m as Partial<Manifest>;
  if (typeof o !== 'object' || o === null)
    throw new GkhError('UPDATE_MANIFEST', 'manifest.json is not an object', {});
  if (o.format !== MANIFEST_FORMAT)
    throw new GkhError(
      'UPDATE_MANIFEST',
      `manifest format ${JSON.stringify(o.format)}, expected ${MANIFEST_FORMAT}`,
      { expected: MANIFEST_FORMAT, found: o.format },
    );
  if (typeof o.version !== 'string' || !isVersion(o.version))
    throw new GkhError(
      'UPDATE_MANIFEST',
      `manifest version ${JSON.stringify(o.version)} is not MAJOR.MINOR.PATCH[-pre]`,
      { found: o.version },
    );
  if (!o.platform || typeof o.platform.os !== 'string' || typeof o.platform.cpu !== 'string')
    throw new GkhError('UPDATE_MANIFEST', 'manifest platform {os, cpu} missing', {});
  if (
    !o.payload ||
    typeof o.payload.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(o.payload.sha256) ||
    !Number.isSafeInteger(o.payload.size)
  )
    throw new GkhError('UPDATE_MANIFEST', 'manifest payload {sha256, size} missing or malformed', {});
  if (!Array.isArray(o.files) || o.files.length === 0)
    throw new GkhError('UPDATE_MANIFEST', 'manifest lists no files', {});
  const seen = new Set<string>();
  const links = new Set<string>();
  for (const f of o.files) {
    checkRelPath(f.path);
    if (seen.has(f.path))
      throw new GkhError('UPDATE_MANIFEST', `manifest lists "${f.path}" twice`, { path: f.path });
    seen.add(f.path);
    if (f.link !== undefined) {
      if (f.link.startsWith('/') || f.link.includes('\0'))
        throw new GkhError('UPDATE_MANIFEST', `symlink "${f.path}" → "${f.link}" is not relative`, {
          path: f.path,
          link: f.link,
        });
      const resolved = posix.normalize(posix.join(posix.dirname(f.path), f.link));
      if (resolved === '..' || resolved.startsWith('../'))
        throw new GkhError(
          'UPDATE_MANIFEST',
          `symlink "${f.path}" → "${f.link}" points outside the release`,
          { path: f.path, link: f.link },
        );
      links.add(f.path);
    } else if (
      typeof f.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(f.sha256) ||
      !Number.isSafeInteger(f.size) ||
      (f.mode !== 0o644 && f.mode !== 0o755)
    ) {
      throw new GkhError(
        'UPDATE_MANIFEST',
        `manifest entry "${f.path}" needs sha256, size and mode 644/755`,
        { path: f.path },
      );
    }
  }
  // No entry may live below a symlink: writing through a link could leave the release directory.
  for (const f of o.files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const anc = parts.slice(0, i).join('/');
      if (links.has(anc))
        throw new GkhError('UPDATE_MANIFEST', `manifest entry "${f.path}" lies below symlink "${anc}"`, {
          path: f.path,
          link: anc,
        });
      if (seen.has(anc))
        throw new GkhError('UPDATE_MANIFEST', `manifest entry "${f.path}" lies below file "${anc}"`, {
          path: f.path,
          file: anc,
        });
    }
  }
  return o as Manifest;
}

/** Hex SHA-256 of bytes. */
export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Signs manifest bytes with an Ed25519 private key. */
export function signManifest(bytes: Buffer, privateKey: KeyObject): ManifestSignature {
  const pub = rawPublicKey(createPublicKey(privateKey));
  return {
    alg: 'ed25519',
    key: fingerprint(pub).replace(/ /g, ''),
    sig: sign(null, bytes, privateKey).toString('base64'),
  };
}

/**
 * Loads a trusted operator public key from text: PEM (SPKI, `-----BEGIN PUBLIC KEY-----`) or the
 * base64 raw 32-byte key that `opengkh keygen` prints.
 */
export function parsePublicKey(text: string, source = 'key'): KeyObject {
  const t = text.trim();
  try {
    if (t.startsWith('-----BEGIN')) {
      const k = createPublicKey(t);
      if (k.asymmetricKeyType !== 'ed25519') throw new Error(`key type ${k.asymmetricKeyType}`);
      return k;
    }
    const raw = Buffer.from(t, 'base64');
    if (raw.length !== 32) throw new Error(`raw key is ${raw.length} bytes, expected 32`);
    // SPKI DER prefix for Ed25519 (RFC 8410 §4) followed by the raw key.
    return createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
      format: 'der',
      type: 'spki',
    });
  } catch (e) {
    throw new GkhError(
      'UPDATE_KEY',
      `${source} is not an Ed25519 public key: ${(e as Error).message}`,
      { source },
      { cause: e },
    );
  }
}

/**
 * Verifies `manifest.sig` over manifest bytes against the trusted keys. Throws `UPDATE_SIGNATURE`
 * naming the signing key's fingerprint and the trusted fingerprints when no key matches.
 */
export function verifyManifestSignature(
  bytes: Buffer,
  sigText: Buffer,
  trusted: KeyObject[],
): { key: string } {
  let s: Partial<ManifestSignature>;
  try {
    s = JSON.parse(sigText.toString('utf8')) as Partial<ManifestSignature>;
  } catch {
    throw new GkhError('UPDATE_SIGNATURE', 'manifest.sig is not JSON / подпись повреждена', {});
  }
  if (s.alg !== 'ed25519' || typeof s.sig !== 'string' || typeof s.key !== 'string')
    throw new GkhError('UPDATE_SIGNATURE', 'manifest.sig needs alg ed25519, key and sig', {});
  const trustedIds = trusted.map((k) => fingerprint(rawPublicKey(k)).replace(/ /g, ''));
  const idx = trustedIds.indexOf(s.key);
  if (idx < 0)
    throw new GkhError(
      'UPDATE_SIGNATURE',
      `bundle signed by key ${s.key}, which is not trusted (trusted: ${trustedIds.join(', ') || 'none'}) / ключ подписи не доверенный`,
      { expected: trustedIds, got: s.key },
    );
  const sig = Buffer.from(s.sig, 'base64');
  if (sig.length !== 64 || !verify(null, bytes, trusted[idx]!, sig))
    throw new GkhError(
      'UPDATE_SIGNATURE',
      `bad signature on manifest.json for key ${s.key} / подпись не сходится`,
      { key: s.key },
    );
  return { key: s.key };
}
