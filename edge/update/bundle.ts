/**
 * Release bundle = an uncompressed tar with three members, in this order:
 *   manifest.json   the release manifest (version, platform, payload hash, SHA-256 of every file)
 *   manifest.sig    Ed25519 signature over manifest.json's bytes
 *   payload.tar.gz  the release tree (dist/, bin/, node_modules/, package.json, …)
 * `tar tvf bundle` lists it with standard tools. The updater reads the first two members, checks the
 * signature, hashes the payload, walks the payload checking every entry against the manifest, and
 * only then unpacks (re-hashing while writing, so a bundle changed in between is caught too).
 */
import { createHash, type KeyObject } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  openSync,
  readSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  lstatSync,
  writeFileSync,
} from 'node:fs';
import { posix, join } from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import { GkhError } from '../errors.js';
import { BLOCK, readTar, writeTar, type TarEntry } from './tar.js';
import {
  MANIFEST_FORMAT,
  parseManifest,
  sha256,
  signManifest,
  verifyManifestSignature,
  type Manifest,
  type ManifestFile,
} from './manifest.js';

/** An opened bundle: manifest and signature bytes, and where the payload sits in the file. */
export interface OpenedBundle {
  file: string;
  manifestBytes: Buffer;
  sigBytes: Buffer;
  payloadOffset: number;
  payloadSize: number;
}

/** Options for `createBundle`. */
export interface CreateBundleOptions {
  /** Directory holding the release tree (becomes releases/<version>/ on the device). */
  tree: string;
  version: string;
  /** Node names: `linux`, `arm64`. */
  platform: { os: string; cpu: string };
  privateKey: KeyObject;
  /** Output file. */
  out: string;
  name?: string;
  /** Creation time (default now); tar mtimes use 0 so payloads are reproducible. */
  createdAt?: Date;
}

/** Walks `dir` into sorted tar entries (files, dirs, relative symlinks). */
export function treeEntries(dir: string): Omit<TarEntry, 'size'>[] {
  const out: Omit<TarEntry, 'size'>[] = [];
  const walk = (rel: string): void => {
    const names = readdirSync(join(dir, rel)).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const abs = join(dir, r);
      const st = lstatSync(abs);
      if (st.isSymbolicLink())
        out.push({
          path: r,
          type: 'symlink',
          mode: 0o777,
          linkname: readlinkSync(abs),
          data: Buffer.alloc(0),
        });
      else if (st.isDirectory()) {
        out.push({ path: r, type: 'dir', mode: 0o755, data: Buffer.alloc(0) });
        walk(r);
      } else if (st.isFile())
        out.push({ path: r, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, data: readFileSync(abs) });
      else
        throw new GkhError('UPDATE_BUNDLE', `${abs} is neither file, directory nor symlink`, { path: abs });
    }
  };
  walk('');
  return out;
}

/** Builds, signs and writes a bundle from a release tree. Returns the manifest. */
export function createBundle(o: CreateBundleOptions): Manifest {
  const all = treeEntries(o.tree);
  // Directories are implied by the files below them; empty ones are left out (the device refuses
  // a directory entry with nothing listed below it).
  const implied = new Set<string>();
  for (const e of all)
    if (e.type !== 'dir')
      for (let i = e.path.indexOf('/'); i > 0; i = e.path.indexOf('/', i + 1))
        implied.add(e.path.slice(0, i));
  const entries = all.filter((e) => e.type !== 'dir' || implied.has(e.path));
  const payload = gzipSync(writeTar(entries), { level: 9 });
  const files: ManifestFile[] = entries
    .filter((e) => e.type !== 'dir')
    .map((e) =>
      e.type === 'symlink'
        ? { path: e.path, link: e.linkname! }
        : { path: e.path, sha256: sha256(e.data), size: e.data.length, mode: e.mode },
    );
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: o.name ?? 'opengkh-edge',
    version: o.version,
    platform: o.platform,
    createdAt: (o.createdAt ?? new Date()).toISOString(),
    payload: { file: 'payload.tar.gz', sha256: sha256(payload), size: payload.length },
    files,
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`);
  parseManifest(manifestBytes); // the same checks the device runs: refuse to sign what it would refuse
  const sig = Buffer.from(`${JSON.stringify(signManifest(manifestBytes, o.privateKey))}\n`);
  const mtime = Math.floor((o.createdAt ?? new Date()).getTime() / 1000);
  writeFileSync(
    o.out,
    writeTar(
      [
        { path: 'manifest.json', type: 'file', mode: 0o644, data: manifestBytes },
        { path: 'manifest.sig', type: 'file', mode: 0o644, data: sig },
        { path: 'payload.tar.gz', type: 'file', mode: 0o644, data: payload },
      ],
      mtime,
    ),
  );
  return manifest;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, b, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return b.subarray(0, got);
}

/** Reads the outer tar's headers (without reading the payload) and the manifest and signature. */
export function openBundle(file: string): OpenedBundle {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new GkhError(
      'UPDATE_BUNDLE',
      `cannot open bundle ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      { file },
      { cause: e },
    );
  }
  try {
    const members = new Map<string, { offset: number; size: number }>();
    let pos = 0;
    for (let i = 0; i < 3; i++) {
      const h = readAt(fd, pos, BLOCK);
      if (h.length < BLOCK || h.every((b) => b === 0)) break;
      let sum = 0;
      for (let j = 0; j < BLOCK; j++) sum += j >= 148 && j < 156 ? 0x20 : h[j]!;
      const stored = parseInt(h.subarray(148, 156).toString('ascii').replace(/[\0 ]/g, ''), 8);
      if (stored !== sum)
        throw new GkhError(
          'UPDATE_BUNDLE',
          `bundle header at byte ${pos}: checksum ${stored}, calculated ${sum}; not a bundle?`,
          { byte: pos, expected: stored, calculated: sum },
        );
      const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const size = parseInt(h.subarray(124, 136).toString('ascii').replace(/[\0 ]/g, ''), 8);
      members.set(name, { offset: pos + BLOCK, size });
      pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
    const m = members.get('manifest.json');
    const s = members.get('manifest.sig');
    const p = members.get('payload.tar.gz');
    if (!m || !s || !p)
      throw new GkhError(
        'UPDATE_BUNDLE',
        `bundle ${file} lacks ${[!m && 'manifest.json', !s && 'manifest.sig', !p && 'payload.tar.gz'].filter(Boolean).join(', ')} / это не пакет обновления`,
        { file },
      );
    if (m.size > 64 * 1024 * 1024 || s.size > 4096)
      throw new GkhError('UPDATE_BUNDLE', 'bundle manifest or signature implausibly large', { file });
    return {
      file,
      manifestBytes: readAt(fd, m.offset, m.size),
      sigBytes: readAt(fd, s.offset, s.size),
      payloadOffset: p.offset,
      payloadSize: p.size,
    };
  } finally {
    closeSync(fd);
  }
}

function payloadStream(b: OpenedBundle) {
  return createReadStream(b.file, { start: b.payloadOffset, end: b.payloadOffset + b.payloadSize - 1 });
}

/** Iterates the payload's tar entries (gunzipped on the fly). */
export function payloadEntries(b: OpenedBundle): AsyncGenerator<TarEntry> {
  return readTar(payloadStream(b).pipe(createGunzip()) as AsyncIterable<Buffer>);
}

/** Expected platform of the device (defaults: this process). */
export interface Platform {
  os: string;
  cpu: string;
}

/**
 * Everything the updater checks before unpacking: the signature against trusted keys, the manifest,
 * the platform, the payload's SHA-256 and size, and every payload entry against the manifest (same
 * set of paths, same hashes, sizes, modes and link targets). Throws GkhError UPDATE_* with both sides.
 */
export async function verifyBundle(
  b: OpenedBundle,
  trusted: KeyObject[],
  platform: Platform = { os: process.platform, cpu: process.arch },
): Promise<Manifest> {
  verifyManifestSignature(b.manifestBytes, b.sigBytes, trusted);
  const m = parseManifest(b.manifestBytes);
  if (m.platform.os !== platform.os || m.platform.cpu !== platform.cpu)
    throw new GkhError(
      'UPDATE_PLATFORM',
      `bundle is for ${m.platform.os}-${m.platform.cpu}, this device is ${platform.os}-${platform.cpu} / пакет для другой платформы`,
      { expected: platform, got: m.platform },
    );
  if (b.payloadSize !== m.payload.size)
    throw new GkhError(
      'UPDATE_PAYLOAD',
      `payload is ${b.payloadSize} bytes, manifest says ${m.payload.size}`,
      { expected: m.payload.size, calculated: b.payloadSize },
    );
  const h = createHash('sha256');
  for await (const chunk of payloadStream(b)) h.update(chunk as Buffer);
  const got = h.digest('hex');
  if (got !== m.payload.sha256)
    throw new GkhError(
      'UPDATE_PAYLOAD',
      `payload SHA-256 ${got}, manifest says ${m.payload.sha256} / пакет изменён`,
      { expected: m.payload.sha256, calculated: got },
    );
  await walkAgainstManifest(b, m, () => undefined);
  return m;
}

/**
 * Walks the payload and checks each entry against the manifest, calling `each` for entries that
 * match (in archive order). Throws on the first mismatch, extra or missing entry.
 */
export async function walkAgainstManifest(
  b: OpenedBundle,
  m: Manifest,
  each: (e: TarEntry) => void | Promise<void>,
): Promise<void> {
  const want = new Map(m.files.map((f) => [f.path, f]));
  const dirs = new Set<string>();
  for (const f of m.files)
    for (let i = f.path.indexOf('/'); i > 0; i = f.path.indexOf('/', i + 1)) dirs.add(f.path.slice(0, i));
  const seen = new Set<string>();
  for await (const e of payloadEntries(b)) {
    if (e.type === 'dir') {
      if (!dirs.has(e.path))
        throw new GkhError('UPDATE_PAYLOAD', `payload directory "${e.path}" is not in the manifest`, {
          path: e.path,
        });
      await each(e);
      continue;
    }
    const f = want.get(e.path);
    if (!f)
      throw new GkhError(
        'UPDATE_PAYLOAD',
        `payload entry "${e.path}" is not in the manifest / лишний файл в пакете`,
        { path: e.path },
      );
    if (seen.has(e.path))
      throw new GkhError('UPDATE_PAYLOAD', `payload lists "${e.path}" twice`, { path: e.path });
    seen.add(e.path);
    if (f.link !== undefined) {
      if (e.type !== 'symlink' || e.linkname !== f.link)
        throw new GkhError(
          'UPDATE_PAYLOAD',
          `payload entry "${e.path}": expected symlink to "${f.link}", got ${e.type} "${e.linkname ?? ''}"`,
          { path: e.path, expected: f.link, got: e.linkname },
        );
    } else {
      if (e.type !== 'file')
        throw new GkhError('UPDATE_PAYLOAD', `payload entry "${e.path}": expected a file, got ${e.type}`, {
          path: e.path,
        });
      const got = sha256(e.data);
      if (got !== f.sha256 || e.data.length !== f.size)
        throw new GkhError(
          'UPDATE_PAYLOAD',
          `file "${e.path}": SHA-256 ${got} (${e.data.length} bytes), manifest says ${f.sha256} (${f.size} bytes) / файл изменён`,
          { path: e.path, expected: f.sha256, calculated: got },
        );
      if (e.mode !== f.mode)
        throw new GkhError(
          'UPDATE_PAYLOAD',
          `file "${e.path}": mode ${e.mode.toString(8)}, manifest says ${f.mode!.toString(8)}`,
          { path: e.path, expected: f.mode, got: e.mode },
        );
    }
    await each(e);
  }
  const missing = m.files.filter((f) => !seen.has(f.path)).map((f) => f.path);
  if (missing.length > 0)
    throw new GkhError(
      'UPDATE_PAYLOAD',
      `payload lacks ${missing.length} manifest entr${missing.length === 1 ? 'y' : 'ies'}: ${missing.slice(0, 5).join(', ')}`,
      { missing },
    );
}

/** Safe join used by the extractor (paths were already checked by parseManifest). */
export function inside(root: string, rel: string): string {
  return join(root, ...posix.normalize(rel).split('/'));
}
